/**
 * Private: the home of `addNoise`: its plan operation `noise`, its uniforms, WGSL (the shared
 * `NOISE_WGSL` functions) and CPU reference (`truncNormal`, the same counter-based draw).
 *
 * @module
 */

import { f32, select } from "../../kernels/lane.ts";
import { noiseKey, noiseLanes, truncNormal } from "../noise.ts";
import type { NoiseTransform } from "../types.ts";
import type { ElementOpKind, TransformKind } from "./_op.ts";

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
 * import { f32, select } from "../../kernels/lane.ts";
import { noiseKey, noiseLanes, truncNormal } from "../noise.ts";
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
