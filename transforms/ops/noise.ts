/**
 * Private: the home of `addNoise`: its plan operation `noise`, its uniforms, its kernel
 * description (`noiseLanes`, rendered as WGSL and WebAssembly) and CPU reference (`truncNormal`,
 * the same counter-based draw).
 *
 * @module
 */

import { type Expr, f32, type LaneBuilder, select } from "../../kernels/lane.ts";
import { noiseKey, NORMAL_QUANTILE, truncNormal } from "../noise.ts";
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

/** `normalQuantile` on lanes of 24-bit integers (u32). */
function quantileLanes(k: LaneBuilder, u: Expr): Expr {
  const { c, p, q: qc } = NORMAL_QUANTILE;
  const q = k.let(k.fresh("nz_q"), u.toF32().sub(8388607.5).mul(c));
  // (1/2 - q)(1/2 + q): the reference's (1/2 - |q|)(1/2 + |q|) with its factors swapped where
  // q < 0 (negation is exact), so the same bits without the |q|.
  const t = k.let(k.fresh("nz_t"), f32(0.5).sub(q).mul(f32(0.5).add(q)));
  const horner = (cs: readonly number[]) => {
    let acc: Expr = f32(cs[cs.length - 1]);
    for (let i = cs.length - 2; i >= 0; i--) acc = acc.mul(t).add(cs[i]);
    return acc;
  };
  return q.mul(horner(p)).div(horner(qc));
}

/**
 * The kernel description of `noiseKey(seed, step, tensor)` followed by `truncNormal(key, j)` per
 * element: the same float32 operations in the same order as the TypeScript reference (integer
 * hash, then the rational quantile of `NORMAL_QUANTILE`), so every rendering that rounds +, -, ×
 * and ÷ as IEEE float32 (WebAssembly always) is bitwise the reference.
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
 * import { doesNotMatch } from "node:assert/strict";
 * const k = new LaneBuilder();
 * k.set("g", k.g.add(noiseLanes(k, u32(1), u32(1), k.tensorIndex(), k.elementIndex())));
 * doesNotMatch(laneWgsl(k.program()), /log\(|cos\(|sin\(|for \(/);
 * ```
 */
export function noiseLanes(k: LaneBuilder, seed: Expr, step: Expr, tensor: Expr, j: Expr): Expr {
  const key = mixLanes(k, mixLanes(k, mixLanes(k, seed.xor(0x9e3779b9)).xor(step)).xor(tensor));
  const h = mixLanes(k, key.xor(j.mul(0x27d4eb2f)));
  return k.let(k.fresh("nz_z"), quantileLanes(k, h.shr(8)));
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
 * import { noiseKey, truncNormal } from "../noise.ts";
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
