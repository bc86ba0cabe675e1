/**
 * RETURNN's `self_attention` layer: one matrix `QKV` `[n_in, 2 total_key_dim + n_out]`
 * (Glorot-uniform), split per head as RETURNN lays it out (for head h the columns
 * `h (2K+V)/H ...` hold its query, key and value parts), queries scaled by
 * `(K/H)^-0.5`, keys past each sequence's length masked, optional `attention_left_only`
 * (causal) and `attention_dropout` (training only). No output projection (a separate `linear`
 * layer in a Transformer block, as in RETURNN's configs).
 *
 * @module
 */

import type { Tf } from "../_tf.ts";
import { maskPadding, type SeqTensor } from "../seq.ts";
import {
  _bool,
  _checkInit,
  _glorot,
  _init,
  _num,
  _posInt,
  type CheckContext,
  type DimInfo,
  type ForwardContext,
  type LayerDef,
  type LayerOutput,
  type ParamSpec,
} from "./_layer.ts";

/**
 * The `self_attention` layer class.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { selfAttentionLayer } from "./self_attention.ts";
 *
 * const p = selfAttentionLayer.params(
 *   { num_heads: 2, total_key_dim: 8, n_out: 6 },
 *   [{ dim: 5, sparse: false }],
 *   { dim: 6, sparse: false },
 * );
 * assert.deepEqual(p[0].shape, [5, 22]);
 * ```
 */
export const selfAttentionLayer: LayerDef = {
  className: "self_attention",
  options: [
    "n_out",
    "num_heads",
    "total_key_dim",
    "attention_dropout",
    "attention_left_only",
    "forward_weights_init",
  ],
  concatInputs: true,
  check(opts, ctx: CheckContext): DimInfo | null {
    const nOut = _posInt(opts, "n_out", ctx, true);
    const heads = _posInt(opts, "num_heads", ctx, true);
    const key = _posInt(opts, "total_key_dim", ctx, true);
    if (heads !== null && key !== null && key % heads !== 0) {
      ctx.problem(`'total_key_dim' (${key}) must be divisible by 'num_heads' (${heads})`);
    }
    if (heads !== null && nOut !== null && nOut % heads !== 0) {
      ctx.problem(`'n_out' (${nOut}, the value dim) must be divisible by 'num_heads' (${heads})`);
    }
    _num(opts, "attention_dropout", ctx, 0, 0, 0.999999, "a rate in [0, 1)");
    _bool(opts, "attention_left_only", ctx, false);
    _checkInit(opts, "forward_weights_init", ctx);
    const x = ctx.inputs[0];
    if (!x || nOut === null) return null;
    return { dim: nOut, sparse: false };
  },
  params(opts, inputs, out): ParamSpec[] {
    const nIn = inputs[0].dim;
    const cols = 2 * (opts.total_key_dim as number) + out.dim;
    return [{
      name: "QKV",
      shape: [nIn, cols],
      init: _init(opts.forward_weights_init, _glorot(nIn, cols), nIn, cols),
      trainable: true,
    }];
  },
  forward(tf: Tf, opts, inputs: readonly SeqTensor[], ctx: ForwardContext): LayerOutput {
    const x = inputs[0];
    const [B, T] = x.values.shape as [number, number];
    const H = opts.num_heads as number, K = opts.total_key_dim as number;
    const W = ctx.params["QKV"];
    const V = (W.shape[1] as number) - 2 * K;
    const kh = K / H, vh = V / H;
    const qkv = x.sparse
      ? tf.gather(W, tf.reshape(x.values, [-1]))
      : tf.matMul(tf.reshape(x.values, [B * T, x.dim]), W);
    // [B, T, H, 2kh+vh] -> [B, H, T, 2kh+vh]
    const perHead = tf.transpose(tf.reshape(qkv, [B, T, H, 2 * kh + vh]), [0, 2, 1, 3]);
    const q = tf.mul(tf.slice(perHead, [0, 0, 0, 0], [B, H, T, kh]), kh ** -0.5);
    const k = tf.slice(perHead, [0, 0, 0, kh], [B, H, T, kh]);
    const v = tf.slice(perHead, [0, 0, 0, 2 * kh], [B, H, T, vh]);
    const energy = tf.matMul(q, k, false, true); // [B, H, T, T]
    const allowed = new Uint8Array(B * T * T);
    const left = opts.attention_left_only === true;
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < T; i++) {
        for (let j = 0; j < x.seqLens[b]; j++) {
          if (!left || j <= i) allowed[(b * T + i) * T + j] = 1;
        }
      }
    }
    const masked = tf.where(
      tf.tensor4d(allowed, [B, 1, T, T], "bool"),
      energy,
      tf.fill([B, H, T, T], -1e30),
    );
    let weights = tf.softmax(masked);
    const rate = (opts.attention_dropout as number | undefined) ?? 0;
    if (ctx.train && rate > 0) weights = tf.dropout(weights, rate, undefined, ctx.seed);
    const att = tf.matMul(weights, v); // [B, H, T, vh]
    const y = tf.reshape(tf.transpose(att, [0, 2, 1, 3]), [B, T, V]);
    return { values: maskPadding(tf, y, x.seqLens), seqLens: x.seqLens, dim: V, sparse: false };
  },
};
