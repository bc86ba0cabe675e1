/**
 * The LSTM recursion over a padded batch, behind one function: {@linkcode lstmSequence} runs
 * the fused op of `fused/lstm_op.ts` (one kernel call for the whole sequence's forward, one
 * for its backward) on the `cpu`, `wasm` and `webgpu` backends, and
 * {@linkcode lstmSequenceReference}, a plain TensorFlow.js composition of a dozen ops per time
 * step, elsewhere or when asked: the reference the fused kernels are tested against.
 *
 * @module
 */

import type { Lengths, Tf, tfjs } from "./_tf.ts";
import { _maskValues } from "./seq.ts";
import { fusedLstm, registerFusedLstm } from "./fused/lstm_op.ts";

/**
 * Which implementation {@linkcode lstmSequence} runs: `fused` (an error on a backend without
 * the fused kernels), `reference` (the tfjs composition), or `auto` (fused where the backend
 * has it, else the reference).
 */
export type LstmImplementation = "auto" | "fused" | "reference";

let defaultImpl: LstmImplementation = "auto";

/**
 * Set the implementation {@linkcode lstmSequence} uses when its arguments do not say (for
 * every network dict and model function built afterwards or already built).
 *
 * @param impl `auto` (the default), `fused` or `reference`.
 * @returns The previous setting.
 * @throws {RangeError} If `impl` is none of them.
 *
 * @example Force the reference composition, then restore the default
 * ```ts
 * import assert from "node:assert/strict";
 * import { setLstmImplementation } from "./lstm_cell.ts";
 *
 * const before = setLstmImplementation("reference");
 * assert.equal(setLstmImplementation(before), "reference");
 * ```
 */
export function setLstmImplementation(impl: LstmImplementation): LstmImplementation {
  if (!["auto", "fused", "reference"].includes(impl)) {
    throw new RangeError(
      `Cannot set the LSTM implementation as it must be 'auto', 'fused' or 'reference': ` +
        `current value is '${impl}'`,
    );
  }
  const before = defaultImpl;
  defaultImpl = impl;
  return before;
}

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
  /** The implementation. @default the one set by {@linkcode setLstmImplementation} (`auto`) */
  readonly impl?: LstmImplementation;
}

/**
 * Run an LSTM over a padded batch: for each frame `z = x_t + h_{t-1} W_re`,
 * `c_t = f c_{t-1} + i tanh(j)`, `h_t = o tanh(c_t)` (sigmoid gates), starting from zero state.
 * Padded frames never enter the state; run backwards, each sequence starts at its own last
 * frame (the padding before it leaves the zero state untouched). Differentiable with respect
 * to `x` and `wRe` whichever implementation runs.
 *
 * @param tf The TensorFlow.js namespace.
 * @param args Inputs, weights, lengths, direction, layout and implementation.
 * @returns The outputs `h` `[B, T, n]`, zero on padded frames.
 * @throws {RangeError} If `impl` is unknown, or `fused` on a backend without the fused kernel.
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
  const impl = args.impl ?? defaultImpl;
  if (!["auto", "fused", "reference"].includes(impl)) {
    throw new RangeError(
      `Cannot run the LSTM as 'impl' must be 'auto', 'fused' or 'reference': current value is ` +
        `'${impl}'`,
    );
  }
  if (impl === "fused" || (impl === "auto" && registerFusedLstm(tf))) return fusedLstm(tf, args);
  return lstmSequenceReference(tf, args);
}

/**
 * The reference implementation of {@linkcode lstmSequence}: plain TensorFlow.js ops per time
 * step (tfjs' autodiff gives the gradient). `args.impl` is ignored.
 *
 * @param tf The TensorFlow.js namespace.
 * @param args Inputs, weights, lengths, direction and layout.
 * @returns The outputs `h` `[B, T, n]`, zero on padded frames.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { lstmSequenceReference } from "./lstm_cell.ts";
 *
 * const y = lstmSequenceReference(tf, { x: tf.zeros([1, 2, 4]), wRe: tf.zeros([1, 4]), seqLens: [1] });
 * assert.deepEqual(y.arraySync(), [[[0], [0]]]);
 * ```
 */
export function lstmSequenceReference(tf: Tf, args: LstmSequenceArgs): tfjs.Tensor3D {
  const { x, wRe } = args;
  const [B, T, n4] = x.shape;
  const n = n4 / 4;
  const order = args.gateOrder ?? "jifo";
  const at = (g: "i" | "j" | "f" | "o") => order.indexOf(g) * n;
  const forgetBias = args.forgetBias ?? 0;
  const mask = tf.tensor2d(_maskValues(args.seqLens, T), [B, T]);
  const masks = tf.unstack(mask, 1).map((m) => tf.reshape(m, [B, 1]));
  // tfjs' unstack gradient fails for a single output (it gets a tensor, not a list).
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
