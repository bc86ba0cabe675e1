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

/** `clip_norm` transforms compile to a per-tensor reduction and its `tensor_scale`. */
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

/** The `tensor_scale` operation. */
export const tensorScaleOp: ElementOpKind<TensorScaleOp> = {
  op: "tensor_scale",
  needsTensor: true,
  uniforms: () => [],
  uniformValues: () => ({}),
  wgsl: (op, _k, ctx) => `gv = gv * ${ctx.tensorScale(op.reduction)};`,
  cpu(op, { g, tensorScale }) {
    const s = tensorScale(op.reduction);
    for (let j = 0; j < g.length; j++) g[j] = Math.fround(g[j] * s);
  },
};
