/** Global-norm gradient clipping. @module */

import { _num } from "./_check.ts";
import type { ClipGlobalNormTransform, NormType } from "./types.ts";

/** Options of {@linkcode clipByGlobalNorm}. */
export interface ClipByGlobalNormOptions {
  /** Norm type: 2, 1 or `"inf"`. @default {2} */
  normType?: NormType;
  /**
   * `"torch"`: the norm of the gradients as processed by the transforms before this one,
   * coefficient `min(c/(N + 1e-6), 1)` (PyTorch `clip_grad_norm_`, RETURNN PyTorch).
   * `"tf"`: the norm of the raw gradients of the step, coefficient `c/max(N, c)` (RETURNN TF
   * `gradient_clip_global_norm`). @default {"torch"}
   */
  style?: "torch" | "tf";
}

/**
 * Scale all gradients so that their global norm is at most `maxNorm`. The norm is reduced on
 * the GPU (block partials, per-tensor norms, one final workgroup) and the coefficient feeds the
 * update kernel from a GPU buffer: no readback. Read the norm with `opt.lastGradNorm(state)`.
 *
 * @param maxNorm The bound c > 0.
 * @param options Norm type and style.
 * @throws {RangeError} for a bound that is not positive or an unknown norm type or style.
 * @example Usage
 * ```ts
 * import { clipByGlobalNorm } from "./clip_by_global_norm.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(clipByGlobalNorm(1, { normType: "inf" }), {
 *   kind: "clip_global_norm", maxNorm: 1, normType: "inf", style: "torch",
 * });
 * ```
 */
export function clipByGlobalNorm(
  maxNorm: number,
  options: ClipByGlobalNormOptions = {},
): ClipGlobalNormTransform {
  const normType = options.normType ?? 2;
  if (normType !== 2 && normType !== 1 && normType !== "inf") {
    throw new RangeError(
      `Cannot create clipByGlobalNorm as 'normType' must be 2, 1 or "inf": current value is ` +
        `${normType}`,
    );
  }
  const style = options.style ?? "torch";
  if (style !== "torch" && style !== "tf") {
    throw new RangeError(
      `Cannot create clipByGlobalNorm as 'style' must be "torch" or "tf": current value is ${style}`,
    );
  }
  return Object.freeze({
    kind: "clip_global_norm",
    maxNorm: _num("clipByGlobalNorm", "maxNorm", maxNorm, 0, true),
    normType,
    style,
  });
}
