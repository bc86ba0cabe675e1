/**
 * The TensorFlow.js types the models use (type-only: importing this loads nothing).
 *
 * @module
 */

import type { Tf } from "../trainer/tfjs_backend.ts";

export type { Tf };

/** Sequence lengths: one per sequence, as plain numbers or an `Int32Array`. */
export type Lengths = readonly number[] | Int32Array;

/**
 * TensorFlow.js' tensor types, named through the namespace type {@linkcode Tf} (type-only:
 * naming them loads nothing).
 */
export declare namespace tfjs {
  /** A tensor of any rank. */
  export type Tensor = InstanceType<Tf["Tensor"]>;
  /** A trainable (or not) variable. */
  export type Variable = ReturnType<Tf["variable"]>;
  /** A rank-0 tensor. */
  export type Scalar = ReturnType<Tf["scalar"]>;
  /** A rank-1 tensor. */
  export type Tensor1D = ReturnType<Tf["tensor1d"]>;
  /** A rank-2 tensor. */
  export type Tensor2D = ReturnType<Tf["tensor2d"]>;
  /** A rank-3 tensor. */
  export type Tensor3D = ReturnType<Tf["tensor3d"]>;
  /** A tfjs optimizer (`tf.train.adam(...)`). */
  export type Optimizer = InstanceType<Tf["Optimizer"]>;
  /** What `tf.customGrad`'s function saves tensors for the gradient with. */
  export type GradSaveFunc = (tensors: Tensor[]) => void;
}

/**
 * Check sequence lengths against a batch size and a maximum, and copy them to an `Int32Array`.
 *
 * @param what What the lengths are, for the message (`'inputLengths'`).
 * @param lengths The lengths.
 * @param batch The expected number of sequences.
 * @param max The largest allowed length (the padded size).
 * @returns The lengths as an `Int32Array`.
 * @throws {TypeError} If `lengths` is not an array of integers.
 * @throws {RangeError} If there are not `batch` of them, or one is negative or above `max`.
 */
export function _checkLengths(
  what: string,
  lengths: Lengths,
  batch: number,
  max: number,
): Int32Array {
  if (!Array.isArray(lengths) && !(lengths instanceof Int32Array)) {
    throw new TypeError(
      `'${what}' must be a number[] or an Int32Array: current value is ${typeof lengths}`,
    );
  }
  if (lengths.length !== batch) {
    throw new RangeError(
      `'${what}' must have one entry per sequence (${batch}): current length is ${lengths.length}`,
    );
  }
  const out = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    const n = lengths[b];
    if (!Number.isInteger(n) || n < 0 || n > max) {
      throw new RangeError(
        `'${what}[${b}]' must be an integer in [0, ${max}] (the padded size): current value is ${n}`,
      );
    }
    out[b] = n;
  }
  return out;
}
