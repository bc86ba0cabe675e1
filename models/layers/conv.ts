/**
 * RETURNN's `conv` layer, 1-D over time: `W` `[filter_size, n_in, n_out]` (Glorot-uniform
 * with fan-in `k n_in`, fan-out `k n_out`, as TensorFlow computes it for kernels), `bias`
 * `[n_out]` (zeros); `padding` `same` (TensorFlow's SAME: `ceil(T / s)` frames, the extra
 * padding on the right) or `valid` (`ceil((T - (k-1) d) / s)` frames); `strides`,
 * `dilation_rate`, `activation`, `with_bias`.
 *
 * Padded input frames are zero when the convolution reads them (RETURNN's `use_time_mask`),
 * so with stride 1 a sequence's output does not depend on how it was padded.
 *
 * @module
 */

import type { Tf, tfjs } from "../_tf.ts";
import { _applyActivation, _checkActivation } from "../_activation.ts";
import { maskPadding, type SeqTensor } from "../seq.ts";
import { showValue } from "../../_util/validate.ts";
import {
  _bool,
  _checkInit,
  _const,
  _denseInput,
  _init,
  _posInt,
  type CheckContext,
  type DimInfo,
  type ForwardContext,
  type LayerDef,
  type LayerOutput,
  type ParamSpec,
} from "./_layer.ts";

/** One spatial size from `[k]` or `k` (RETURNN writes tuples; JSON writes lists). */
function _one(v: unknown): number | null {
  const x = Array.isArray(v) ? (v.length === 1 ? v[0] : null) : v;
  return Number.isInteger(x) && (x as number) > 0 ? x as number : null;
}

/**
 * Output length of a 1-D convolution.
 *
 * @param len Input frames.
 * @param k Filter size.
 * @param stride Stride.
 * @param dilation Dilation.
 * @param padding `same` or `valid`.
 * @returns Output frames.
 */
export function convOutputLength(
  len: number,
  k: number,
  stride: number,
  dilation: number,
  padding: "same" | "valid",
): number {
  if (padding === "same") return Math.ceil(len / stride);
  return Math.max(0, Math.ceil((len - (k - 1) * dilation) / stride));
}

/** Frames 0, s, 2s, ... of `[B, (outT-1)s+1, F]` (no strided slice: tfjs has no gradient for it). */
function _every(tf: Tf, x: tfjs.Tensor, s: number, outT: number): tfjs.Tensor {
  if (s === 1) return x;
  const [B, , F] = x.shape as [number, number, number];
  const padded = tf.pad(x, [[0, 0], [0, s - 1], [0, 0]]); // [B, outT s, F]
  return tf.reshape(tf.slice(tf.reshape(padded, [B, outT, s, F]), [0, 0, 0, 0], [B, outT, 1, F]), [
    B,
    outT,
    F,
  ]);
}

function _padding(opts: Readonly<Record<string, unknown>>): "same" | "valid" {
  return String(opts.padding).toLowerCase() as "same" | "valid";
}

/** Options of {@linkcode conv1d}. */
export interface Conv1dOptions {
  /** `same` (output length `ceil(T / stride)`) or `valid`. */
  padding: "same" | "valid";
  /** Stride over time. @default 1 */
  strides?: number;
  /** Dilation over time. @default 1 */
  dilation?: number;
  /** An activation name of the network dict (`relu`, `tanh`, ...), or none. @default null */
  activation?: string | null;
}

/**
 * A 1-D convolution over time of a padded batch, as the network dict's `conv` layer computes
 * it (RETURNN's padding and output lengths; padded frames are zeroed before and after), for
 * `get_model` / `train_step` configs too. It is built from shifted matrix products, so it runs
 * and has gradients on every tfjs backend (tfjs's own `conv1d` has no filter gradient on
 * `wasm` and is slow on `cpu`).
 *
 * @param tf The TensorFlow.js namespace.
 * @param x The input `[B, T, F]` with its lengths.
 * @param W The filter `[k, F, n_out]`.
 * @param bias `[n_out]`, or null.
 * @param options Padding, stride, dilation, activation.
 * @returns The output `[B, T', n_out]` with its lengths.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { conv1d } from "./conv.ts";
 *
 * const x = { values: tf.ones([1, 3, 1]), seqLens: new Int32Array([2]), dim: 1, sparse: false };
 * const y = conv1d(tf, x, tf.ones([3, 1, 1]) as never, null, { padding: "same" });
 * assert.deepEqual(y.values.arraySync(), [[[2], [2], [0]]]);
 * ```
 */
export function conv1d(
  tf: Tf,
  x: SeqTensor,
  W: tfjs.Tensor3D,
  bias: tfjs.Tensor | null,
  options: Conv1dOptions,
): SeqTensor {
  const [B, T] = x.values.shape as [number, number];
  const k = W.shape[0];
  const s = options.strides ?? 1, d = options.dilation ?? 1;
  const padding = options.padding;
  const outT = convOutputLength(T, k, s, d, padding);
  let inp = maskPadding(tf, x.values, x.seqLens) as tfjs.Tensor3D;
  if (padding === "same") {
    const total = Math.max((outT - 1) * s + (k - 1) * d + 1 - T, 0);
    const left = Math.floor(total / 2);
    inp = tf.pad(inp, [[0, 0], [left, total - left], [0, 0]]);
  }
  const needT = (outT - 1) * s + (k - 1) * d + 1;
  if (outT === 0 || inp.shape[1] < needT) {
    const lens = new Int32Array(B);
    return {
      values: tf.zeros([B, outT, W.shape[2]]),
      seqLens: lens,
      dim: W.shape[2],
      sparse: false,
    };
  }
  // Dilated strided convolution as k shifted matrix products (every backend has them).
  let y: tfjs.Tensor | null = null;
  for (let j = 0; j < k; j++) {
    const frames = _every(
      tf,
      tf.slice(inp, [0, j * d, 0], [B, (outT - 1) * s + 1, x.dim]),
      s,
      outT,
    );
    const term = tf.reshape(
      tf.matMul(
        tf.reshape(frames, [B * outT, x.dim]),
        tf.squeeze(tf.slice(W, [j, 0, 0], [1, -1, -1]), [0]),
      ),
      [B, outT, W.shape[2]],
    );
    y = y === null ? term : tf.add(y, term);
  }
  if (bias) y = tf.add(y!, bias);
  const seqLens = Int32Array.from(x.seqLens, (n) => convOutputLength(n, k, s, d, padding));
  const act = options.activation ?? null;
  const values = maskPadding(tf, _applyActivation(tf, act, y!), seqLens);
  return { values, seqLens, dim: W.shape[2], sparse: false };
}

/**
 * The `conv` layer class (1-D).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { convLayer, convOutputLength } from "./conv.ts";
 *
 * assert.equal(convOutputLength(10, 5, 2, 1, "same"), 5);
 * assert.equal(convOutputLength(10, 5, 1, 1, "valid"), 6);
 * const p = convLayer.params({ filter_size: [5], n_out: 50 }, [{ dim: 9, sparse: false }], {
 *   dim: 50,
 *   sparse: false,
 * });
 * assert.deepEqual(p.map((x) => x.shape), [[5, 9, 50], [50]]);
 * ```
 */
export const convLayer: LayerDef = {
  className: "conv",
  options: [
    "n_out",
    "filter_size",
    "padding",
    "strides",
    "dilation_rate",
    "activation",
    "with_bias",
    "forward_weights_init",
    "bias_init",
    "use_time_mask",
  ],
  concatInputs: true,
  check(opts, ctx: CheckContext): DimInfo | null {
    const nOut = _posInt(opts, "n_out", ctx, true);
    if (opts.filter_size === undefined) {
      ctx.problem("'filter_size' is required, e.g. [5] (1-D only)");
    } else if (_one(opts.filter_size) === null) {
      ctx.problem(
        `'filter_size' must be one positive integer in a list, e.g. [5] (newbob has 1-D ` +
          `convolutions over time): current value is ${showValue(opts.filter_size)}`,
      );
    }
    const p = opts.padding;
    if (p === undefined) ctx.problem("'padding' is required: 'same' or 'valid'");
    else if (typeof p !== "string" || !["same", "valid"].includes(p.toLowerCase())) {
      ctx.problem(`'padding' must be 'same' or 'valid': current value is ${showValue(p)}`);
    }
    for (const key of ["strides", "dilation_rate"]) {
      if (opts[key] !== undefined && _one(opts[key]) === null) {
        ctx.problem(
          `'${key}' must be a positive integer (or [n]): current value is ${showValue(opts[key])}`,
        );
      }
    }
    const a = _checkActivation(opts.activation);
    if (a) ctx.problem(a);
    _bool(opts, "with_bias", ctx, true);
    _bool(opts, "use_time_mask", ctx, true);
    _checkInit(opts, "forward_weights_init", ctx);
    _checkInit(opts, "bias_init", ctx);
    const x = _denseInput(ctx, "conv");
    if (!x || nOut === null) return null;
    return { dim: nOut, sparse: false };
  },
  params(opts, inputs, out): ParamSpec[] {
    const k = _one(opts.filter_size)!, nIn = inputs[0].dim;
    const p: ParamSpec[] = [{
      name: "W",
      shape: [k, nIn, out.dim],
      init: _init(
        opts.forward_weights_init,
        { kind: "glorot_uniform", fanIn: k * nIn, fanOut: k * out.dim },
        k * nIn,
        k * out.dim,
      ),
      trainable: true,
    }];
    if (opts.with_bias !== false) {
      p.push({
        name: "bias",
        shape: [out.dim],
        init: _init(opts.bias_init, _const(0), 0, 0),
        trainable: true,
      });
    }
    return p;
  },
  forward(tf: Tf, opts, inputs: readonly SeqTensor[], ctx: ForwardContext): LayerOutput {
    return conv1d(tf, inputs[0], ctx.params["W"] as tfjs.Tensor3D, ctx.params["bias"] ?? null, {
      padding: _padding(opts),
      strides: _one(opts.strides ?? 1)!,
      dilation: _one(opts.dilation_rate ?? 1)!,
      activation: (opts.activation ?? null) as string | null,
    });
  },
};
