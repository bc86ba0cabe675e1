/**
 * One LSTM layer's forward + backward time on a tfjs backend, three ways: newbob's fused op,
 * newbob's reference composition (both behind `lstmSequence`, after the layer's input
 * projection) and tfjs' own `tf.layers.lstm`. Gradients of the input and of every weight are
 * computed and awaited, as in training.
 *
 * @module
 */

import type { Tf, tfjs } from "../models/_tf.ts";
import { lstmSequence } from "../models/lstm_cell.ts";

/** A layer shape. */
export interface LstmShape {
  /** Label. */
  readonly id: string;
  /** Sequences. */
  readonly B: number;
  /** Frames (all sequences full length). */
  readonly T: number;
  /** Input features. */
  readonly nIn: number;
  /** Units. */
  readonly n: number;
}

/** The implementations {@linkcode timeLstmLayer} can time. */
export type LayerImpl = "fused" | "reference" | "tf.layers";

/**
 * Seconds per forward + backward call, one per timed repetition ({@linkcode timeCalls}).
 *
 * @param tf The namespace, on the backend to time.
 * @param impl Which implementation.
 * @param s The shape.
 * @param reps Timed repetitions.
 * @param part `layer`: the whole layer (input projection included); `op`: the recurrence alone
 *   (`lstmSequence` on a given pre-activation input `z`, gradients of `z` and `W_re`: the fused op
 *   itself against the composition it replaces; not for `tf.layers`).
 * @returns Seconds per call.
 */
export async function timeLstmLayer(
  tf: Tf,
  impl: LayerImpl,
  s: LstmShape,
  reps: number,
  part: "layer" | "op" = "layer",
): Promise<number[]> {
  const { B, T, nIn, n } = s;
  const x = tf.variable(tf.randomNormal([B, T, nIn], 0, 1, "float32", 1));
  const dy = tf.randomNormal([B, T, n], 0, 1, "float32", 2);
  const scale = Math.sqrt(6 / (nIn + 4 * n));
  let vars: tfjs.Variable[];
  let layer: (x: tfjs.Tensor3D) => tfjs.Tensor;
  let dispose = () => {};
  if (part === "op") {
    if (impl === "tf.layers") throw new RangeError("tf.layers.lstm has no separate recurrence");
    const z = tf.variable(tf.randomNormal([B, T, 4 * n], 0, 1, "float32", 5));
    const wRe = tf.variable(tf.randomUniform([n, 4 * n], -scale, scale, "float32", 4));
    vars = [z, wRe];
    const seqLens = new Array(B).fill(T);
    layer = () =>
      lstmSequence(tf, { x: z as tfjs.Tensor3D, wRe: wRe as tfjs.Tensor2D, seqLens, impl });
    dispose = () => tf.dispose([z, wRe]);
  } else if (impl === "tf.layers") {
    const l = tf.layers.lstm({ units: n, returnSequences: true });
    l.apply(tf.zeros([1, 1, nIn]));
    vars = [x, ...l.trainableWeights.map((w) => w.read() as tfjs.Variable)];
    layer = (v) => l.apply(v) as tfjs.Tensor;
    dispose = () => l.dispose();
  } else {
    const w = tf.variable(tf.randomUniform([nIn, 4 * n], -scale, scale, "float32", 3));
    const wRe = tf.variable(tf.randomUniform([n, 4 * n], -scale, scale, "float32", 4));
    const b = tf.variable(tf.zeros([4 * n]));
    vars = [x, w, wRe, b];
    const seqLens = new Array(B).fill(T);
    layer = (v) => {
      const z = tf.reshape(tf.add(tf.matMul(tf.reshape(v, [B * T, nIn]), w), b), [B, T, 4 * n]);
      return lstmSequence(tf, { x: z as tfjs.Tensor3D, wRe: wRe as tfjs.Tensor2D, seqLens, impl });
    };
    dispose = () => tf.dispose([w, wRe, b]);
  }
  const once = async () => {
    const { value, grads } = tf.variableGrads(
      () => tf.sum(tf.mul(layer(x as tfjs.Tensor3D), dy)) as tfjs.Scalar,
      vars,
    );
    const g = Object.values(grads);
    await Promise.all(g.map((t) => t.data()));
    tf.dispose([value, ...g]);
  };
  const out = await timeCalls(once, reps);
  dispose();
  tf.dispose([x, dy]);
  return out;
}

/**
 * Seconds per call of `f`, one per timed repetition, after a warm-up of at least two calls and
 * one second (WebAssembly tiers up to optimised code after some calls).
 *
 * @param f The call (it awaits its own results).
 * @param reps Timed repetitions.
 * @returns Seconds per call.
 */
export async function timeCalls(f: () => Promise<void>, reps: number): Promise<number[]> {
  const w0 = performance.now();
  for (let i = 0; i < 2 || performance.now() - w0 < 1000; i++) await f();
  const out: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await f();
    out.push((performance.now() - t0) / 1000);
  }
  return out;
}
