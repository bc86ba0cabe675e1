/**
 * Private: the home of `clipByNorm`: a per-tensor L2 reduction and the plan operation
 * `tensor_scale`, which multiplies each tensor by its scale `c/max(‖g‖, c)`.
 *
 * @module
 */

import type { ClipNormTransform } from "../types.ts";
import type { ElementOpKind, TransformKind } from "./_op.ts";

/** The plan operation: multiply by the per-tensor scale of a reduction. */
export interface TensorScaleOp {
  /** Discriminant. */
  readonly op: "tensor_scale";
  /** The reduction. */
  readonly reduction: number;
}

/**
 * `clip_norm` transforms compile to a per-tensor reduction and its `tensor_scale`.
 *
 * @example Usage
 * ```ts
 * import { compilePlan } from "../plan.ts";
 * import { deepEqual } from "node:assert/strict";
 * const plan = compilePlan([{ kind: "clip_norm", maxNorm: 5 }]);
 * deepEqual(plan.ops, [{ op: "tensor_scale", reduction: 0 }]);
 * deepEqual(plan.reductions[0].scope, "tensor");
 * ```
 */
export const clipNormKind: TransformKind<ClipNormTransform> = {
  kind: "clip_norm",
  compile(t, plan) {
    plan.reductions.push({
      scope: "tensor",
      at: plan.ops.length,
      normType: 2,
      maxNorm: t.maxNorm,
      style: "tf",
    });
    plan.ops.push({ op: "tensor_scale", reduction: plan.reductions.length - 1 } as TensorScaleOp);
  },
};

/**
 * The `tensor_scale` operation.
 *
 * @example Usage
 * ```ts
 * import { tensorScaleOp } from "./clip_norm.ts";
 * import { deepEqual } from "node:assert/strict";
 * const g = new Float32Array([2, 4]);
 * tensorScaleOp.cpu({ op: "tensor_scale", reduction: 0 }, {
 *   g, p: new Float32Array(2), tensor: 0, attempt: 1, stepValue: 1,
 *   tensorScale: () => 0.5, globalScale: () => 1,
 * });
 * deepEqual([...g], [1, 2]);
 * ```
 */
export const tensorScaleOp: ElementOpKind<TensorScaleOp> = {
  op: "tensor_scale",
  needsTensor: true,
  uniforms: () => [],
  uniformValues: () => ({}),
  kernel: (op, _k, b) => b.set("g", b.g.mul(b.tensorScale(op.reduction))),
  cpu(op, { g, tensorScale }) {
    const s = tensorScale(op.reduction);
    for (let j = 0; j < g.length; j++) g[j] = Math.fround(g[j] * s);
  },
};
