/**
 * Greedy (best-path) CTC decoding and the label errors RETURNN reports as the CTC layer's
 * error (edit distances, summed; the score divides them by the reference labels).
 *
 * @module
 */

import { _checkLengths, type Lengths } from "../_tf.ts";
import { editDistance } from "./edit_distance.ts";

/**
 * Best-path decoding of frame scores: the arg-max class of each frame, repeats merged, blanks
 * removed (TensorFlow's `ctc_greedy_decoder` with `merge_repeated`). Frames past each input
 * length are ignored. Ties pick the lowest class index.
 *
 * @param scores Row-major `[B, T, C]` logits, log-probabilities or probabilities.
 * @param shape `[B, T, C]`.
 * @param inputLengths Frames per sequence.
 * @param blank Index of the blank class.
 * @returns One label sequence per sequence.
 * @throws {RangeError} If the shape does not match `scores` or a length is out of range.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ctcGreedyDecode } from "./ctc_decode.ts";
 *
 * // Frames: a a _ a b (blank 0, a 1, b 2)
 * const s = new Float32Array([0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]);
 * assert.deepEqual(ctcGreedyDecode(s, [1, 5, 3], [5], 0), [[1, 1, 2]]);
 * ```
 */
export function ctcGreedyDecode(
  scores: ArrayLike<number>,
  shape: readonly [number, number, number],
  inputLengths: Lengths,
  blank: number,
): number[][] {
  const [B, T, C] = shape;
  if (scores.length !== B * T * C) {
    throw new RangeError(
      `Cannot decode as 'scores' has ${scores.length} values and the shape [${shape}] needs ` +
        `${B * T * C}`,
    );
  }
  const best = new Int32Array(B * T);
  for (let i = 0; i < B * T; i++) {
    const o = i * C;
    let k = 0;
    for (let c = 1; c < C; c++) if (scores[o + c] > scores[o + k]) k = c;
    best[i] = k;
  }
  return ctcCollapse(best, [B, T], inputLengths, blank);
}

/**
 * Turn best paths (one class per frame) into label sequences: repeats merged, blanks removed,
 * frames past each length ignored.
 *
 * @param best Row-major `[B, T]` classes.
 * @param shape `[B, T]`.
 * @param inputLengths Frames per sequence.
 * @param blank Index of the blank class.
 * @returns One label sequence per sequence.
 * @throws {RangeError} If a length is out of range.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ctcCollapse } from "./ctc_decode.ts";
 *
 * assert.deepEqual(ctcCollapse([1, 1, 0, 1, 2, 2], [1, 6], [6], 0), [[1, 1, 2]]);
 * ```
 */
export function ctcCollapse(
  best: ArrayLike<number>,
  shape: readonly [number, number],
  inputLengths: Lengths,
  blank: number,
): number[][] {
  const [B, T] = shape;
  const lens = _checkLengths("inputLengths", inputLengths, B, T);
  const out: number[][] = [];
  for (let b = 0; b < B; b++) {
    const seq: number[] = [];
    let last = -1;
    for (let t = 0; t < lens[b]; t++) {
      const c = best[b * T + t];
      if (c !== last && c !== blank) seq.push(c);
      last = c;
    }
    out.push(seq);
  }
  return out;
}

/**
 * Label errors of hypotheses against padded references: the summed edit distance and the
 * number of reference labels (label error rate = `errors / labels`).
 *
 * @param hyps One label sequence per sequence.
 * @param targets Row-major `[B, S]` references (padding past each length is ignored).
 * @param targetLengths Labels per reference.
 * @returns `{errors, labels}`.
 * @throws {RangeError} If the numbers of sequences disagree.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { labelErrors } from "./ctc_decode.ts";
 *
 * const r = labelErrors([[1, 2], [3]], new Int32Array([1, 2, -1, 3, 3, 3]), [2, 3]);
 * assert.deepEqual(r, { errors: 2, labels: 5 });
 * ```
 */
export function labelErrors(
  hyps: readonly (readonly number[])[],
  targets: ArrayLike<number>,
  targetLengths: Lengths,
): { errors: number; labels: number } {
  const B = hyps.length;
  const S = B === 0 ? 0 : targets.length / B;
  if (!Number.isInteger(S)) {
    throw new RangeError(
      `Cannot count label errors as 'targets' has ${targets.length} values for ${B} sequences`,
    );
  }
  const lens = _checkLengths("targetLengths", targetLengths, B, S);
  let errors = 0, labels = 0;
  for (let b = 0; b < B; b++) {
    const ref = Array.from({ length: lens[b] }, (_, s) => targets[b * S + s]);
    errors += editDistance(hyps[b], ref);
    labels += lens[b];
  }
  return { errors, labels };
}
