/**
 * Test helper: run CTC fixture cases (PyTorch's losses and gradients) through
 * {@linkcode ctcLoss} on a backend and measure the worst error against the README's tolerance.
 *
 * @module
 */

import type { Tf } from "../_tf.ts";
import { ctcLoss, type CtcLossOptions } from "./ctc.ts";

/** One case of `tests/fixtures/torch/ctc*.json`. */
export interface CtcCase {
  id: string;
  logits: number[][][];
  targets: number[][];
  input_lengths: number[];
  target_lengths: number[];
  blank: number;
  loss_per_seq: (number | "inf")[];
  grad_logits: number[][][];
}

/** Worst errors over cases, each as a fraction of its tolerance (pass: both at most 1). */
export interface CtcCheck {
  /** max |loss - expected| / (1e-4 * max(1, |expected|)) */
  loss: number;
  /** max |grad - expected| / (1e-4 * max(1, max |expected grad|)) */
  grad: number;
  /** The case with the worst ratio. */
  worst: string;
  /** Infinite losses that came out finite or the other way round. */
  infMismatch: string[];
}

/**
 * Run cases and compare.
 *
 * @param tf TensorFlow.js on the backend to test.
 * @param cases The cases.
 * @param impl The implementation to check. @default "auto"
 * @returns The worst ratios.
 */
export async function checkCtcCases(
  tf: Tf,
  cases: readonly CtcCase[],
  impl: CtcLossOptions["impl"] = "auto",
): Promise<CtcCheck> {
  let lossWorst = 0, gradWorst = 0, worst = "";
  const infMismatch: string[] = [];
  for (const c of cases) {
    const logits = tf.tensor3d(c.logits);
    const targets = tf.tensor2d(c.targets, [c.targets.length, c.targets[0]?.length ?? 0], "int32");
    const finite = c.loss_per_seq.map((v) => v !== "inf");
    const loss = ctcLoss(tf, logits, targets, c.input_lengths, c.target_lengths, {
      blank: c.blank,
      impl,
    });
    const got = await loss.data();
    const weights = tf.tensor1d(finite.map((f) => (f ? 1 : 0)), "bool");
    const grad = tf.grad((x) => {
      const l = ctcLoss(tf, x, targets, c.input_lengths, c.target_lengths, {
        blank: c.blank,
        impl,
      });
      return tf.sum(tf.where(weights, l, tf.zerosLike(l)));
    })(logits);
    const g = await grad.data();
    let maxG = 0;
    const flat = c.grad_logits.flat(2);
    for (const v of flat) maxG = Math.max(maxG, Math.abs(v));
    c.loss_per_seq.forEach((e, b) => {
      if (e === "inf") {
        if (got[b] !== Infinity) infMismatch.push(`${c.id}[${b}]: ${got[b]} instead of inf`);
        return;
      }
      if (!Number.isFinite(got[b])) infMismatch.push(`${c.id}[${b}]: ${got[b]} instead of ${e}`);
      const r = Math.abs(got[b] - e) / (1e-4 * Math.max(1, Math.abs(e)));
      if (r > lossWorst) [lossWorst, worst] = [r, c.id];
    });
    for (let i = 0; i < flat.length; i++) {
      const r = Math.abs(g[i] - flat[i]) / (1e-4 * Math.max(1, maxG));
      if (!(r <= gradWorst)) [gradWorst, worst] = [Number.isNaN(r) ? Infinity : r, c.id];
    }
    tf.dispose([logits, targets, loss, weights, grad]);
  }
  return { loss: lossWorst, grad: gradWorst, worst, infMismatch };
}
