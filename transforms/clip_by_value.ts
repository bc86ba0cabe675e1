/** Element-wise gradient clipping. @module */

import { _num } from "./_check.ts";
import type { ClipValueTransform } from "./types.ts";

/**
 * Clip every gradient element to `[-clipValue, clipValue]` (RETURNN `gradient_clip`, PyTorch
 * `clip_grad_value_`). Fused into the optimizer kernel.
 *
 * @param clipValue The bound c > 0.
 * @throws {RangeError} when c is not a positive number.
 * @example Usage
 * ```ts
 * import { clipByValue } from "./clip_by_value.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(clipByValue(1), { kind: "clip_value", clipValue: 1 });
 * ```
 */
export function clipByValue(clipValue: number): ClipValueTransform {
  return Object.freeze({
    kind: "clip_value",
    clipValue: _num("clipByValue", "clipValue", clipValue, 0, true),
  });
}
