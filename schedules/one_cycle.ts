/**
 * The 1cycle policy and its momentum cycle (PyTorch `OneCycleLR`).
 *
 * @module
 */

import type { Schedule } from "./types.ts";
import { _boolean, _choice, _number, _options, _step } from "./_validate.ts";

/** The phase shape shared by {@linkcode oneCycleSchedule} and {@linkcode oneCycleMomentumSchedule}. */
export interface OneCycleShapeOptions {
  /**
   * Total number of steps in the cycle; an integer >= 1. Steps `0..totalSteps` are defined
   * (PyTorch allows exactly `totalSteps + 1` optimizer steps); later steps throw.
   */
  totalSteps: number;
  /**
   * Fraction of the cycle spent increasing the learning rate, in [0, 1].
   * @default {0.3}
   */
  pctStart?: number;
  /**
   * Annealing curve between phase end points.
   * @default {"cos"}
   */
  annealStrategy?: "cos" | "linear";
  /**
   * Use three phases (up, back down to the initial value, then down to the minimum) as in
   * fastai's original 1cycle, instead of two (up, then down to the minimum).
   * @default {false}
   */
  threePhase?: boolean;
}

/** Options of {@linkcode oneCycleSchedule}. */
export interface OneCycleScheduleOptions extends OneCycleShapeOptions {
  /** The peak learning rate. */
  maxLr: number;
  /**
   * The initial learning rate is `maxLr / divFactor`; > 0.
   * @default {25}
   */
  divFactor?: number;
  /**
   * The final learning rate is `maxLr / divFactor / finalDivFactor`; > 0.
   * @default {1e4}
   */
  finalDivFactor?: number;
}

/** Options of {@linkcode oneCycleMomentumSchedule}. */
export interface OneCycleMomentumScheduleOptions extends OneCycleShapeOptions {
  /**
   * The momentum at the learning-rate peak.
   * @default {0.85}
   */
  baseMomentum?: number;
  /**
   * The momentum at the start and the end.
   * @default {0.95}
   */
  maxMomentum?: number;
}

const SHAPE_KEYS = ["totalSteps", "pctStart", "annealStrategy", "threePhase"];

/** Phase end points as `[endStep, startValue, endValue]`, from the 3 anchor values. */
type _Phase = [number, "a" | "b" | "c" | "d", "a" | "b" | "c" | "d"];

/**
 * Build the PyTorch phase walk. Anchors for the learning rate: a = initial, b = max, c = initial,
 * d = min; for the momentum: a = max, b = base, c = max, d = max.
 */
function _oneCycle(
  where: string,
  o: Record<string, unknown>,
  anchors: Record<"a" | "b" | "c" | "d", number>,
): Schedule {
  const totalSteps = _number(where, "totalSteps", o.totalSteps, { min: 1, integer: true });
  const pctStart = _number(where, "pctStart", o.pctStart, { min: 0, max: 1 }, 0.3);
  const strategy = _choice(where, "annealStrategy", o.annealStrategy, ["cos", "linear"], "cos");
  const threePhase = _boolean(where, "threePhase", o.threePhase, false);
  const phases: _Phase[] = threePhase
    ? [
      [pctStart * totalSteps - 1, "a", "b"],
      [2 * pctStart * totalSteps - 2, "b", "c"],
      [totalSteps - 1, "c", "d"],
    ]
    : [[pctStart * totalSteps - 1, "a", "b"], [totalSteps - 1, "b", "d"]];
  const anneal = strategy === "cos"
    ? (start: number, end: number, pct: number) =>
      end + (start - end) / 2 * (Math.cos(Math.PI * pct) + 1)
    : (start: number, end: number, pct: number) => (end - start) * pct + start;
  return (step) => {
    _step(where, step);
    if (step > totalSteps) {
      throw new RangeError(
        `Cannot evaluate schedule '${where}': step ${step} is past the end of the cycle; ` +
          `'totalSteps' is ${totalSteps}, so steps 0..${totalSteps} are defined: increase` +
          ` 'totalSteps'`,
      );
    }
    let startStep = 0;
    for (let i = 0; i < phases.length; i++) {
      const [endStep, from, to] = phases[i];
      if (step <= endStep || i === phases.length - 1) {
        if (endStep === startStep) {
          throw new RangeError(
            `Cannot evaluate schedule '${where}': phase ${i + 1} has zero length with` +
              ` 'pctStart' ${pctStart} and 'totalSteps' ${totalSteps} (PyTorch divides by zero` +
              ` here): change 'pctStart'`,
          );
        }
        const pct = (step - startStep) / (endStep - startStep);
        return anneal(anchors[from], anchors[to], pct);
      }
      startStep = endStep;
    }
    /* c8 ignore next */
    throw new Error("unreachable");
  };
}

/**
 * The 1cycle learning-rate policy (Smith & Topin 2018; PyTorch `OneCycleLR`, one value per
 * optimizer step): from `maxLr / divFactor` up to `maxLr` over the first `pctStart` of the steps,
 * then down to `maxLr / divFactor / finalDivFactor` (with `threePhase`, first back to the
 * initial value, then down to the minimum).
 *
 * @param options Peak, cycle length, phase split, curve and divisors.
 * @returns The learning-rate schedule, defined for steps `0..totalSteps`.
 * @throws {TypeError} If an option is missing, has the wrong type or is unknown.
 * @throws {RangeError} If `totalSteps` is not an integer >= 1, `pctStart` is outside [0, 1], a
 * divisor is not > 0 or a value is not finite. The schedule throws for steps past `totalSteps`.
 *
 * @example Up to `maxLr` over the first 30 % of the steps, then down
 * ```ts
 * import { oneCycleSchedule } from "./one_cycle.ts";
 * import { equal, ok } from "node:assert/strict";
 *
 * const lr = oneCycleSchedule({ maxLr: 1, totalSteps: 100, annealStrategy: "linear" });
 * equal(lr(0), 0.04); // maxLr / divFactor
 * equal(lr(29), 1);
 * ok(Math.abs(lr(99) - 4e-6) < 1e-15); // maxLr / divFactor / finalDivFactor
 * ```
 */
export function oneCycleSchedule(options: OneCycleScheduleOptions): Schedule {
  const where = "oneCycleSchedule";
  const o = _options(where, options, ["maxLr", "divFactor", "finalDivFactor", ...SHAPE_KEYS]);
  const maxLr = _number(where, "maxLr", o.maxLr);
  const divFactor = _number(where, "divFactor", o.divFactor, { min: 0, minOpen: true }, 25);
  const finalDiv = _number(
    where,
    "finalDivFactor",
    o.finalDivFactor,
    { min: 0, minOpen: true },
    1e4,
  );
  const initial = maxLr / divFactor;
  const min = initial / finalDiv;
  return _oneCycle(where, o, { a: initial, b: maxLr, c: initial, d: min });
}

/**
 * The momentum cycle that goes with {@linkcode oneCycleSchedule} (PyTorch `OneCycleLR` with
 * `cycle_momentum=True`; for Adam-like optimizers PyTorch cycles `beta1` the same way): from
 * `maxMomentum` down to `baseMomentum` while the learning rate rises, then back up. Pass the same
 * shape options as to the learning-rate schedule.
 *
 * @param options Momentum bounds and the phase shape.
 * @returns The momentum schedule, defined for steps `0..totalSteps`.
 * @throws {TypeError} If an option is missing, has the wrong type or is unknown.
 * @throws {RangeError} If `totalSteps` is not an integer >= 1, `pctStart` is outside [0, 1] or a
 * value is not finite.
 *
 * @example The momentum is lowest where the rate peaks
 * ```ts
 * import { oneCycleMomentumSchedule } from "./one_cycle.ts";
 * import { equal } from "node:assert/strict";
 *
 * const momentum = oneCycleMomentumSchedule({ totalSteps: 100, annealStrategy: "linear" });
 * equal(momentum(0), 0.95);
 * equal(momentum(29), 0.85);
 * ```
 */
export function oneCycleMomentumSchedule(options: OneCycleMomentumScheduleOptions): Schedule {
  const where = "oneCycleMomentumSchedule";
  const o = _options(where, options, ["baseMomentum", "maxMomentum", ...SHAPE_KEYS]);
  const base = _number(where, "baseMomentum", o.baseMomentum, {}, 0.85);
  const max = _number(where, "maxMomentum", o.maxMomentum, {}, 0.95);
  return _oneCycle(where, o, { a: max, b: base, c: max, d: max });
}
