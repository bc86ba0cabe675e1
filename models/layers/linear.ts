/**
 * RETURNN's `linear` layer (and `softmax`, a linear layer whose activation defaults to
 * softmax): `W` `[n_in, n_out]` (Glorot-uniform), `b` `[n_out]` (zeros); a sparse input is
 * embedded (rows of `W`).
 *
 * @module
 */

import type { Tf, tfjs } from "../_tf.ts";
import { _applyActivation, _checkActivation } from "../_activation.ts";
import { maskPadding, type SeqTensor } from "../seq.ts";
import {
  _bool,
  _checkInit,
  _const,
  _glorot,
  _init,
  _posInt,
  type CheckContext,
  type DimInfo,
  type ForwardContext,
  type LayerDef,
  type LayerOutput,
  type ParamSpec,
} from "./_layer.ts";

function _linearDef(className: string, defaultActivation: string | null): LayerDef {
  return {
    className,
    options: ["n_out", "activation", "with_bias", "forward_weights_init", "bias_init"],
    concatInputs: true,
    check(opts: Readonly<Record<string, unknown>>, ctx: CheckContext): DimInfo | null {
      const a = _checkActivation(opts.activation);
      if (a) ctx.problem(a);
      _bool(opts, "with_bias", ctx, true);
      _checkInit(opts, "forward_weights_init", ctx);
      _checkInit(opts, "bias_init", ctx);
      const nOut = _posInt(opts, "n_out", ctx, false);
      if (!ctx.inputs[0]) return null;
      // Without n_out the network fills it from the loss target (RETURNN's automatic n_out).
      if (nOut === null) return null;
      return { dim: nOut, sparse: false };
    },
    params(opts, inputs, out): ParamSpec[] {
      const nIn = inputs[0].dim;
      const p: ParamSpec[] = [{
        name: "W",
        shape: [nIn, out.dim],
        init: _init(opts.forward_weights_init, _glorot(nIn, out.dim), nIn, out.dim),
        trainable: true,
      }];
      if (opts.with_bias !== false) {
        p.push({
          name: "b",
          shape: [out.dim],
          init: _init(opts.bias_init, _const(0), nIn, out.dim),
          trainable: true,
        });
      }
      return p;
    },
    forward(tf: Tf, opts, inputs: readonly SeqTensor[], ctx: ForwardContext): LayerOutput {
      const x = inputs[0];
      const [B, T] = x.values.shape as [number, number];
      const W = ctx.params["W"];
      const nOut = W.shape[1] as number;
      let y: tfjs.Tensor = x.sparse
        ? tf.reshape(tf.gather(W, tf.reshape(x.values, [-1])), [B, T, nOut])
        : tf.reshape(tf.matMul(tf.reshape(x.values, [B * T, x.dim]), W), [B, T, nOut]);
      if (ctx.params["b"]) y = tf.add(y, ctx.params["b"]);
      const activation = opts.activation === undefined ? defaultActivation : opts.activation as
        | string
        | null;
      const pre = maskPadding(tf, y, x.seqLens);
      const values = activation
        ? maskPadding(tf, _applyActivation(tf, activation, y), x.seqLens)
        : pre;
      return {
        values,
        seqLens: x.seqLens,
        dim: nOut,
        sparse: false,
        preActivation: pre,
        activation,
      };
    },
  };
}

/**
 * The `linear` layer class.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { linearLayer } from "./linear.ts";
 *
 * assert.equal(linearLayer.className, "linear");
 * assert.ok(linearLayer.options.includes("with_bias"));
 * ```
 */
export const linearLayer: LayerDef = _linearDef("linear", null);

/**
 * The `softmax` layer class: linear with `activation: "softmax"` by default, usually with a
 * `loss` (`ce`, `ctc`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { softmaxLayer } from "./linear.ts";
 *
 * assert.equal(softmaxLayer.className, "softmax");
 * ```
 */
export const softmaxLayer: LayerDef = _linearDef("softmax", "softmax");
