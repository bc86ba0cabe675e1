/**
 * `numpy.mean` of float64 values, bit for bit (spec 12.1): numpy sums with pairwise summation
 * and eight accumulators, which can differ from a left-to-right sum in the last bit.
 *
 * @module
 */

/** numpy's `pairwise_sum` of `values[start .. start+n)`, in numpy's order. */
function _pairwiseSum(values: readonly number[], start: number, n: number): number {
  if (n < 8) {
    let s = -0;
    for (let i = 0; i < n; i++) s += values[start + i];
    return s;
  }
  if (n <= 128) {
    const r = new Float64Array(8);
    for (let j = 0; j < 8; j++) r[j] = values[start + j];
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (let j = 0; j < 8; j++) r[j] += values[start + i + j];
    }
    let s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; i++) s += values[start + i];
    return s;
  }
  let h = Math.floor(n / 2);
  h -= h % 8;
  return _pairwiseSum(values, start, h) + _pairwiseSum(values, start + h, n - h);
}

/**
 * `float(numpy.mean(values))` for a non-empty list of float64 values.
 *
 * @param values The values (at least one).
 * @returns Their mean, exactly as numpy computes it.
 * @throws {RangeError} For an empty list.
 *
 * @example Usage
 * ```ts
 * import { numpyMean } from "./numpy_mean.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(numpyMean([1, 2, 3, 4]), 2.5);
 * ```
 */
export function numpyMean(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("Cannot take the mean of no values");
  return _pairwiseSum(values, 0, values.length) / values.length;
}
