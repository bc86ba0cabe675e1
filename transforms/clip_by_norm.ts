/** Per-tensor norm clipping. @module */

import { _num } from "./_check.ts";
import type { ClipNormTransform } from "./types.ts";

/**
 * Clip each tensor to L2 norm at most `maxNorm`: `g·c/max(‖g‖, c)` (RETURNN TF
 * `gradient_clip_norm`, TF `clip_by_norm`). Adds one reduction pass; the per-tensor scale
 * stays on the GPU.
 *
 * @param maxNorm The bound c > 0.
 * @throws {RangeError} when c is not a positive number.
 * @example Usage
 * ```ts
 * import { clipByNorm } from "./clip_by_norm.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(clipByNorm(5), { kind: "clip_norm", maxNorm: 5 });
 * ```
 */
export function clipByNorm(maxNorm: number): ClipNormTransform {
  return Object.freeze({
    kind: "clip_norm",
    maxNorm: _num("clipByNorm", "maxNorm", maxNorm, 0, true),
  });
}
