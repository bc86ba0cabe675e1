/**
 * The polynomial decay schedule (optax `polynomial_schedule`, PyTorch `PolynomialLR`).
 *
 * @module
 */

import type { Schedule } from "./types.ts";
import { _number, _options, _step } from "./_validate.ts";

/** Options of {@linkcode polynomialSchedule}. */
export interface PolynomialScheduleOptions {
  /** The value up to `transitionBegin`. */
  initValue: number;
  /**
   * The value from `transitionBegin + transitionSteps` on.
   * @default {0}
   */
  endValue?: number;
  /**
   * Exponent of the decay curve; finite.
   * @default {1}
   */
  power?: number;
  /** Number of steps of the decay; an integer >= 1. */
  transitionSteps: number;
  /**
   * Number of steps the value is held at `initValue` before the decay; an integer >= 0.
   * @default {0}
   */
  transitionBegin?: number;
}

/**
 * Polynomial decay `(initValue - endValue) * (1 - count / transitionSteps) ** power + endValue`
 * with `count = clamp(step - transitionBegin, 0, transitionSteps)`; it stays at `endValue` after
 * the decay (optax `polynomial_schedule`; PyTorch `PolynomialLR` is `endValue: 0`,
 * `transitionSteps: total_iters`).
 *
 * @param options End points, exponent and timing.
 * @returns The schedule.
 * @throws {TypeError} If an option is missing, has the wrong type or is unknown.
 * @throws {RangeError} If `transitionSteps` is not an integer >= 1, `transitionBegin` is not a
 * non-negative integer or a value is not finite.
 *
 * @example Usage
 * ```ts
 * import { polynomialSchedule, type PolynomialScheduleOptions } from "./polynomial.ts";
 * import { equal } from "node:assert/strict";
 *
 * const options: PolynomialScheduleOptions = { initValue: 1, power: 2, transitionSteps: 10 };
 * const lr = polynomialSchedule(options);
 * equal(lr(0), 1);
 * equal(lr(5), 0.25);
 * equal(lr(10), 0);
 * equal(lr(50), 0);
 * ```
 */
export function polynomialSchedule(options: PolynomialScheduleOptions): Schedule {
  const where = "polynomialSchedule";
  const o = _options(where, options, [
    "initValue",
    "endValue",
    "power",
    "transitionSteps",
    "transitionBegin",
  ]);
  const initValue = _number(where, "initValue", o.initValue);
  const endValue = _number(where, "endValue", o.endValue, {}, 0);
  const power = _number(where, "power", o.power, {}, 1);
  const steps = _number(where, "transitionSteps", o.transitionSteps, { min: 1, integer: true });
  const begin = _number(where, "transitionBegin", o.transitionBegin, { min: 0, integer: true }, 0);
  return (step) => {
    const count = Math.min(Math.max(_step(where, step) - begin, 0), steps);
    return (initValue - endValue) * (1 - count / steps) ** power + endValue;
  };
}
