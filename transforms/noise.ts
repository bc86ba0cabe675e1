/**
 * Counter-based truncated-normal noise: the draw for `(seed, step, tensor, element)` is a pure
 * function, written once as this TypeScript reference and once as a kernel description (rendered
 * as WGSL and WebAssembly) with the same float32 operations: a `lowbias32` integer hash of the
 * element's counter, its top 24 bits as a uniform, and the truncated normal's quantile as a
 * rational function (only +, -, ×, ÷: no library transcendental, no rejection, no branch).
 *
 * @module
 */

/**
 * Integer finaliser (`lowbias32`): a bijective 32-bit hash.
 *
 * @example Usage
 * ```ts
 * import { mix32 } from "./noise.ts";
 * import { equal } from "node:assert/strict";
 * equal(mix32(0), 0);
 * equal(mix32(1), 1753845952);
 * ```
 */
export function mix32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * Key of one (seed, step, tensor) triple; the element index is mixed in by `truncNormal`.
 *
 * @example Usage
 * ```ts
 * import { noiseKey } from "./noise.ts";
 * import { notEqual } from "node:assert/strict";
 * notEqual(noiseKey(1, 1, 0), noiseKey(1, 2, 0));
 * ```
 */
export function noiseKey(seed: number, step: number, tensor: number): number {
  return mix32(mix32(mix32((seed ^ 0x9e3779b9) >>> 0) ^ (step >>> 0)) ^ (tensor >>> 0));
}

/**
 * The truncated normal quantile as float32 constants: the draw is `z = q·P(t)/Q(t)` with
 * `q = (u - (2^23 - 1/2))·C` for a 24-bit integer `u`, `t = (1/2 - |q|)(1/2 + |q|)`, `P` and `Q`
 * of degree 4 (coefficients from t^0, `Q[0] = 1`), fitted to `Φ⁻¹(1/2 + q)/q` on
 * `|q| < W/2`, `W = 2Φ(2) - 1` (`tests/fixtures/noise_quantile/make.py`). `C` is `W·2^-24`, so
 * `1/2 + q` is uniform over 2^24 midpoints of `(Φ(-2), Φ(2))` and `z` a standard normal truncated
 * to [-2, 2] without rejection; float32 evaluation is within 6 ulp of the exact quantile of `q`.
 *
 * @example Usage
 * ```ts
 * import { NORMAL_QUANTILE } from "./noise.ts";
 * import { equal } from "node:assert/strict";
 * equal(NORMAL_QUANTILE.q[0], 1);
 * ```
 */
export const NORMAL_QUANTILE: {
  readonly c: number;
  readonly p: readonly number[];
  readonly q: readonly number[];
} = Object.freeze({
  c: Math.fround(5.6892616839832044e-08),
  p: [6.221014499664307, 1052.0950927734375, 24169.78125, 94705.84375, 34704.55859375],
  q: [1, 229.5735321044922, 7223.47900390625, 43945.4453125, 40442.921875],
});

/**
 * The truncated normal draw of the 24-bit integer `u` (see {@linkcode NORMAL_QUANTILE}), every
 * operation rounded to float32 as the kernels do.
 *
 * @example Usage
 * ```ts
 * import { normalQuantile } from "./noise.ts";
 * import { equal } from "node:assert/strict";
 * equal(normalQuantile(2 ** 23), -normalQuantile(2 ** 23 - 1));
 * equal(Math.abs(normalQuantile(0)) <= 2, true);
 * ```
 */
export function normalQuantile(u: number): number {
  const f = Math.fround;
  const { c, p, q: qc } = NORMAL_QUANTILE;
  const q = f(f(u - 8388607.5) * c);
  const a = Math.abs(q);
  const t = f(f(0.5 - a) * f(0.5 + a));
  let num = p[p.length - 1];
  for (let i = p.length - 2; i >= 0; i--) num = f(f(num * t) + p[i]);
  let den = qc[qc.length - 1];
  for (let i = qc.length - 2; i >= 0; i--) den = f(f(den * t) + qc[i]);
  return f(f(q * num) / den);
}

/**
 * Standard normal draw truncated to [-2, 2] for element `j` under `key` (see `noiseKey`),
 * rounded to float32: the top 24 bits of `mix32(key ^ j·0x27d4eb2f)` through
 * {@linkcode normalQuantile}.
 *
 * @example Usage
 * ```ts
 * import { noiseKey, truncNormal } from "./noise.ts";
 * import { equal } from "node:assert/strict";
 * const z = truncNormal(noiseKey(1, 1, 0), 5);
 * equal(Math.abs(z) <= 2, true);
 * equal(z, truncNormal(noiseKey(1, 1, 0), 5));
 * ```
 */
export function truncNormal(key: number, j: number): number {
  return normalQuantile(mix32((key ^ Math.imul(j >>> 0, 0x27d4eb2f)) >>> 0) >>> 8);
}
