/**
 * Private: the home of `clipByGlobalNorm`: a global reduction (of the processed gradients,
 * torch style, or of the raw ones, TF style) and the plan operation `global_scale`, which
 * multiplies every tensor by the clip coefficient.
 *
 * @module
 */

import type { ClipGlobalNormTransform } from "../types.ts";
import type { ElementOpKind, TransformKind } from "./_op.ts";

/** The plan operation: multiply by the global coefficient of a reduction. */
export interface GlobalScaleOp {
  /** Discriminant. */
  readonly op: "global_scale";
  /** The reduction. */
  readonly reduction: number;
}

/**
 * `clip_global_norm` transforms compile to a global reduction and its `global_scale`.
 *
 * @example Usage
 * ```ts
 * import { compilePlan } from "../plan.ts";
 * import { deepEqual } from "node:assert/strict";
 * const plan = compilePlan([{ kind: "clip_global_norm", maxNorm: 1, normType: 2, style: "tf" }]);
 * deepEqual(plan.ops, [{ op: "global_scale", reduction: 0 }]);
 * deepEqual(plan.reductions[0].at, 0); // tf style: the raw gradients
 * ```
 */
export const clipGlobalNormKind: TransformKind<ClipGlobalNormTransform> = {
  kind: "clip_global_norm",
  compile(t, plan) {
    plan.reductions.push({
      scope: "global",
      at: t.style === "tf" ? 0 : plan.ops.length,
      normType: t.normType,
      maxNorm: t.maxNorm,
      style: t.style,
    });
    plan.lastGlobal = plan.reductions.length - 1;
    if (t.normType === 2 && t.style === "torch") plan.lastGlobalL2 = plan.reductions.length - 1;
    plan.ops.push({ op: "global_scale", reduction: plan.reductions.length - 1 } as GlobalScaleOp);
  },
};

/**
 * The `global_scale` operation.
 *
 * @example Usage
 * ```ts
 * import { globalScaleOp } from "./clip_global_norm.ts";
 * import { deepEqual } from "node:assert/strict";
 * const g = new Float32Array([2, 4]);
 * globalScaleOp.cpu({ op: "global_scale", reduction: 0 }, {
 *   g, p: new Float32Array(2), tensor: 0, attempt: 1, stepValue: 1,
 *   tensorScale: () => 1, globalScale: () => 0.25,
 * });
 * deepEqual([...g], [0.5, 1]);
 * ```
 */
export const globalScaleOp: ElementOpKind<GlobalScaleOp> = {
  op: "global_scale",
  needsTensor: false,
  uniforms: () => [],
  uniformValues: () => ({}),
  kernel: (op, _k, b) => b.set("g", b.g.mul(b.globalScale(op.reduction))),
  cpu(op, { g, globalScale }) {
    const s = globalScale(op.reduction);
    for (let j = 0; j < g.length; j++) g[j] = Math.fround(g[j] * s);
  },
};
