/** Weight decay as a gradient transform. @module */

import { _num } from "./_check.ts";
import type { WeightDecayTransform } from "./types.ts";

/** Options of {@linkcode weightDecay}. */
export interface WeightDecayOptions {
  /**
   * `"coupled"`: L2 term `g += rate·p`; `"decoupled"`: `p *= 1 - lr·rate` (AdamW);
   * `"constant"`: `p *= 1 - rate`, learning-rate independent (RETURNN TF
   * `decouple_constraints`, with rate = 2·L2). @default {"coupled"}
   */
  mode?: "coupled" | "decoupled" | "constant";
}

/**
 * Weight decay applied by the chain (independent of the optimizer's own `weight_decay`). Fused
 * into the optimizer kernel.
 *
 * @param rate Decay rate >= 0.
 * @param options The mode.
 * @throws {RangeError} for a negative rate or an unknown mode.
 * @example Usage
 * ```ts
 * import { weightDecay } from "./weight_decay.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(weightDecay(0.01, { mode: "decoupled" }), { kind: "weight_decay", rate: 0.01, mode: "decoupled" });
 * ```
 */
export function weightDecay(rate: number, options: WeightDecayOptions = {}): WeightDecayTransform {
  const mode = options.mode ?? "coupled";
  if (mode !== "coupled" && mode !== "decoupled" && mode !== "constant") {
    throw new RangeError(
      `Cannot create weightDecay as 'mode' must be "coupled", "decoupled" or "constant": ` +
        `current value is ${mode}`,
    );
  }
  return Object.freeze({
    kind: "weight_decay",
    rate: _num("weightDecay", "rate", rate, 0, false, 3.4e38),
    mode,
  });
}
