/**
 * The step-decay schedule (PyTorch `StepLR`).
 *
 * @module
 */

import type { Schedule } from "./types.ts";
import { _number, _options, _step } from "./_validate.ts";

/** Options of {@linkcode stepSchedule}. */
export interface StepScheduleOptions {
  /** The value at step 0 (PyTorch: the optimizer's lr). */
  initValue: number;
  /** Number of steps between two decays; an integer >= 1. */
  stepSize: number;
  /**
   * Factor applied every `stepSize` steps.
   * @default {0.1}
   */
  gamma?: number;
}

/**
 * Step decay: `initValue * gamma ** floor(step / stepSize)` (PyTorch `StepLR`).
 *
 * @param options Initial value, period and factor.
 * @returns The schedule.
 * @throws {TypeError} If an option is missing, has the wrong type or is unknown.
 * @throws {RangeError} If `stepSize` is not an integer >= 1 or a value is not finite.
 *
 * @example Usage
 * ```ts
 * import { stepSchedule, type StepScheduleOptions } from "./step.ts";
 * import { equal } from "node:assert/strict";
 *
 * const options: StepScheduleOptions = { initValue: 1, stepSize: 30, gamma: 0.5 };
 * const lr = stepSchedule(options);
 * equal(lr(29), 1);
 * equal(lr(30), 0.5);
 * equal(lr(60), 0.25);
 * ```
 */
export function stepSchedule(options: StepScheduleOptions): Schedule {
  const where = "stepSchedule";
  const o = _options(where, options, ["initValue", "stepSize", "gamma"]);
  const initValue = _number(where, "initValue", o.initValue);
  const stepSize = _number(where, "stepSize", o.stepSize, { min: 1, integer: true });
  const gamma = _number(where, "gamma", o.gamma, {}, 0.1);
  return (step) => initValue * gamma ** Math.floor(_step(where, step) / stepSize);
}
