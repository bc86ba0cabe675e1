/**
 * The constant-factor warm-up schedule (PyTorch `ConstantLR`).
 *
 * @module
 */

import type { Schedule } from "./types.ts";
import { _number, _options, _step } from "./_validate.ts";

/** Options of {@linkcode constantFactorSchedule}. */
export interface ConstantFactorScheduleOptions {
  /** The value from step `totalIters` on (PyTorch: the optimizer's lr). */
  initValue: number;
  /**
   * Factor applied to `initValue` for the first `totalIters` steps; finite.
   * @default {1 / 3}
   */
  factor?: number;
  /**
   * Number of steps the factor is applied for; an integer >= 0.
   * @default {5}
   */
  totalIters?: number;
}

/**
 * `initValue * factor` for steps `0..totalIters-1`, then `initValue` (PyTorch `ConstantLR`).
 *
 * @param options Value, factor and duration.
 * @returns The schedule.
 * @throws {TypeError} If an option is missing, has the wrong type or is unknown.
 * @throws {RangeError} If `totalIters` is not a non-negative integer or a value is not finite.
 *
 * @example Usage
 * ```ts
 * import { constantFactorSchedule } from "./constant_factor.ts";
 * import { equal } from "node:assert/strict";
 *
 * const lr = constantFactorSchedule({ initValue: 0.1, factor: 0.5, totalIters: 3 });
 * equal(lr(2), 0.05);
 * equal(lr(3), 0.1);
 * ```
 */
export function constantFactorSchedule(options: ConstantFactorScheduleOptions): Schedule {
  const where = "constantFactorSchedule";
  const o = _options(where, options, ["initValue", "factor", "totalIters"]);
  const initValue = _number(where, "initValue", o.initValue);
  const factor = _number(where, "factor", o.factor, {}, 1 / 3);
  const totalIters = _number(where, "totalIters", o.totalIters, { min: 0, integer: true }, 5);
  return (step) => initValue * (factor + (_step(where, step) >= totalIters ? 1 : 0) * (1 - factor));
}
