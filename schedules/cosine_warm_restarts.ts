/**
 * Cosine annealing with warm restarts, SGDR (PyTorch `CosineAnnealingWarmRestarts`).
 *
 * @module
 */

import type { Schedule } from "./types.ts";
import { _number, _options, _step } from "./_validate.ts";

/** Options of {@linkcode cosineWarmRestartsSchedule}. */
export interface CosineWarmRestartsScheduleOptions {
  /** The value at step 0 and after each restart (PyTorch: the optimizer's lr). */
  initValue: number;
  /** Length of the first period in steps (PyTorch `T_0`); an integer >= 1. */
  t0: number;
  /**
   * Factor by which each period is longer than the previous one (PyTorch `T_mult`); an
   * integer >= 1.
   * @default {1}
   */
  tMult?: number;
  /**
   * The minimum value.
   * @default {0}
   */
  etaMin?: number;
}

/**
 * SGDR: `etaMin + (initValue - etaMin) * (1 + cos(pi * tCur / tI)) / 2`, where `tI` is the
 * length of the current period (`t0`, `t0 * tMult`, `t0 * tMult ** 2`, ...) and `tCur` the steps
 * since its start (PyTorch `CosineAnnealingWarmRestarts` stepped once per optimizer step).
 *
 * @param options Initial value, first period, period growth and minimum.
 * @returns The schedule.
 * @throws {TypeError} If an option is missing, has the wrong type or is unknown.
 * @throws {RangeError} If `t0` or `tMult` is not an integer >= 1 or a value is not finite.
 *
 * @example Usage
 * ```ts
 * import { cosineWarmRestartsSchedule } from "./cosine_warm_restarts.ts";
 * import { equal } from "node:assert/strict";
 *
 * const lr = cosineWarmRestartsSchedule({ initValue: 1, t0: 10, tMult: 2 });
 * equal(lr(0), 1);
 * equal(lr(10), 1); // restart; the next period has 20 steps
 * equal(lr(20), 0.5);
 * equal(lr(30), 1);
 * ```
 */
export function cosineWarmRestartsSchedule(options: CosineWarmRestartsScheduleOptions): Schedule {
  const where = "cosineWarmRestartsSchedule";
  const o = _options(where, options, ["initValue", "t0", "tMult", "etaMin"]);
  const initValue = _number(where, "initValue", o.initValue);
  const t0 = _number(where, "t0", o.t0, { min: 1, integer: true });
  const tMult = _number(where, "tMult", o.tMult, { min: 1, integer: true }, 1);
  const etaMin = _number(where, "etaMin", o.etaMin, {}, 0);
  return (step) => {
    let tCur = _step(where, step);
    let tI = t0;
    if (tMult === 1) {
      tCur = tCur % t0;
    } else {
      while (tCur >= tI) {
        tCur -= tI;
        tI *= tMult;
      }
    }
    return etaMin + (initValue - etaMin) * (1 + Math.cos(Math.PI * tCur / tI)) / 2;
  };
}
