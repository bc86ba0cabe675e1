/**
 * RETURNN's `rec` layer with an LSTM unit. `nativelstm`, `nativelstm2`, `lstm` and `lstmp`
 * (RETURNN maps the last two to NativeLstm2) have `rec/W` `[n_in, 4n]`, `rec/W_re` `[n, 4n]`
 * and `rec/b` `[4n]` in RETURNN's gate order (cell input, input, forget, output) with forget
 * bias 0; `standardlstm` and `basiclstm` (TensorFlow's `LSTMCell`) have
 * `rec/lstm_cell/kernel` `[n_in + n, 4n]` and `rec/lstm_cell/bias` in TensorFlow's order
 * (input, cell input, forget, output) with `forget_bias` 1 added. All weights Glorot-uniform,
 * biases zero, as RETURNN initialises them. `direction: -1` runs backwards.
 *
 * @module
 */

import type { Tf, tfjs } from "../_tf.ts";
import { lstmSequence } from "../lstm_cell.ts";
import type { SeqTensor } from "../seq.ts";
import { showValue } from "../../_util/validate.ts";
import { didYouMeanSuffix } from "../../_util/did_you_mean.ts";
import {
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

const NATIVE = ["nativelstm", "nativelstm2", "lstm", "lstmp"];
const STANDARD = ["standardlstm", "basiclstm", "lstmcell", "basiclstmcell"];
/** The supported `unit` values (case-insensitive, as RETURNN). */
export const LSTM_UNITS: readonly string[] = [...NATIVE, ...STANDARD];

function _unit(opts: Readonly<Record<string, unknown>>): string {
  return String(opts.unit ?? "lstm").toLowerCase();
}

function _forgetBias(opts: Readonly<Record<string, unknown>>): number {
  const u = opts.unit_opts as Record<string, unknown> | undefined;
  if (u && typeof u.forget_bias === "number") return u.forget_bias;
  return STANDARD.includes(_unit(opts)) ? 1 : 0;
}

/**
 * The `rec` layer class (LSTM units).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { recLayer } from "./rec.ts";
 *
 * const p = recLayer.params({ unit: "nativelstm", n_out: 10 }, [{ dim: 9, sparse: false }], {
 *   dim: 10,
 *   sparse: false,
 * });
 * assert.deepEqual(p.map((x) => x.shape), [[9, 40], [10, 40], [40]]); // 800 parameters
 * ```
 */
export const recLayer: LayerDef = {
  className: "rec",
  options: [
    "n_out",
    "unit",
    "unit_opts",
    "direction",
    "forward_weights_init",
    "recurrent_weights_init",
    "bias_init",
  ],
  concatInputs: true,
  check(opts, ctx: CheckContext): DimInfo | null {
    const nOut = _posInt(opts, "n_out", ctx, true);
    const unit = opts.unit ?? "lstm";
    if (typeof unit !== "string") {
      ctx.problem(
        `'unit' must be an LSTM unit name (${LSTM_UNITS.join(", ")}): current value is ` +
          `${typeof unit === "object" ? "a subnetwork (not supported)" : showValue(unit)}`,
      );
    } else if (!LSTM_UNITS.includes(unit.toLowerCase())) {
      ctx.problem(
        `'unit' ${showValue(unit)} is not supported: use one of ${LSTM_UNITS.join(", ")}.` +
          didYouMeanSuffix(unit.toLowerCase(), LSTM_UNITS),
      );
    }
    const d = opts.direction;
    if (d !== undefined && d !== null && d !== 1 && d !== -1) {
      ctx.problem(
        `'direction' must be 1 (forward) or -1 (backward): current value is ${showValue(d)}`,
      );
    }
    const u = opts.unit_opts;
    if (u !== undefined && u !== null) {
      if (typeof u !== "object" || Array.isArray(u)) {
        ctx.problem(`'unit_opts' must be a dict: current value is ${showValue(u)}`);
      } else {
        for (const [k, v] of Object.entries(u)) {
          if (k !== "forget_bias") {
            ctx.problem(`'unit_opts' key '${k}' is not supported (only forget_bias)`);
          } else if (typeof v !== "number") {
            ctx.problem(
              `'unit_opts.forget_bias' must be a number: current value is ${showValue(v)}`,
            );
          } else if (v !== 0 && NATIVE.includes(_unit(opts))) {
            ctx.problem(
              "'unit_opts.forget_bias' must be 0 for the native LSTM units (RETURNN asserts " +
                "it; initialise the bias instead)",
            );
          }
        }
      }
    }
    _checkInit(opts, "forward_weights_init", ctx);
    _checkInit(opts, "recurrent_weights_init", ctx);
    _checkInit(opts, "bias_init", ctx);
    if (!ctx.inputs[0] || nOut === null) return null;
    if (ctx.inputs[0].sparse && STANDARD.includes(_unit(opts))) {
      ctx.problem(
        `unit '${_unit(opts)}' needs dense input (RETURNN asserts it): put a linear layer first`,
      );
      return null;
    }
    return { dim: nOut, sparse: false };
  },
  params(opts, inputs, out): ParamSpec[] {
    const nIn = inputs[0].dim, n = out.dim;
    const fwd = (fanIn: number) =>
      _init(opts.forward_weights_init, _glorot(fanIn, 4 * n), fanIn, 4 * n);
    const bias = _init(opts.bias_init, _const(0), n, 4 * n);
    if (STANDARD.includes(_unit(opts))) {
      return [
        {
          name: "rec/lstm_cell/kernel",
          shape: [nIn + n, 4 * n],
          init: fwd(nIn + n),
          trainable: true,
        },
        { name: "rec/lstm_cell/bias", shape: [4 * n], init: bias, trainable: true },
      ];
    }
    return [
      { name: "rec/W", shape: [nIn, 4 * n], init: fwd(nIn), trainable: true },
      {
        name: "rec/W_re",
        shape: [n, 4 * n],
        init: _init(opts.recurrent_weights_init, _glorot(n, 4 * n), n, 4 * n),
        trainable: true,
      },
      { name: "rec/b", shape: [4 * n], init: bias, trainable: true },
    ];
  },
  forward(tf: Tf, opts, inputs: readonly SeqTensor[], ctx: ForwardContext): LayerOutput {
    const x = inputs[0];
    const [B, T] = x.values.shape as [number, number];
    const standard = STANDARD.includes(_unit(opts));
    let wIn: tfjs.Tensor2D, wRe: tfjs.Tensor2D, b: tfjs.Tensor;
    if (standard) {
      const k = ctx.params["rec/lstm_cell/kernel"];
      const [rows, cols] = k.shape as [number, number];
      wIn = tf.slice(k, [0, 0], [x.dim, cols]) as tfjs.Tensor2D;
      wRe = tf.slice(k, [x.dim, 0], [rows - x.dim, cols]) as tfjs.Tensor2D;
      b = ctx.params["rec/lstm_cell/bias"];
    } else {
      wIn = ctx.params["rec/W"] as tfjs.Tensor2D;
      wRe = ctx.params["rec/W_re"] as tfjs.Tensor2D;
      b = ctx.params["rec/b"];
    }
    const n4 = wIn.shape[1];
    const proj = x.sparse
      ? tf.gather(wIn, tf.reshape(x.values, [-1]))
      : tf.matMul(tf.reshape(x.values, [B * T, x.dim]), wIn);
    const z = tf.reshape(tf.add(proj, b), [B, T, n4]) as tfjs.Tensor3D;
    const y = lstmSequence(tf, {
      x: z,
      wRe,
      seqLens: x.seqLens,
      reverse: opts.direction === -1,
      gateOrder: standard ? "ijfo" : "jifo",
      forgetBias: _forgetBias(opts),
    });
    return { values: y, seqLens: x.seqLens, dim: n4 / 4, sparse: false };
  },
};
