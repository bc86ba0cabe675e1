/**
 * Levenshtein distance between label sequences (the numerator of the label error rate).
 *
 * @module
 */

/**
 * Edit distance between two label sequences: the least number of insertions, deletions and
 * substitutions turning `hyp` into `ref` (as TensorFlow's `tf.edit_distance(normalize=False)`).
 *
 * @param hyp The hypothesis.
 * @param ref The reference.
 * @returns The distance.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { editDistance } from "./edit_distance.ts";
 *
 * assert.equal(editDistance([1, 2, 3], [1, 3]), 1);
 * assert.equal(editDistance([], [4, 4]), 2);
 * ```
 */
export function editDistance(hyp: ArrayLike<number>, ref: ArrayLike<number>): number {
  const n = hyp.length, m = ref.length;
  if (n === 0) return m;
  if (m === 0) return n;
  let prev = new Int32Array(m + 1);
  let cur = new Int32Array(m + 1);
  for (let j = 0; j <= m; j++) prev[j] = j;
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    const h = hyp[i - 1];
    for (let j = 1; j <= m; j++) {
      const sub = prev[j - 1] + (h === ref[j - 1] ? 0 : 1);
      cur[j] = Math.min(sub, prev[j] + 1, cur[j - 1] + 1);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[m];
}
