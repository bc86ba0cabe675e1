/**
 * Sequential composition of schedules (optax `join_schedules`, PyTorch `SequentialLR`).
 *
 * @module
 */

import type { Schedule } from "./types.ts";
import { _number, _options, _rangeError, _show, _step, _typeError } from "./_validate.ts";

/** Options of {@linkcode joinSchedules}. */
export interface JoinSchedulesOptions {
  /** The schedules, in the order they run; at least one. */
  schedules: readonly Schedule[];
  /**
   * The steps at which the next schedule takes over: `schedules.length - 1` non-decreasing,
   * non-negative integers.
   */
  boundaries: readonly number[];
}

/**
 * Run `schedules[0]` until `boundaries[0]`, then `schedules[1]` restarted at its own step 0, and
 * so on: at `step`, schedule `i` (the number of boundaries `<= step`) is evaluated at
 * `step - boundaries[i - 1]` (optax `join_schedules`; PyTorch `SequentialLR` with closed-form
 * schedulers).
 *
 * @param options The schedules and the boundaries between them.
 * @returns The joined schedule.
 * @throws {TypeError} If `schedules` is not a non-empty array of functions or `boundaries` is not
 * an array.
 * @throws {RangeError} If the number of boundaries is not `schedules.length - 1`, or the
 * boundaries are not non-decreasing non-negative integers.
 *
 * @example Usage
 * ```ts
 * import { joinSchedules, type JoinSchedulesOptions } from "./join_schedules.ts";
 * import { linearSchedule } from "./linear.ts";
 * import { cosineAnnealingSchedule } from "./cosine_annealing.ts";
 * import { equal } from "node:assert/strict";
 *
 * const options: JoinSchedulesOptions = {
 *   schedules: [
 *     linearSchedule({ initValue: 0, endValue: 1, transitionSteps: 10 }),
 *     cosineAnnealingSchedule({ initValue: 1, tMax: 90 }),
 *   ],
 *   boundaries: [10],
 * };
 * const lr = joinSchedules(options);
 * equal(lr(5), 0.5);
 * equal(lr(10), 1);
 * equal(lr(100), 0);
 * ```
 */
export function joinSchedules(options: JoinSchedulesOptions): Schedule {
  const where = "joinSchedules";
  const o = _options(where, options, ["schedules", "boundaries"]);
  const schedules = o.schedules;
  if (
    !Array.isArray(schedules) || schedules.length === 0 ||
    !schedules.every((s) => typeof s === "function")
  ) {
    throw _typeError(
      where,
      `'schedules' must be a non-empty array of schedules (step) => number: current value is ${
        _show(schedules)
      }`,
    );
  }
  if (!Array.isArray(o.boundaries)) {
    throw _typeError(
      where,
      `'boundaries' must be an array of ${schedules.length - 1} step(s): current value is ${
        _show(o.boundaries)
      }`,
    );
  }
  const boundaries = (o.boundaries as unknown[]).map((b, i) =>
    _number(where, `boundaries[${i}]`, b, { min: 0, integer: true })
  );
  if (boundaries.length !== schedules.length - 1) {
    throw _rangeError(
      where,
      `'boundaries' must have one entry fewer than 'schedules' (${schedules.length - 1}):` +
        ` current value is ${_show(boundaries)}`,
    );
  }
  for (let i = 1; i < boundaries.length; i++) {
    if (boundaries[i] < boundaries[i - 1]) {
      throw _rangeError(
        where,
        `'boundaries' must be non-decreasing: current value is ${_show(boundaries)}; sort them`,
      );
    }
  }
  const fns = schedules as Schedule[];
  return (step) => {
    _step(where, step);
    let i = 0;
    while (i < boundaries.length && boundaries[i] <= step) i++;
    return fns[i](i === 0 ? step : step - boundaries[i - 1]);
  };
}
