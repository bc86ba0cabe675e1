/**
 * Compile a chain of gradient transforms into what the optimizer engine runs: an ordered list of
 * element-wise operations (fused into the update kernel) and the reductions between them (norm
 * passes whose results the element-wise operations read from a GPU buffer).
 *
 * @module
 */

import type { Reduction } from "./ops/_op.ts";
import type { ClipValueOp } from "./ops/clip_value.ts";
import type { GlobalScaleOp } from "./ops/clip_global_norm.ts";
import type { TensorScaleOp } from "./ops/clip_norm.ts";
import type { NoiseOp } from "./ops/noise.ts";
import { TRANSFORM_KINDS } from "./ops/registry.ts";
import type { L2Op, PScaleOp } from "./ops/weight_decay.ts";
import type { GradientTransform } from "./types.ts";

export type { Reduction } from "./ops/_op.ts";
export type { ClipValueOp } from "./ops/clip_value.ts";
export type { GlobalScaleOp } from "./ops/clip_global_norm.ts";
export type { TensorScaleOp } from "./ops/clip_norm.ts";
export type { NoiseOp } from "./ops/noise.ts";
export type { L2Op, PScaleOp } from "./ops/weight_decay.ts";

/** One element-wise operation of a plan (each defined with its transform in `ops/`). */
export type ElementOp =
  | NoiseOp
  | ClipValueOp
  | L2Op
  | PScaleOp
  | TensorScaleOp
  | GlobalScaleOp;

/** A compiled chain. */
export interface TransformPlan {
  /** Element-wise operations, in order. */
  readonly ops: readonly ElementOp[];
  /** Reductions, in order of `at`. */
  readonly reductions: readonly Reduction[];
  /** Accumulation (K and window), if any. */
  readonly accumulate: { readonly steps: number; readonly window: "global" | "epoch" } | null;
  /** Invalid-gradient skipping: the global L2 reduction it checks, if any. */
  readonly skip: {
    readonly allowed: number;
    readonly checkInterval: number;
    readonly reduction: number;
  } | null;
  /**
   * The global reduction reported by `lastGradNorm` (-1 if none): the checked one when skipping
   * invalid steps, else the last global-norm clip, else the measuring L2 norm of
   * `trackGradNorm`.
   */
  readonly normReduction: number;
}

/**
 * Compile `transforms` (in application order) into a plan, each by its transform module (see
 * `ops/registry.ts`); `trackGradNorm` adds a measuring global L2 norm when the chain has none.
 *
 * @throws {RangeError} for an accumulation that is not first, or duplicate accumulation/skipping.
 * @example Usage
 * ```ts
 * import { compilePlan } from "./plan.ts";
 * import { deepEqual } from "node:assert/strict";
 * const plan = compilePlan([{ kind: "clip_value", clipValue: 1 }], true);
 * deepEqual(plan.ops, [{ op: "clip_value", clipValue: 1 }]);
 * deepEqual([plan.reductions.length, plan.normReduction], [1, 0]);
 * ```
 */
export function compilePlan(
  transforms: readonly GradientTransform[],
  trackGradNorm = false,
): TransformPlan {
  const ops: ElementOp[] = [];
  const reductions: Reduction[] = [];
  const builder = {
    ops,
    reductions,
    accumulate: null as TransformPlan["accumulate"],
    skip: null as TransformPlan["skip"],
    lastGlobalL2: -1,
    lastGlobal: -1,
    position: 0,
    /** A measure-only global L2 norm of the gradients processed so far (no clipping). */
    measureNorm(): number {
      reductions.push({
        scope: "global",
        at: ops.length,
        normType: 2,
        maxNorm: Infinity,
        style: "torch",
      });
      return reductions.length - 1;
    },
  };
  transforms.forEach((t, i) => {
    builder.position = i;
    const kind = TRANSFORM_KINDS.get(t.kind);
    if (!kind) {
      throw new TypeError(
        `Cannot build the transform chain as item ${i} has the unknown kind '${t.kind}': build ` +
          "transforms with clipByValue, clipByGlobalNorm, addNoise, weightDecay, ...",
      );
    }
    kind.compile(t, builder);
  });
  const { accumulate, skip } = builder;
  let normReduction = skip ? skip.reduction : builder.lastGlobal;
  if (normReduction < 0 && trackGradNorm) normReduction = builder.measureNorm();
  return { ops, reductions, accumulate, skip, normReduction };
}

/**
 * Whether a reduction measures the mini-batch's raw gradients (RETURNN TF's global-norm clip)
 * rather than the processed (accumulated, noised, clipped) ones.
 *
 * @example Usage
 * ```ts
 * import { measuresRawGradients } from "./plan.ts";
 * import { equal } from "node:assert/strict";
 * equal(measuresRawGradients({ scope: "global", style: "tf" }), true);
 * ```
 */
export function measuresRawGradients(red: Pick<Reduction, "scope" | "style">): boolean {
  return red.scope === "global" && red.style === "tf";
}
