/**
 * RETURNN's `layer_norm` (over the features of each frame: `scale` ones, `bias` zeros,
 * `epsilon` 1e-6) and `batch_norm` (over the real frames of the batch: `batch_norm/v2_gamma`,
 * `v2_beta` trainable; running `v2_mean`, `v2_variance` updated in training with
 * `momentum` 0.1; `epsilon` 1e-3; RETURNN's behaviour-version-12 defaults, statistics masked by
 * the sequence lengths).
 *
 * @module
 */

import type { Tf, tfjs } from "../_tf.ts";
import { _maskValues, maskPadding, type SeqTensor } from "../seq.ts";
import {
  _bool,
  _const,
  _denseInput,
  _num,
  type CheckContext,
  type DimInfo,
  type ForwardContext,
  type LayerDef,
  type LayerOutput,
  type ParamSpec,
} from "./_layer.ts";
import { showValue } from "../../_util/validate.ts";

/**
 * The `layer_norm` layer class.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { layerNormLayer } from "./norm.ts";
 *
 * const p = layerNormLayer.params({}, [{ dim: 4, sparse: false }], { dim: 4, sparse: false });
 * assert.deepEqual(p.map((x) => x.name), ["scale", "bias"]);
 * ```
 */
export const layerNormLayer: LayerDef = {
  className: "layer_norm",
  options: ["epsilon"],
  concatInputs: true,
  check(opts, ctx: CheckContext): DimInfo | null {
    _num(opts, "epsilon", ctx, 1e-6, 0, Infinity, "a non-negative number");
    return _denseInput(ctx, "layer_norm");
  },
  params: (_opts, inputs): ParamSpec[] => [
    { name: "scale", shape: [inputs[0].dim], init: _const(1), trainable: true },
    { name: "bias", shape: [inputs[0].dim], init: _const(0), trainable: true },
  ],
  forward(tf: Tf, opts, inputs: readonly SeqTensor[], ctx: ForwardContext): LayerOutput {
    const x = inputs[0];
    const eps = (opts.epsilon as number | undefined) ?? 1e-6;
    const mean = tf.mean(x.values, -1, true);
    const centred = tf.sub(x.values, mean);
    const variance = tf.mean(tf.square(centred), -1, true);
    const y = tf.add(
      tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, eps))), ctx.params["scale"]),
      ctx.params["bias"],
    );
    return { ...x, values: maskPadding(tf, y, x.seqLens), preActivation: undefined };
  },
};

const BN_OPTIONS = [
  "momentum",
  "epsilon",
  "use_shift",
  "use_std",
  "masked_time",
  "gamma_init",
  "beta_init",
  "param_version",
  "use_sample",
  "update_sample_only_in_training",
  "delay_sample_update",
];

/**
 * The `batch_norm` layer class.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { batchNormLayer } from "./norm.ts";
 *
 * const p = batchNormLayer.params({}, [{ dim: 3, sparse: false }], { dim: 3, sparse: false });
 * assert.deepEqual(p.map((x) => [x.name, x.trainable]), [
 *   ["batch_norm/v2_mean", false],
 *   ["batch_norm/v2_variance", false],
 *   ["batch_norm/v2_gamma", true],
 *   ["batch_norm/v2_beta", true],
 * ]);
 * ```
 */
export const batchNormLayer: LayerDef = {
  className: "batch_norm",
  options: BN_OPTIONS,
  concatInputs: true,
  check(opts, ctx: CheckContext): DimInfo | null {
    _num(opts, "momentum", ctx, 0.1, 0, 1, "a number in [0, 1]");
    _num(opts, "epsilon", ctx, 1e-3, 0, Infinity, "a non-negative number");
    _num(opts, "gamma_init", ctx, 1);
    _num(opts, "beta_init", ctx, 0);
    _bool(opts, "use_shift", ctx, true);
    _bool(opts, "use_std", ctx, true);
    if (_bool(opts, "masked_time", ctx, true) === false) {
      ctx.problem(
        "'masked_time: false' is not supported: statistics are over the real frames only",
      );
    }
    const same = (key: string, want: unknown, why: string) => {
      if (opts[key] !== undefined && opts[key] !== null && opts[key] !== want) {
        ctx.problem(
          `'${key}' must be ${showValue(want)} (${why}): current value is ${showValue(opts[key])}`,
        );
      }
    };
    same("param_version", 2, "the parameter names v2_*");
    same("use_sample", 0, "batch statistics in training, running ones otherwise");
    same("update_sample_only_in_training", true, "running statistics change only in training");
    same("delay_sample_update", true, "the step normalises with its own batch statistics");
    return _denseInput(ctx, "batch_norm");
  },
  params(opts, inputs): ParamSpec[] {
    const d = [inputs[0].dim];
    const p: ParamSpec[] = [
      { name: "batch_norm/v2_mean", shape: d, init: _const(0), trainable: false },
      { name: "batch_norm/v2_variance", shape: d, init: _const(1), trainable: false },
    ];
    if (opts.use_std !== false) {
      p.push({
        name: "batch_norm/v2_gamma",
        shape: d,
        init: _const((opts.gamma_init as number) ?? 1),
        trainable: true,
      });
    }
    if (opts.use_shift !== false) {
      p.push({
        name: "batch_norm/v2_beta",
        shape: d,
        init: _const((opts.beta_init as number) ?? 0),
        trainable: true,
      });
    }
    return p;
  },
  forward(tf: Tf, opts, inputs: readonly SeqTensor[], ctx: ForwardContext): LayerOutput {
    const x = inputs[0];
    const [B, T] = x.values.shape as [number, number];
    const eps = (opts.epsilon as number | undefined) ?? 1e-3;
    const momentum = (opts.momentum as number | undefined) ?? 0.1;
    let mean: tfjs.Tensor, variance: tfjs.Tensor;
    if (ctx.train) {
      const m = tf.tensor3d(_maskValues(x.seqLens, T), [B, T, 1]);
      const n = Math.max(1, x.seqLens.reduce((a, b) => a + b, 0));
      mean = tf.div(tf.sum(tf.mul(x.values, m), [0, 1]), n);
      variance = tf.div(tf.sum(tf.mul(tf.square(tf.sub(x.values, mean)), m), [0, 1]), n);
      const old = (name: string) => ctx.params[name];
      ctx.update(
        "batch_norm/v2_mean",
        tf.add(tf.mul(old("batch_norm/v2_mean"), 1 - momentum), tf.mul(mean, momentum)),
      );
      ctx.update(
        "batch_norm/v2_variance",
        tf.add(tf.mul(old("batch_norm/v2_variance"), 1 - momentum), tf.mul(variance, momentum)),
      );
    } else {
      mean = ctx.params["batch_norm/v2_mean"];
      variance = ctx.params["batch_norm/v2_variance"];
    }
    let y = tf.mul(tf.sub(x.values, mean), tf.rsqrt(tf.add(variance, eps)));
    if (ctx.params["batch_norm/v2_gamma"]) y = tf.mul(y, ctx.params["batch_norm/v2_gamma"]);
    if (ctx.params["batch_norm/v2_beta"]) y = tf.add(y, ctx.params["batch_norm/v2_beta"]);
    return { ...x, values: maskPadding(tf, y, x.seqLens), preActivation: undefined };
  },
};
