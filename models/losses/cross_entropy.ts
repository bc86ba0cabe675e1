/**
 * Frame-wise cross-entropy and frame errors of padded batches (mark them with their lengths:
 * the padded frames then drop out of the sums and of the frame counts).
 *
 * @module
 */

import type { Tf, tfjs } from "../_tf.ts";

/**
 * Cross-entropy of each frame, `-log softmax(logits)[target]`, as TensorFlow's fused
 * `sparse_softmax_cross_entropy_with_logits`.
 *
 * @param tf The TensorFlow.js namespace.
 * @param logits `[B, T, C]` (or `[N, C]`) unnormalised scores.
 * @param targets `[B, T]` (or `[N]`) class indices; any value on padded frames is fine (it
 * is clamped into range; mask those frames when marking the loss).
 * @returns `[B, T]` (or `[N]`) losses.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { crossEntropyPerFrame } from "./cross_entropy.ts";
 *
 * const ce = crossEntropyPerFrame(tf, tf.zeros([1, 2, 4]), tf.tensor2d([[0, 3]], [1, 2], "int32"));
 * assert.ok(Math.abs(ce.dataSync()[1] - Math.log(4)) < 1e-6);
 * ```
 */
export function crossEntropyPerFrame(
  tf: Tf,
  logits: tfjs.Tensor,
  targets: tfjs.Tensor,
): tfjs.Tensor {
  return tf.tidy(() => {
    const C = logits.shape[logits.rank - 1];
    const t = tf.clipByValue(
      targets.dtype === "int32" ? targets : tf.cast(targets, "int32"),
      0,
      C - 1,
    );
    const lp = tf.logSoftmax(logits);
    return tf.neg(tf.sum(tf.mul(lp, tf.oneHot(t as tfjs.Tensor, C)), -1));
  });
}

/**
 * 1 where the arg-max class of a frame differs from the target, 0 elsewhere (float32).
 *
 * @param tf The TensorFlow.js namespace.
 * @param scores `[B, T, C]` logits or probabilities.
 * @param targets `[B, T]` class indices.
 * @returns `[B, T]` frame errors.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { frameErrors } from "./cross_entropy.ts";
 *
 * const e = frameErrors(tf, tf.tensor3d([[[1, 0], [0, 1]]]), tf.tensor2d([[0, 0]], [1, 2], "int32"));
 * assert.deepEqual(Array.from(e.dataSync()), [0, 1]);
 * ```
 */
export function frameErrors(tf: Tf, scores: tfjs.Tensor, targets: tfjs.Tensor): tfjs.Tensor {
  return tf.tidy(() =>
    tf.cast(tf.notEqual(tf.argMax(scores, -1), tf.cast(targets, "int32")), "float32")
  );
}
