/**
 * The cosine annealing schedule (PyTorch `CosineAnnealingLR`).
 *
 * @module
 */

import type { Schedule } from "./types.ts";
import { _boolean, _number, _options, _step } from "./_validate.ts";

/** Options of {@linkcode cosineAnnealingSchedule}. */
export interface CosineAnnealingScheduleOptions {
  /** The value at step 0 (PyTorch: the optimizer's lr). */
  initValue: number;
  /** Half period in steps (PyTorch `T_max`): the value reaches `etaMin` at step `tMax`. */
  tMax: number;
  /**
   * The minimum value.
   * @default {0}
   */
  etaMin?: number;
  /**
   * Hold `etaMin` after `tMax` (optax `cosine_decay_schedule` behaviour). PyTorch 1.13 does not
   * clamp: past `tMax` the value rises again along the cosine, with period `2 * tMax`.
   * @default {false}
   */
  clamp?: boolean;
}

/**
 * Cosine annealing from `initValue` down to `etaMin` over `tMax` steps:
 * `etaMin + (initValue - etaMin) * (1 + cos(pi * step / tMax)) / 2` (PyTorch 1.13
 * `CosineAnnealingLR`, closed form; not clamped after `tMax` unless `clamp` is set).
 *
 * @param options Initial value, half period, minimum and clamping.
 * @returns The schedule.
 * @throws {TypeError} If an option is missing, has the wrong type or is unknown.
 * @throws {RangeError} If `tMax` is not > 0 or a value is not finite.
 *
 * @example Usage
 * ```ts
 * import { cosineAnnealingSchedule } from "./cosine_annealing.ts";
 * import { equal } from "node:assert/strict";
 *
 * const lr = cosineAnnealingSchedule({ initValue: 1, tMax: 10 });
 * equal(lr(0), 1);
 * equal(lr(5), 0.5);
 * equal(lr(10), 0);
 * equal(lr(20), 1); // rises again, like PyTorch
 * ```
 */
export function cosineAnnealingSchedule(options: CosineAnnealingScheduleOptions): Schedule {
  const where = "cosineAnnealingSchedule";
  const o = _options(where, options, ["initValue", "tMax", "etaMin", "clamp"]);
  const initValue = _number(where, "initValue", o.initValue);
  const tMax = _number(where, "tMax", o.tMax, { min: 0, minOpen: true });
  const etaMin = _number(where, "etaMin", o.etaMin, {}, 0);
  const clamp = _boolean(where, "clamp", o.clamp, false);
  return (step) => {
    const e = clamp ? Math.min(_step(where, step), tMax) : _step(where, step);
    return etaMin + (initValue - etaMin) * (1 + Math.cos(Math.PI * e / tMax)) / 2;
  };
}
