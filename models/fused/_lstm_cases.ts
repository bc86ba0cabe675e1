// Random fused-LSTM cases and one run of an LSTM implementation over a case (outputs and
// gradients), shared by the op's tests (lstm_op_test.ts, lstm_pool_test.ts).
import { Rng } from "../../trainer/rng.ts";
import type { LstmSequenceArgs } from "../lstm_cell.ts";
import type { Tf, tfjs } from "../_tf.ts";

/** One random case. */
export interface Case {
  B: number;
  T: number;
  n: number;
  lens: number[];
  reverse: boolean;
  order: "jifo" | "ijfo";
  forgetBias: number;
  seed: number;
}

/** `count` random cases (at least `minB` sequences each). */
export function cases(count: number, seed: number, minB = 1): Case[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, (_, k) => {
    const B = minB + rng.int(5), T = 1 + rng.int(12);
    const n = [1, 2, 3, 4, 5, 7, 8, 13, 33][rng.int(9)];
    const lens = Array.from({ length: B }, (_, b) => (b === 0 ? T : rng.int(T + 1)));
    return {
      B,
      T,
      n,
      lens,
      reverse: k % 2 === 1,
      order: rng.next() < 0.5 ? "jifo" : "ijfo",
      forgetBias: rng.next() < 0.3 ? 1 : 0,
      seed: 1 + rng.int(1000),
    };
  });
}

/** The case's inputs and upstream gradient. */
export function inputs(tf: Tf, c: Case) {
  const x = tf.randomNormal([c.B, c.T, 4 * c.n], 0, 1.5, "float32", c.seed) as tfjs.Tensor3D;
  const wRe = tf.randomNormal([c.n, 4 * c.n], 0, 0.6, "float32", c.seed + 1) as tfjs.Tensor2D;
  const dy = tf.randomNormal([c.B, c.T, c.n], 0, 1, "float32", c.seed + 2);
  return { x, wRe, dy };
}

/** Outputs and the gradients of sum(y * dy) with respect to x and W_re. */
export async function run(
  tf: Tf,
  c: Case,
  f: (tf: Tf, a: LstmSequenceArgs) => tfjs.Tensor3D,
): Promise<{ y: Float32Array; dx: Float32Array; dw: Float32Array }> {
  const { x, wRe, dy } = inputs(tf, c);
  const args = (a: tfjs.Tensor, b: tfjs.Tensor): LstmSequenceArgs => ({
    x: a as tfjs.Tensor3D,
    wRe: b as tfjs.Tensor2D,
    seqLens: c.lens,
    reverse: c.reverse,
    gateOrder: c.order,
    forgetBias: c.forgetBias,
  });
  const y = f(tf, args(x, wRe));
  const [dx, dw] = tf.grads((a, b) => tf.sum(tf.mul(f(tf, args(a, b)), dy)))([x, wRe]);
  const out = {
    y: await y.data() as Float32Array,
    dx: await dx.data() as Float32Array,
    dw: await dw.data() as Float32Array,
  };
  tf.dispose([x, wRe, dy, y, dx, dw]);
  return out;
}
