/**
 * Private: the WGSL of an optimizer definition, derived from its kernel description.
 *
 * @module
 */

import type { LaneProgram } from "../kernels/lane.ts";
import { laneWgsl } from "../kernels/lane_wgsl.ts";
import type { Hyper } from "./types.ts";

/**
 * `spec` with `wgsl(h)`: its `kernel(h)` rendered as WGSL statements.
 *
 * @example Usage
 * ```ts
 * import { _withWgsl } from "./_kernel_def.ts";
 * import { LaneBuilder } from "../kernels/lane.ts";
 * import { equal } from "node:assert/strict";
 * const spec = _withWgsl({
 *   kernel() {
 *     const k = new LaneBuilder();
 *     k.set("p", k.p.sub(k.g));
 *     return k.program();
 *   },
 * });
 * equal(spec.wgsl({}), "p = (p - gv);");
 * ```
 */
export function _withWgsl<T extends { kernel(h: Hyper): LaneProgram }>(
  spec: T,
): T & { wgsl(h: Hyper): string } {
  return { ...spec, wgsl: (h: Hyper) => laneWgsl(spec.kernel(h)) };
}
