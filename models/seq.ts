/**
 * Padded sequence batches: a tensor `[B, T, ...]` with the length of each sequence beside it,
 * as every layer and loss of `models/` passes them around. Lengths live on the host (they come
 * with the batch); masks are built from them, never inferred from zeros.
 *
 * @module
 */

import type { Lengths, Tf, tfjs } from "./_tf.ts";

/** A padded batch of sequences with their lengths. */
export interface SeqTensor {
  /** `[B, T, F]` float32 (dense) or `[B, T]` int32 class indices (sparse). */
  readonly values: tfjs.Tensor;
  /** Frames per sequence (`seqLens[b] <= T`); frames past it are padding. */
  readonly seqLens: Int32Array;
  /** Features per frame (dense) or number of classes (sparse). */
  readonly dim: number;
  /** Whether `values` holds class indices. */
  readonly sparse: boolean;
  /** The host copy of sparse `values`, row-major `[B, T]`, when the batch came from the host. */
  readonly host?: Int32Array;
}

/**
 * A `[B, T]` float32 mask: 1 on real frames, 0 on padding.
 *
 * @param tf The TensorFlow.js namespace.
 * @param seqLens Frames per sequence.
 * @param T The padded length.
 * @returns The mask.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { sequenceMask } from "./seq.ts";
 *
 * assert.deepEqual(sequenceMask(tf, [2, 0], 3).arraySync(), [[1, 1, 0], [0, 0, 0]]);
 * ```
 */
export function sequenceMask(tf: Tf, seqLens: Lengths, T: number): tfjs.Tensor2D {
  return tf.tensor2d(_maskValues(seqLens, T), [seqLens.length, T]);
}

/** Row-major `[B, T]` mask values. */
export function _maskValues(seqLens: Lengths, T: number): Float32Array {
  const m = new Float32Array(seqLens.length * T);
  for (let b = 0; b < seqLens.length; b++) {
    m.fill(1, b * T, b * T + Math.min(seqLens[b], T));
  }
  return m;
}

/**
 * Zero the padded frames of a dense `[B, T, F]` tensor.
 *
 * @param tf The TensorFlow.js namespace.
 * @param values `[B, T, F]` float32.
 * @param seqLens Frames per sequence.
 * @returns `values` with zeros past each length.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { maskPadding } from "./seq.ts";
 *
 * const x = maskPadding(tf, tf.ones([1, 3, 1]), [2]);
 * assert.deepEqual(x.arraySync(), [[[1], [1], [0]]]);
 * ```
 */
export function maskPadding(tf: Tf, values: tfjs.Tensor, seqLens: Lengths): tfjs.Tensor {
  const [B, T] = values.shape as [number, number];
  const shape = [B, T, ...values.shape.slice(2).map(() => 1)];
  return tf.mul(values, tf.tensor(_maskValues(seqLens, T), shape));
}

/**
 * The real frames of a padded batch, packed one after another (sequence by sequence), like
 * PyTorch's `pack_padded_sequence(...).data` in batch order: `[sum(seqLens), ...]`.
 *
 * @param tf The TensorFlow.js namespace.
 * @param values `[B, T, ...]`.
 * @param seqLens Frames per sequence.
 * @returns `[N, ...]` with `N = sum(seqLens)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { packFrames } from "./seq.ts";
 *
 * const x = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
 * assert.deepEqual(packFrames(tf, x, [1, 2]).arraySync(), [1, 4, 5]);
 * ```
 */
export function packFrames(tf: Tf, values: tfjs.Tensor, seqLens: Lengths): tfjs.Tensor {
  const [B, T] = values.shape as [number, number];
  const idx: number[] = [];
  for (let b = 0; b < B; b++) for (let t = 0; t < seqLens[b]; t++) idx.push(b * T + t);
  const flat = tf.reshape(values, [B * T, ...values.shape.slice(2)]);
  return tf.gather(flat, tf.tensor1d(idx, "int32"));
}
