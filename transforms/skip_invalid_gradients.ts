/** Skipping updates with non-finite gradients. @module */

import { _int } from "./_check.ts";
import type { SkipInvalidTransform } from "./types.ts";

/** Options of {@linkcode skipInvalidGradients}. */
export interface SkipInvalidGradientsOptions {
  /**
   * On webgpu, updates between non-blocking checks of the abort flag (the abort is also raised
   * by any `read`, `exportState` or `lastGradNorm`). @default {100}
   */
  checkInterval?: number;
}

/**
 * Skip an update whose global L2 gradient norm (the one a preceding `clipByGlobalNorm` measured,
 * else measured here) is not finite; a finite norm or a new epoch resets the count; more than
 * `allowed` invalid updates in a row abort with an `InvalidGradientError` naming the update step
 * (RETURNN PyTorch `num_allowed_consec_invalid_gradient_steps`).
 *
 * On webgpu the counter, the step and the skip flag live in a GPU buffer and the update kernel
 * skips in-kernel: there is no readback per step. A skipped update's step count is taken back
 * when the host next synchronises; until then later updates use the optimistic count.
 *
 * @param allowed Consecutive invalid updates allowed (0 aborts on the first).
 * @param options Check interval.
 * @throws {RangeError} for a negative or non-integer allowance or interval.
 * @example Usage
 * ```ts
 * import { skipInvalidGradients } from "./skip_invalid_gradients.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(skipInvalidGradients(3, { checkInterval: 10 }), {
 *   kind: "skip_invalid", allowed: 3, checkInterval: 10,
 * });
 * ```
 */
export function skipInvalidGradients(
  allowed: number,
  options: SkipInvalidGradientsOptions = {},
): SkipInvalidTransform {
  return Object.freeze({
    kind: "skip_invalid",
    allowed: _int("skipInvalidGradients", "allowed", allowed, 0),
    checkInterval: _int("skipInvalidGradients", "checkInterval", options.checkInterval ?? 100, 1),
  });
}
