/**
 * The multiplicative schedule (PyTorch `MultiplicativeLR`).
 *
 * @module
 */

import type { Schedule } from "./types.ts";
import { _kind, _number, _options, _show, _step, _typeError } from "./_validate.ts";

/** Options of {@linkcode multiplicativeSchedule}. */
export interface MultiplicativeScheduleOptions {
  /** The value at step 0 (PyTorch: the optimizer's lr). */
  initValue: number;
  /**
   * The factor applied at every step: a number, or a function of the step (called with
   * `1, 2, ...`, like PyTorch's `lr_lambda(epoch)`) returning a finite number.
   */
  factor: number | ((step: number) => number);
}

/**
 * The value is multiplied by `factor` at every step: `initValue * factor ** step` for a constant
 * factor, `initValue * factor(1) * ... * factor(step)` for a function (PyTorch
 * `MultiplicativeLR`; the function form keeps the running products it has computed, so
 * evaluating step n costs O(n) once).
 *
 * @param options Initial value and factor.
 * @returns The schedule.
 * @throws {TypeError} If an option is missing, has the wrong type or is unknown.
 * @throws {RangeError} If a value is not finite. The schedule throws a `RangeError` when the
 * factor function returns something other than a finite number.
 *
 * @example Usage
 * ```ts
 * import { multiplicativeSchedule, type MultiplicativeScheduleOptions } from "./multiplicative.ts";
 * import { equal } from "node:assert/strict";
 *
 * const options: MultiplicativeScheduleOptions = { initValue: 1, factor: 0.5 };
 * const lr = multiplicativeSchedule(options);
 * equal(lr(2), 0.25);
 * const stepped = multiplicativeSchedule({ initValue: 1, factor: (s) => (s % 2 ? 1 : 0.5) });
 * equal(stepped(4), 0.25);
 * ```
 */
export function multiplicativeSchedule(options: MultiplicativeScheduleOptions): Schedule {
  const where = "multiplicativeSchedule";
  const o = _options(where, options, ["initValue", "factor"]);
  const initValue = _number(where, "initValue", o.initValue);
  if (typeof o.factor !== "function") {
    if (o.factor !== undefined && typeof o.factor !== "number") {
      throw _typeError(
        where,
        `'factor' must be a number or a function (step) => number: current value is ${
          _show(o.factor)
        } (${_kind(o.factor)})`,
      );
    }
    const factor = _number(where, "factor", o.factor);
    return (step) => initValue * factor ** _step(where, step);
  }
  const fn = o.factor as (step: number) => number;
  const values: number[] = [initValue];
  return (step) => {
    _step(where, step);
    for (let k = values.length; k <= step; k++) {
      const f = fn(k);
      if (typeof f !== "number" || !Number.isFinite(f)) {
        throw new RangeError(
          `Cannot evaluate schedule '${where}': 'factor' must return a finite number: it` +
            ` returned ${_show(f)} for step ${k}`,
        );
      }
      values.push(values[k - 1] * f);
    }
    return values[step];
  };
}
