/**
 * The exponential decay schedule (PyTorch `ExponentialLR`).
 *
 * @module
 */

import type { Schedule } from "./types.ts";
import { _number, _options, _step } from "./_validate.ts";

/** Options of {@linkcode exponentialSchedule}. */
export interface ExponentialScheduleOptions {
  /** The value at step 0 (PyTorch: the optimizer's lr). */
  initValue: number;
  /** Factor applied at every step. */
  gamma: number;
}

/**
 * Exponential decay: `initValue * gamma ** step` (PyTorch `ExponentialLR`).
 *
 * @param options Initial value and per-step factor.
 * @returns The schedule.
 * @throws {TypeError} If an option is missing, has the wrong type or is unknown.
 * @throws {RangeError} If a value is not finite.
 *
 * @example Usage
 * ```ts
 * import { exponentialSchedule, type ExponentialScheduleOptions } from "./exponential.ts";
 * import { equal } from "node:assert/strict";
 *
 * const options: ExponentialScheduleOptions = { initValue: 1, gamma: 0.5 };
 * const lr = exponentialSchedule(options);
 * equal(lr(0), 1);
 * equal(lr(3), 0.125);
 * ```
 */
export function exponentialSchedule(options: ExponentialScheduleOptions): Schedule {
  const where = "exponentialSchedule";
  const o = _options(where, options, ["initValue", "gamma"]);
  const initValue = _number(where, "initValue", o.initValue);
  const gamma = _number(where, "gamma", o.gamma);
  return (step) => initValue * gamma ** _step(where, step);
}
