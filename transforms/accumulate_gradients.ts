/** Gradient accumulation. @module */

import { _int } from "./_check.ts";
import type { AccumulateTransform } from "./types.ts";

/** Options of {@linkcode accumulateGradients}. */
export interface AccumulateGradientsOptions {
  /**
   * `"global"` (RETURNN TF, default): windows aligned to the global step (`step` options'
   * `globalStep`, else the number of `step` calls), spanning epochs; the update happens when
   * `globalStep mod K == K-1`. `"epoch"` (RETURNN PyTorch): a counter restarted whenever
   * `step` sees a new `epoch`; a partial window at the end of an epoch is discarded.
   * @default {"global"}
   */
  window?: "global" | "epoch";
}

/**
 * Sum the gradients of K consecutive `step` calls (no averaging, learning rate unchanged) and
 * update on the K-th (`accum_grad_multiple_step`). Must be the first transform of a chain. The
 * sum is sequential in float32 (`((g1 + g2) + g3) + ...`), on the GPU in an accumulator arena.
 *
 * @param steps K >= 1.
 * @param options The window alignment.
 * @throws {RangeError} for K that is not a positive integer or an unknown window.
 * @example Usage
 * ```ts
 * import { accumulateGradients } from "./accumulate_gradients.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(accumulateGradients(4, { window: "epoch" }), { kind: "accumulate", steps: 4, window: "epoch" });
 * ```
 */
export function accumulateGradients(
  steps: number,
  options: AccumulateGradientsOptions = {},
): AccumulateTransform {
  const window = options.window ?? "global";
  if (window !== "global" && window !== "epoch") {
    throw new RangeError(
      `Cannot create accumulateGradients as 'window' must be "global" or "epoch": current ` +
        `value is ${window}`,
    );
  }
  return Object.freeze({
    kind: "accumulate",
    steps: _int("accumulateGradients", "steps", steps, 1),
    window,
  });
}
