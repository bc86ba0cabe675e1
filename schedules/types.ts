/**
 * The schedule type shared by every factory in `schedules/`.
 *
 * @module
 */

/**
 * A learning-rate (or momentum) schedule: a pure function of the optimizer step, like optax's
 * schedules. Step 0 is the first optimizer step; a schedule gives the value that step uses.
 * Every schedule of this module throws a `RangeError` for a step that is not a non-negative
 * integer. Values are computed in float64.
 *
 * @param step Index of the optimizer step, 0-based.
 * @returns The learning rate (or momentum) for that step.
 *
 * @example Usage
 * ```ts
 * import type { Schedule } from "./types.ts";
 * import { equal } from "node:assert/strict";
 *
 * const halving: Schedule = (step) => 0.1 * 0.5 ** step;
 * equal(halving(1), 0.05);
 * ```
 */
export type Schedule = (step: number) => number;
