/**
 * Private: the home of `addNoise`: its plan operation `noise`, its uniforms, WGSL (the shared
 * `NOISE_WGSL` functions) and CPU reference (`truncNormal`, the same counter-based draw).
 *
 * @module
 */

import { any, type Expr, f32, type LaneBuilder, select, splat } from "../../kernels/lane.ts";
import { LOG_SERIES, noiseKey, truncNormal } from "../noise.ts";
import type { NoiseTransform } from "../types.ts";
import type { ElementOpKind, TransformKind } from "./_op.ts";

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
  let acc = f32(LOG_SERIES[LOG_SERIES.length - 1]);
  for (let i = LOG_SERIES.length - 2; i >= 0; i--) acc = f32(LOG_SERIES[i]).add(x.mul(acc));
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
 * import { LaneBuilder, u32 } from "../../kernels/lane.ts";
 * import { laneWgsl } from "../../kernels/lane_wgsl.ts";
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

/** The plan operation: add σ·z, z the truncated normal draw of (seed, attempt, tensor, element). */
export interface NoiseOp {
  /** Discriminant. */
  readonly op: "noise";
  /** Standard deviation σ. */
  readonly sigma: number;
  /** Seed (unsigned 32-bit). */
  readonly seed: number;
}

/**
 * `noise` transforms compile to one `noise` operation.
 *
 * @example Usage
 * ```ts
 * import { compilePlan } from "../plan.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(compilePlan([{ kind: "noise", sigma: 0.1, seed: 3 }]).ops, [{ op: "noise", sigma: 0.1, seed: 3 }]);
 * ```
 */
export const noiseKind: TransformKind<NoiseTransform> = {
  kind: "noise",
  compile(t, plan) {
    plan.ops.push({ op: "noise", sigma: t.sigma, seed: t.seed >>> 0 } as NoiseOp);
  },
};

/**
 * The `noise` operation.
 *
 * @example Usage
 * ```ts
 * import { noiseOp } from "./noise.ts";
 * import { any, type Expr, f32, type LaneBuilder, select, splat } from "../../kernels/lane.ts";
import { LOG_SERIES, noiseKey, truncNormal } from "../noise.ts";
 * import { equal } from "node:assert/strict";
 * const g = new Float32Array(2);
 * noiseOp.cpu({ op: "noise", sigma: 0.5, seed: 3 }, {
 *   g, p: new Float32Array(2), tensor: 1, attempt: 2, stepValue: 1,
 *   tensorScale: () => 1, globalScale: () => 1,
 * });
 * equal(g[1], Math.fround(0.5 * truncNormal(noiseKey(3, 2, 1), 1)));
 * ```
 */
export const noiseOp: ElementOpKind<NoiseOp> = {
  op: "noise",
  needsTensor: true,
  uniforms: (_op, k) => [[`sigma${k}`, "f32"], [`seed${k}`, "u32"]],
  uniformValues: (op, k) => ({ [`sigma${k}`]: op.sigma, [`seed${k}`]: op.seed }),
  kernel(_op, k, b) {
    const z = noiseLanes(
      b,
      b.e(`seed${k}`, "u32"),
      b.e("attempt", "u32"),
      b.tensorIndex(),
      b.elementIndex(),
    );
    b.set("g", b.g.add(select(b.valid(), b.e(`sigma${k}`).mul(z), f32(0))));
  },
  cpu(op, { g, tensor, attempt }) {
    const f = Math.fround;
    const key = noiseKey(op.seed, attempt, tensor);
    const s = f(op.sigma);
    for (let j = 0; j < g.length; j++) g[j] = f(g[j] + f(s * truncNormal(key, j)));
  },
};
