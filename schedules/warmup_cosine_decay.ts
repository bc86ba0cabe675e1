/**
 * Linear warm-up followed by cosine decay (optax `warmup_cosine_decay_schedule`).
 *
 * @module
 */

import type { Schedule } from "./types.ts";
import { _number, _options, _rangeError, _step } from "./_validate.ts";

/** Options of {@linkcode warmupCosineDecaySchedule}. */
export interface WarmupCosineDecayScheduleOptions {
  /** The value at step 0, where the warm-up starts. */
  initValue: number;
  /** The value at the end of the warm-up, where the cosine decay starts. */
  peakValue: number;
  /** Length of the linear warm-up in steps; an integer >= 0. */
  warmupSteps: number;
  /**
   * Total length of warm-up plus decay in steps (as in optax, the warm-up is included); an
   * integer > `warmupSteps`.
   */
  decaySteps: number;
  /**
   * The value at `decaySteps` and after.
   * @default {0}
   */
  endValue?: number;
  /**
   * Exponent applied to the cosine factor `(1 + cos(pi * t)) / 2`; finite.
   * @default {1}
   */
  exponent?: number;
}

/**
 * Linear warm-up from `initValue` to `peakValue` over `warmupSteps` steps, then cosine decay to
 * `endValue` at step `decaySteps`, held afterwards (optax `warmup_cosine_decay_schedule`):
 * `peakValue * ((1 - alpha) * ((1 + cos(pi * t / T)) / 2) ** exponent + alpha)` with
 * `alpha = endValue / peakValue`, `T = decaySteps - warmupSteps` and `t` the steps since the
 * warm-up, clamped to `T`.
 *
 * @param options Values and lengths.
 * @returns The schedule.
 * @throws {TypeError} If an option is missing, has the wrong type or is unknown.
 * @throws {RangeError} If a length is not a non-negative integer, `decaySteps <= warmupSteps`,
 * or a value is not finite.
 *
 * @example Usage
 * ```ts
 * import { warmupCosineDecaySchedule } from "./warmup_cosine_decay.ts";
 * import { equal } from "node:assert/strict";
 *
 * const lr = warmupCosineDecaySchedule({
 *   initValue: 0,
 *   peakValue: 1,
 *   warmupSteps: 10,
 *   decaySteps: 110,
 * });
 * equal(lr(5), 0.5);
 * equal(lr(10), 1);
 * equal(lr(60), 0.5);
 * equal(lr(500), 0);
 * ```
 */
export function warmupCosineDecaySchedule(options: WarmupCosineDecayScheduleOptions): Schedule {
  const where = "warmupCosineDecaySchedule";
  const o = _options(where, options, [
    "initValue",
    "peakValue",
    "warmupSteps",
    "decaySteps",
    "endValue",
    "exponent",
  ]);
  const initValue = _number(where, "initValue", o.initValue);
  const peakValue = _number(where, "peakValue", o.peakValue);
  const warmupSteps = _number(where, "warmupSteps", o.warmupSteps, { min: 0, integer: true });
  const decaySteps = _number(where, "decaySteps", o.decaySteps, { min: 1, integer: true });
  const endValue = _number(where, "endValue", o.endValue, {}, 0);
  const exponent = _number(where, "exponent", o.exponent, {}, 1);
  if (decaySteps <= warmupSteps) {
    throw _rangeError(
      where,
      `'decaySteps' (${decaySteps}) must be greater than 'warmupSteps' (${warmupSteps}): it` +
        ` counts the warm-up too, so pass decaySteps: warmupSteps + <decay length>`,
    );
  }
  const alpha = peakValue === 0 ? 0 : endValue / peakValue;
  const decayLength = decaySteps - warmupSteps;
  return (step) => {
    _step(where, step);
    if (step < warmupSteps) return initValue + (peakValue - initValue) * (step / warmupSteps);
    const count = Math.min(step - warmupSteps, decayLength);
    const cosine = 0.5 * (1 + Math.cos(Math.PI * count / decayLength));
    return peakValue * ((1 - alpha) * cosine ** exponent + alpha);
  };
}
