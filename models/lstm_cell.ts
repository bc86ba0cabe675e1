/**
 * The LSTM recursion over a padded batch, as one small function so a fused kernel can replace
 * it: this plain TensorFlow.js composition is the reference such a kernel is tested against.
 *
 * @module
 */

import type { Lengths, Tf, tfjs } from "./_tf.ts";
import { _maskValues } from "./seq.ts";

/** Gate layouts of the `4n` pre-activations. */
export type GateOrder =
  /** RETURNN's NativeLstm/NativeLstm2: cell input (tanh), input, forget, output gate. */
  | "jifo"
  /** TensorFlow's `LSTMCell`: input gate, cell input, forget, output gate. */
  | "ijfo"
  /** PyTorch's `nn.LSTM`: input, forget, cell input, output gate. */
  | "ifjo";

/** Arguments of {@linkcode lstmSequence}. */
export interface LstmSequenceArgs {
  /** Input projections plus bias `[B, T, 4n]` in `gateOrder`. */
  readonly x: tfjs.Tensor3D;
  /** Recurrent weights `[n, 4n]` in `gateOrder`. */
  readonly wRe: tfjs.Tensor2D;
  /** Frames per sequence: the state freezes past each length and the output there is 0. */
  readonly seqLens: Lengths;
  /** Run from each sequence's last frame to its first (RETURNN `direction: -1`). @default false */
  readonly reverse?: boolean;
  /** The gate layout. @default "jifo" */
  readonly gateOrder?: GateOrder;
  /** Added to the forget gate's pre-activation (TensorFlow's `forget_bias`). @default 0 */
  readonly forgetBias?: number;
}

/**
 * Run an LSTM over a padded batch: for each frame `z = x_t + h_{t-1} W_re`,
 * `c_t = f c_{t-1} + i tanh(j)`, `h_t = o tanh(c_t)` (sigmoid gates), starting from zero state.
 * Padded frames never enter the state; run backwards, each sequence starts at its own last
 * frame (the padding before it leaves the zero state untouched).
 *
 * @param tf The TensorFlow.js namespace.
 * @param args Inputs, weights, lengths, direction and layout.
 * @returns The outputs `h` `[B, T, n]`, zero on padded frames.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { lstmSequence } from "./lstm_cell.ts";
 *
 * // n = 1, all pre-activations 0: i = f = o = 1/2, j = 0, so c and h stay 0.
 * const y = lstmSequence(tf, { x: tf.zeros([1, 2, 4]), wRe: tf.zeros([1, 4]), seqLens: [2] });
 * assert.deepEqual(y.arraySync(), [[[0], [0]]]);
 * ```
 */
export function lstmSequence(tf: Tf, args: LstmSequenceArgs): tfjs.Tensor3D {
  const { x, wRe } = args;
  const [B, T, n4] = x.shape;
  const n = n4 / 4;
  const order = args.gateOrder ?? "jifo";
  const at = (g: "i" | "j" | "f" | "o") => order.indexOf(g) * n;
  const forgetBias = args.forgetBias ?? 0;
  const mask = tf.tensor2d(_maskValues(args.seqLens, T), [B, T]);
  const masks = tf.unstack(mask, 1).map((m) => tf.reshape(m, [B, 1]));
  // tfjs's gradient of a one-output unstack fails (it stacks a tensor, not a list): T = 1 reshapes.
  const frames = T === 1 ? [tf.reshape(x, [B, n4])] : tf.unstack(x, 1);
  let h: tfjs.Tensor = tf.zeros([B, n]);
  let c: tfjs.Tensor = tf.zeros([B, n]);
  const out: tfjs.Tensor[] = new Array(T);
  for (let k = 0; k < T; k++) {
    const t = args.reverse ? T - 1 - k : k;
    const z = tf.add(frames[t], tf.matMul(h, wRe));
    const gate = (g: "i" | "j" | "f" | "o") => tf.slice(z, [0, at(g)], [B, n]);
    const i = tf.sigmoid(gate("i"));
    const f = tf.sigmoid(forgetBias ? tf.add(gate("f"), forgetBias) : gate("f"));
    const o = tf.sigmoid(gate("o"));
    const j = tf.tanh(gate("j"));
    const m = masks[t];
    const cNew = tf.add(tf.mul(f, c), tf.mul(i, j));
    const hNew = tf.mul(o, tf.tanh(cNew));
    // Frozen state on padding: c, h = m * new + (1 - m) * old.
    c = tf.add(c, tf.mul(m, tf.sub(cNew, c)));
    h = tf.add(h, tf.mul(m, tf.sub(hNew, h)));
    out[t] = tf.mul(hNew, m);
  }
  return tf.stack(out, 1) as tfjs.Tensor3D;
}
