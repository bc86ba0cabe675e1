/**
 * Counter-based truncated-normal noise: the draw for `(seed, step, tensor, element)` is a pure
 * function implemented identically in TypeScript and as a kernel description (rendered as WGSL
 * and WebAssembly) (a `lowbias32` integer hash, Box–Muller with
 * `ln` by a fixed series near 1 and the angle in (-π, π) where WGSL's `cos`/`sin` are accurate,
 * rejection beyond ±2σ with at most 8 rounds of two candidates, then 0).
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
 * Coefficients of the series `ln(u) = x·(1 + x·(-1/2 + x·(1/3 + ...)))`, x = u - 1, used for
 * u > 0.75 (float32, 1/1 to -1/14 and 1/15).
 *
 * @example Usage
 * ```ts
 * import { LOG_SERIES } from "./noise.ts";
 * import { equal } from "node:assert/strict";
 * equal(LOG_SERIES[1], -0.5);
 * ```
 */
export const LOG_SERIES: readonly number[] = [
  1,
  -1 / 2,
  1 / 3,
  -1 / 4,
  1 / 5,
  -1 / 6,
  1 / 7,
  -1 / 8,
  1 / 9,
  -1 / 10,
  1 / 11,
  -1 / 12,
  1 / 13,
  -1 / 14,
  1 / 15,
].map(Math.fround);

/**
 * `ln(u)` for u in (0, 1), float32: a fixed series near 1 (where library `log`s differ most),
 * the library `log` elsewhere. Same algorithm as WGSL's `nb_log_unit`.
 */
function logUnit(u: number): number {
  const f = Math.fround;
  if (u <= 0.75) return f(Math.log(u));
  const x = f(u - 1);
  let acc = LOG_SERIES[LOG_SERIES.length - 1];
  for (let i = LOG_SERIES.length - 2; i >= 0; i--) acc = f(LOG_SERIES[i] + f(x * acc));
  return f(x * acc);
}

/**
 * Standard normal draw truncated to [-2, 2] for element `j` under `key` (see `noiseKey`),
 * rounded to float32.
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
  const f = Math.fround;
  const base = mix32((key ^ Math.imul(j >>> 0, 0x27d4eb2f)) >>> 0);
  for (let a = 0; a < 8; a++) {
    const u1 = f(((mix32((base ^ Math.imul(2 * a + 1, 0x632be5ab)) >>> 0) >>> 9) + 0.5) * 2 ** -23);
    const u2 = f(((mix32((base + Math.imul(2 * a + 2, 0x85ebca6b)) >>> 0) >>> 9) + 0.5) * 2 ** -23);
    const r = f(Math.sqrt(f(-2 * logUnit(u1))));
    const th = f(f(3.14159265358979) * f(f(2 * u2) - 1));
    const z0 = f(r * f(Math.cos(th)));
    if (Math.abs(z0) <= 2) return z0;
    const z1 = f(r * f(Math.sin(th)));
    if (Math.abs(z1) <= 2) return z1;
  }
  return 0;
}
