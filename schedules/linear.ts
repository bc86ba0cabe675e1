/**
 * The linear schedule (optax `linear_schedule`, PyTorch `LinearLR`).
 *
 * @module
 */

import type { Schedule } from "./types.ts";
import { _number, _options, _step } from "./_validate.ts";

/** Options of {@linkcode linearSchedule}. */
export interface LinearScheduleOptions {
  /** The value up to `transitionBegin`. */
  initValue: number;
  /** The value from `transitionBegin + transitionSteps` on. */
  endValue: number;
  /**
   * Number of steps of the linear transition; an integer >= 0 (0 jumps to `endValue` at
   * `transitionBegin`).
   */
  transitionSteps: number;
  /**
   * Number of steps the value is held at `initValue` before the transition; an integer >= 0.
   * @default {0}
   */
  transitionBegin?: number;
}

/**
 * Linear interpolation from `initValue` to `endValue` over `transitionSteps` steps, starting at
 * `transitionBegin`, then constant (optax `linear_schedule`). PyTorch's `LinearLR` is
 * `linearSchedule({ initValue: lr * start_factor, endValue: lr * end_factor, transitionSteps:
 * total_iters })`.
 *
 * @param options End points and timing.
 * @returns The schedule.
 * @throws {TypeError} If an option is missing, has the wrong type or is unknown.
 * @throws {RangeError} If a step count is not a non-negative integer or a value is not finite.
 *
 * @example Usage
 * ```ts
 * import { linearSchedule, type LinearScheduleOptions } from "./linear.ts";
 * import { equal } from "node:assert/strict";
 *
 * const options: LinearScheduleOptions = { initValue: 0, endValue: 1, transitionSteps: 4 };
 * const warmup = linearSchedule(options);
 * equal(warmup(0), 0);
 * equal(warmup(1), 0.25);
 * equal(warmup(4), 1);
 * equal(warmup(100), 1);
 * ```
 */
export function linearSchedule(options: LinearScheduleOptions): Schedule {
  const where = "linearSchedule";
  const o = _options(where, options, [
    "initValue",
    "endValue",
    "transitionSteps",
    "transitionBegin",
  ]);
  const initValue = _number(where, "initValue", o.initValue);
  const endValue = _number(where, "endValue", o.endValue);
  const steps = _number(where, "transitionSteps", o.transitionSteps, { min: 0, integer: true });
  const begin = _number(where, "transitionBegin", o.transitionBegin, { min: 0, integer: true }, 0);
  return (step) => {
    const count = _step(where, step) - begin;
    if (count < 0) return initValue;
    if (count >= steps) return endValue;
    return initValue + (endValue - initValue) * (count / steps);
  };
}
