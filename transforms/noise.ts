/**
 * Counter-based truncated-normal noise: the draw for `(seed, step, tensor, element)` is a pure
 * function implemented identically in TypeScript and as a kernel description (rendered as WGSL
 * and WebAssembly) (a `lowbias32` integer hash, Box–Muller with
 * `ln` by a fixed series near 1 and the angle in (-π, π) where WGSL's `cos`/`sin` are accurate,
 * rejection beyond ±2σ with at most 8 rounds of two candidates, then 0).
 *
 * @module
 */

import { any, type Expr, f32, type LaneBuilder, select, splat } from "../kernels/lane.ts";

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

const LOG_C = [
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
  let acc = LOG_C[LOG_C.length - 1];
  for (let i = LOG_C.length - 2; i >= 0; i--) acc = f(LOG_C[i] + f(x * acc));
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

/** `mix32` on u32 values of a kernel description (lets keep the tree linear). */
function mixLanes(k: LaneBuilder, x0: Expr): Expr {
  let x = k.let(k.fresh("nz_m"), x0);
  x = k.let(k.fresh("nz_m"), x.xor(x.shr(16)));
  x = k.let(k.fresh("nz_m"), x.mul(0x7feb352d));
  x = k.let(k.fresh("nz_m"), x.xor(x.shr(15)));
  x = k.let(k.fresh("nz_m"), x.mul(0x846ca68b));
  return k.let(k.fresh("nz_m"), x.xor(x.shr(16)));
}

/** `logUnit` on f32 lanes: the library log up to 0.75, the fixed series above. */
function logUnitLanes(k: LaneBuilder, u: Expr): Expr {
  const x = k.let(k.fresh("nz_x"), u.sub(1));
  let acc = f32(LOG_C[LOG_C.length - 1]);
  for (let i = LOG_C.length - 2; i >= 0; i--) acc = f32(LOG_C[i]).add(x.mul(acc));
  return select(u.le(0.75), u.log(), x.mul(acc));
}

/**
 * The kernel description of `noiseKey(seed, step, tensor)` followed by `truncNormal(key, j)` per
 * element: the same operations in the same order, so that a WebAssembly rendering (its `log`,
 * `cos` and `sin` in float64, as `Math.*`) is bitwise the TypeScript reference, and WGSL computes
 * the same draw up to its transcendentals. Candidates are drawn in rounds of two (`z0`, then `z1`
 * only when some lane still needs it) until every lane has accepted one or after 8 rounds (0).
 *
 * @param k The builder (statements are appended).
 * @param seed Seed (scalar u32).
 * @param step Update attempt (scalar u32).
 * @param tensor Global tensor index (scalar u32).
 * @param j Element index per lane (u32 lanes).
 * @returns The standard normal draw per lane, truncated to [-2, 2] (f32 lanes).
 * @example Usage
 * ```ts
 * import { noiseLanes } from "./noise.ts";
 * import { LaneBuilder, u32 } from "../kernels/lane.ts";
 * import { laneWgsl } from "../kernels/lane_wgsl.ts";
 * import { match } from "node:assert/strict";
 * const k = new LaneBuilder();
 * k.set("g", k.g.add(noiseLanes(k, u32(1), u32(1), k.tensorIndex(), k.elementIndex())));
 * match(laneWgsl(k.program()), /cos\(/);
 * ```
 */
export function noiseLanes(k: LaneBuilder, seed: Expr, step: Expr, tensor: Expr, j: Expr): Expr {
  const key = mixLanes(k, mixLanes(k, mixLanes(k, seed.xor(0x9e3779b9)).xor(step)).xor(tensor));
  const base = mixLanes(k, key.xor(j.mul(0x27d4eb2f)));
  const zName = k.fresh("nz_z");
  const z = k.var(zName, splat(f32(0)));
  const done = k.fresh("nz_done");
  const doneV = k.var(done, splat(f32(0).ne(f32(0))));
  k.loop(k.fresh("nz_a"), 8, done, (a) => {
    const uniform = (h: Expr) => h.shr(9).toF32().add(0.5).mul(2 ** -23);
    const u1 = k.let(
      k.fresh("nz_u"),
      uniform(mixLanes(k, base.xor(a.mul(2).add(1).mul(0x632be5ab)))),
    );
    const u2 = k.let(
      k.fresh("nz_u"),
      uniform(mixLanes(k, base.add(a.mul(2).add(2).mul(0x85ebca6b)))),
    );
    const r = k.let(k.fresh("nz_r"), logUnitLanes(k, u1).mul(-2).sqrt());
    const th = k.let(k.fresh("nz_th"), f32(3.14159265358979).mul(u2.mul(2).sub(1)));
    const z0 = k.let(k.fresh("nz_c"), r.mul(th.cos()));
    const ok0 = k.let(k.fresh("nz_ok"), z0.abs().le(2).and(doneV.not()));
    k.set(zName, select(ok0, z0, z));
    k.set(done, doneV.or(ok0));
    k.when(any(doneV.not()), () => {
      const z1 = k.let(k.fresh("nz_s"), r.mul(th.sin()));
      const ok1 = k.let(k.fresh("nz_ok"), z1.abs().le(2).and(doneV.not()));
      k.set(zName, select(ok1, z1, z));
      k.set(done, doneV.or(ok1));
    });
  });
  return z;
}
