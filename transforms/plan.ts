/**
 * Compile a chain of gradient transforms into what the optimizer engine runs: an ordered list of
 * element-wise operations (fused into the update kernel) and the reductions between them (norm
 * passes whose results the element-wise operations read from a GPU buffer).
 *
 * @module
 */

import type { GradientTransform, NormType } from "./types.ts";

/** One element-wise operation of a plan. */
export type ElementOp =
  | { readonly op: "noise"; readonly sigma: number; readonly seed: number }
  | { readonly op: "clip_value"; readonly clipValue: number }
  | { readonly op: "l2"; readonly rate: number }
  | { readonly op: "p_scale"; readonly rate: number; readonly lrScaled: boolean }
  | { readonly op: "tensor_scale"; readonly reduction: number }
  | { readonly op: "global_scale"; readonly reduction: number };

/** A norm pass: the norm of the gradient after the first `at` operations. */
export interface Reduction {
  /** Per-tensor (`clip_norm`) or over all tensors. */
  readonly scope: "tensor" | "global";
  /** Number of element-wise operations applied to the raw gradient before the norm is taken. */
  readonly at: number;
  /** Norm type. */
  readonly normType: NormType;
  /** Clip bound (Infinity for a norm that is only measured). */
  readonly maxNorm: number;
  /** Coefficient style: torch `min(c/(N+1e-6),1)`, tf `c/max(N,c)`. */
  readonly style: "torch" | "tf";
}

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
 * Compile `transforms` (in application order) into a plan; `trackGradNorm` adds a measuring
 * global L2 norm when the chain has none.
 *
 * @throws {RangeError} for an accumulation that is not first, or duplicate accumulation/skipping.
 * @example Usage
 * ```ts
 * import { compilePlan, type ElementOp, type Reduction, type TransformPlan } from "./plan.ts";
 * const plan: TransformPlan = compilePlan([{ kind: "clip_value", clipValue: 1 }]);
 * const ops: readonly ElementOp[] = plan.ops;
 * const reductions: readonly Reduction[] = plan.reductions;
 * console.assert(ops.length === 1 && reductions.length === 0);
 * ```
 */
export function compilePlan(
  transforms: readonly GradientTransform[],
  trackGradNorm = false,
): TransformPlan {
  const ops: ElementOp[] = [];
  const reductions: Reduction[] = [];
  let accumulate: TransformPlan["accumulate"] = null;
  let skip: TransformPlan["skip"] = null;
  let lastGlobalL2 = -1;
  let lastGlobal = -1;
  /** A measure-only global L2 norm of the gradients processed so far (no clipping). */
  const measureNorm = (): number => {
    reductions.push({
      scope: "global",
      at: ops.length,
      normType: 2,
      maxNorm: Infinity,
      style: "torch",
    });
    return reductions.length - 1;
  };
  transforms.forEach((t, i) => {
    switch (t.kind) {
      case "accumulate":
        if (i !== 0 || accumulate) {
          throw new RangeError(
            "Cannot build the transform chain as accumulation must come first (it sums raw " +
              `gradients): it is at position ${i}; move it to the front`,
          );
        }
        accumulate = { steps: t.steps, window: t.window };
        break;
      case "noise":
        ops.push({ op: "noise", sigma: t.sigma, seed: t.seed >>> 0 });
        break;
      case "clip_value":
        ops.push({ op: "clip_value", clipValue: t.clipValue });
        break;
      case "weight_decay":
        if (t.rate === 0) break;
        ops.push(
          t.mode === "coupled"
            ? { op: "l2", rate: t.rate }
            : { op: "p_scale", rate: t.rate, lrScaled: t.mode === "decoupled" },
        );
        break;
      case "clip_norm":
        reductions.push({
          scope: "tensor",
          at: ops.length,
          normType: 2,
          maxNorm: t.maxNorm,
          style: "tf",
        });
        ops.push({ op: "tensor_scale", reduction: reductions.length - 1 });
        break;
      case "clip_global_norm":
        reductions.push({
          scope: "global",
          at: t.style === "tf" ? 0 : ops.length,
          normType: t.normType,
          maxNorm: t.maxNorm,
          style: t.style,
        });
        lastGlobal = reductions.length - 1;
        if (t.normType === 2 && t.style === "torch") lastGlobalL2 = reductions.length - 1;
        ops.push({ op: "global_scale", reduction: reductions.length - 1 });
        break;
      case "skip_invalid": {
        if (skip) throw new RangeError("Cannot build the transform chain as it skips twice");
        let r = lastGlobalL2;
        if (r < 0 || reductions[r].at + 1 !== ops.length) {
          // No norm of the current gradients: measure one here.
          r = measureNorm();
        }
        skip = { allowed: t.allowed, checkInterval: t.checkInterval, reduction: r };
        break;
      }
    }
  });
  let normReduction = skip ? (skip as { reduction: number }).reduction : lastGlobal;
  if (normReduction < 0 && trackGradNorm) normReduction = measureNorm();
  return { ops, reductions, accumulate, skip, normReduction };
}

/**
 * Whether a reduction measures the mini-batch's raw gradients (RETURNN TF's global-norm clip)
 * rather than the processed (accumulated, noised, clipped) ones.
 */
export function measuresRawGradients(red: Pick<Reduction, "scope" | "style">): boolean {
  return red.scope === "global" && red.style === "tf";
}
