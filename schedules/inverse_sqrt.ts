/**
 * Inverse square-root decay with linear warm-up (the Transformer / fairseq `inverse_sqrt`
 * schedule).
 *
 * @module
 */

import type { Schedule } from "./types.ts";
import { _number, _options, _step } from "./_validate.ts";

/** Options of {@linkcode inverseSqrtSchedule}. */
export interface InverseSqrtScheduleOptions {
  /** The value at the end of the warm-up (step `warmupSteps`). */
  peakValue: number;
  /**
   * Length of the linear warm-up in steps; an integer >= 0.
   * @default {0}
   */
  warmupSteps?: number;
  /**
   * The value at step 0, where the warm-up starts.
   * @default {0}
   */
  initValue?: number;
}

/**
 * Linear warm-up from `initValue` to `peakValue` over `warmupSteps` steps, then
 * `peakValue * sqrt(w / step)` with `w = max(warmupSteps, 1)`: continuous at the end of the
 * warm-up and proportional to `1 / sqrt(step)` afterwards. With `warmupSteps: 0` it is
 * `peakValue` at steps 0 and 1, then `peakValue / sqrt(step)`.
 *
 * @param options Peak value, warm-up length and start value.
 * @returns The schedule.
 * @throws {TypeError} If an option is missing, has the wrong type or is unknown.
 * @throws {RangeError} If `warmupSteps` is not a non-negative integer or a value is not finite.
 *
 * @example Usage
 * ```ts
 * import { inverseSqrtSchedule, type InverseSqrtScheduleOptions } from "./inverse_sqrt.ts";
 * import { equal } from "node:assert/strict";
 *
 * const options: InverseSqrtScheduleOptions = { peakValue: 1, warmupSteps: 100 };
 * const lr = inverseSqrtSchedule(options);
 * equal(lr(50), 0.5);
 * equal(lr(100), 1);
 * equal(lr(400), 0.5);
 * ```
 */
export function inverseSqrtSchedule(options: InverseSqrtScheduleOptions): Schedule {
  const where = "inverseSqrtSchedule";
  const o = _options(where, options, ["peakValue", "warmupSteps", "initValue"]);
  const peakValue = _number(where, "peakValue", o.peakValue);
  const warmupSteps = _number(where, "warmupSteps", o.warmupSteps, { min: 0, integer: true }, 0);
  const initValue = _number(where, "initValue", o.initValue, {}, 0);
  const w = Math.max(warmupSteps, 1);
  return (step) => {
    _step(where, step);
    if (step < warmupSteps) return initValue + (peakValue - initValue) * (step / warmupSteps);
    return peakValue * Math.sqrt(w / Math.max(step, 1));
  };
}
