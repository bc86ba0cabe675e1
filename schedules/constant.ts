/**
 * The constant schedule.
 *
 * @module
 */

import type { Schedule } from "./types.ts";
import { _number, _options, _step } from "./_validate.ts";

/** Options of {@linkcode constantSchedule}. */
export interface ConstantScheduleOptions {
  /** The value returned at every step. Must be finite. */
  value: number;
}

/**
 * A schedule returning the same value at every step (optax `constant_schedule`).
 *
 * @param options The value.
 * @returns A schedule `step => value`.
 * @throws {TypeError} If `value` is missing or not a number, or an option is unknown.
 * @throws {RangeError} If `value` is not finite.
 *
 * @example Usage
 * ```ts
 * import { constantSchedule, type ConstantScheduleOptions } from "./constant.ts";
 * import { equal } from "node:assert/strict";
 *
 * const options: ConstantScheduleOptions = { value: 0.1 };
 * const lr = constantSchedule(options);
 * equal(lr(0), 0.1);
 * equal(lr(1000), 0.1);
 * ```
 */
export function constantSchedule(options: ConstantScheduleOptions): Schedule {
  const where = "constantSchedule";
  const o = _options(where, options, ["value"]);
  const value = _number(where, "value", o.value);
  return (step) => {
    _step(where, step);
    return value;
  };
}
