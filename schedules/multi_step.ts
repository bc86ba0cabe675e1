/**
 * The multi-step decay schedule (PyTorch `MultiStepLR`).
 *
 * @module
 */

import type { Schedule } from "./types.ts";
import { _number, _options, _show, _step, _typeError } from "./_validate.ts";

/** Options of {@linkcode multiStepSchedule}. */
export interface MultiStepScheduleOptions {
  /** The value at step 0 (PyTorch: the optimizer's lr). */
  initValue: number;
  /**
   * Steps at which the value is multiplied by `gamma`: non-negative integers, in any order. A
   * milestone listed k times multiplies by `gamma ** k` (as PyTorch counts repeats).
   */
  milestones: readonly number[];
  /**
   * Factor applied at each milestone.
   * @default {0.1}
   */
  gamma?: number;
}

/**
 * Multi-step decay: `initValue * gamma ** (number of milestones <= step)` (PyTorch
 * `MultiStepLR`; a repeated milestone applies `gamma` once per repeat).
 *
 * @param options Initial value, milestones and factor.
 * @returns The schedule.
 * @throws {TypeError} If an option is missing, has the wrong type or is unknown.
 * @throws {RangeError} If a milestone is not a non-negative integer or a value is not finite.
 *
 * @example Usage
 * ```ts
 * import { multiStepSchedule, type MultiStepScheduleOptions } from "./multi_step.ts";
 * import { equal } from "node:assert/strict";
 *
 * const options: MultiStepScheduleOptions = { initValue: 1, milestones: [10, 20, 20], gamma: 0.5 };
 * const lr = multiStepSchedule(options);
 * equal(lr(9), 1);
 * equal(lr(10), 0.5);
 * equal(lr(20), 0.125);
 * ```
 */
export function multiStepSchedule(options: MultiStepScheduleOptions): Schedule {
  const where = "multiStepSchedule";
  const o = _options(where, options, ["initValue", "milestones", "gamma"]);
  const initValue = _number(where, "initValue", o.initValue);
  if (!Array.isArray(o.milestones)) {
    throw _typeError(
      where,
      `'milestones' must be an array of step indices like [30, 80]: current value is ${
        _show(o.milestones)
      }`,
    );
  }
  const milestones = (o.milestones as unknown[]).map((m, i) =>
    _number(where, `milestones[${i}]`, m, { min: 0, integer: true })
  ).sort((a, b) => a - b);
  const gamma = _number(where, "gamma", o.gamma, {}, 0.1);
  return (step) => {
    _step(where, step);
    // bisect_right: the number of milestones <= step.
    let lo = 0;
    let hi = milestones.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (milestones[mid] <= step) lo = mid + 1;
      else hi = mid;
    }
    return initValue * gamma ** lo;
  };
}
