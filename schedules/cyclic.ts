/**
 * Cyclical learning rates and the matching momentum cycle (PyTorch `CyclicLR`).
 *
 * @module
 */

import type { Schedule } from "./types.ts";
import { _choice, _number, _options, _show, _step, _typeError } from "./_validate.ts";

/** The built-in cycle policies of {@linkcode cyclicSchedule}. */
export type CyclicMode = "triangular" | "triangular2" | "exp_range";

/** The cycle shape shared by {@linkcode cyclicSchedule} and {@linkcode cyclicMomentumSchedule}. */
export interface CyclicShapeOptions {
  /**
   * Steps in the increasing half of a cycle (PyTorch `step_size_up`); > 0.
   * @default {2000}
   */
  stepSizeUp?: number;
  /**
   * Steps in the decreasing half of a cycle (PyTorch `step_size_down`); >= 0.
   * @default {stepSizeUp}
   */
  stepSizeDown?: number;
  /**
   * The amplitude policy: `"triangular"` (constant), `"triangular2"` (halved each cycle),
   * `"exp_range"` (scaled by `gamma ** step`). Ignored when `scaleFn` is given.
   * @default {"triangular"}
   */
  mode?: CyclicMode;
  /**
   * Base of the `"exp_range"` amplitude factor `gamma ** step`.
   * @default {1}
   */
  gamma?: number;
  /**
   * Custom amplitude factor replacing `mode`; called with the 1-based cycle number
   * (`scaleMode: "cycle"`) or the step (`scaleMode: "iterations"`).
   * @default {undefined}
   */
  scaleFn?: (x: number) => number;
  /**
   * What `scaleFn` is called with.
   * @default {"cycle"}
   */
  scaleMode?: "cycle" | "iterations";
}

/** Options of {@linkcode cyclicSchedule}. */
export interface CyclicScheduleOptions extends CyclicShapeOptions {
  /** The lower bound of the cycle and the value at step 0 (PyTorch `base_lr`). */
  baseLr: number;
  /** The upper bound of the cycle amplitude (PyTorch `max_lr`). */
  maxLr: number;
}

/** Options of {@linkcode cyclicMomentumSchedule}. */
export interface CyclicMomentumScheduleOptions extends CyclicShapeOptions {
  /**
   * The momentum at the peak of the learning rate (PyTorch `base_momentum`).
   * @default {0.8}
   */
  baseMomentum?: number;
  /**
   * The momentum at step 0 and where the learning rate is at its base (PyTorch `max_momentum`).
   * @default {0.9}
   */
  maxMomentum?: number;
}

const SHAPE_KEYS = ["stepSizeUp", "stepSizeDown", "mode", "gamma", "scaleFn", "scaleMode"];

/** Position in the cycle: `[scaleFactor, amplitude factor]` for a step. */
function _shape(where: string, o: Record<string, unknown>): (step: number) => [number, number] {
  const up = _number(where, "stepSizeUp", o.stepSizeUp, { min: 0, minOpen: true }, 2000);
  const down = _number(where, "stepSizeDown", o.stepSizeDown, { min: 0 }, up);
  const gamma = _number(where, "gamma", o.gamma, {}, 1);
  let scaleFn: (x: number) => number;
  let byCycle: boolean;
  if (o.scaleFn !== undefined) {
    if (typeof o.scaleFn !== "function") {
      throw _typeError(
        where,
        `'scaleFn' must be a function (x) => factor: current value is ${_show(o.scaleFn)}`,
      );
    }
    const fn = o.scaleFn as (x: number) => number;
    scaleFn = (x) => {
      const v = fn(x);
      if (typeof v !== "number" || !Number.isFinite(v)) {
        throw new RangeError(
          `Cannot evaluate schedule '${where}': 'scaleFn' must return a finite number: it` +
            ` returned ${_show(v)} for ${x}`,
        );
      }
      return v;
    };
    byCycle = _choice(where, "scaleMode", o.scaleMode, ["cycle", "iterations"], "cycle") ===
      "cycle";
  } else {
    const mode = _choice(
      where,
      "mode",
      o.mode,
      ["triangular", "triangular2", "exp_range"] as const,
      "triangular",
    );
    if (o.scaleMode !== undefined) {
      _choice(where, "scaleMode", o.scaleMode, ["cycle", "iterations"], "cycle");
    }
    if (mode === "triangular") {
      scaleFn = () => 1;
      byCycle = true;
    } else if (mode === "triangular2") {
      scaleFn = (x) => 1 / 2 ** (x - 1);
      byCycle = true;
    } else {
      scaleFn = (x) => gamma ** x;
      byCycle = false;
    }
  }
  const totalSize = up + down;
  const stepRatio = up / totalSize;
  return (step) => {
    _step(where, step);
    const cycle = Math.floor(1 + step / totalSize);
    const x = 1 + step / totalSize - cycle;
    const scale = x <= stepRatio ? x / stepRatio : (x - 1) / (stepRatio - 1);
    return [scale, scaleFn(byCycle ? cycle : step)];
  };
}

/**
 * Cyclical learning rate (Smith 2017; PyTorch `CyclicLR`, one value per optimizer step):
 * `baseLr + (maxLr - baseLr) * s * f`, where `s` rises linearly from 0 to 1 over `stepSizeUp`
 * steps and falls back over `stepSizeDown` steps, and `f` is the amplitude factor of `mode`.
 *
 * @param options Bounds, cycle shape and policy.
 * @returns The learning-rate schedule.
 * @throws {TypeError} If an option is missing, has the wrong type or is unknown.
 * @throws {RangeError} If a step size is out of range, `mode` is unknown or a value is not
 * finite.
 *
 * @example `triangular2` halves the amplitude every cycle
 * ```ts
 * import { cyclicSchedule } from "./cyclic.ts";
 * import { equal } from "node:assert/strict";
 *
 * const lr = cyclicSchedule({ baseLr: 0, maxLr: 1, stepSizeUp: 4, mode: "triangular2" });
 * equal(lr(4), 1);
 * equal(lr(12), 0.5);
 * ```
 */
export function cyclicSchedule(options: CyclicScheduleOptions): Schedule {
  const where = "cyclicSchedule";
  const o = _options(where, options, ["baseLr", "maxLr", ...SHAPE_KEYS]);
  const baseLr = _number(where, "baseLr", o.baseLr);
  const maxLr = _number(where, "maxLr", o.maxLr);
  const shape = _shape(where, o);
  return (step) => {
    const [scale, f] = shape(step);
    const baseHeight = (maxLr - baseLr) * scale;
    return baseLr + baseHeight * f;
  };
}

/**
 * The momentum cycle that goes with {@linkcode cyclicSchedule} (PyTorch `CyclicLR` with
 * `cycle_momentum=True`): `maxMomentum - (maxMomentum - baseMomentum) * s * f`, inversely to the
 * learning rate. Pass the same shape options as to the learning-rate schedule.
 *
 * @param options Momentum bounds and the cycle shape.
 * @returns The momentum schedule.
 * @throws {TypeError} If an option has the wrong type or is unknown.
 * @throws {RangeError} If a step size is out of range, `mode` is unknown or a value is not
 * finite.
 *
 * @example The momentum is lowest where the rate peaks
 * ```ts
 * import { cyclicMomentumSchedule } from "./cyclic.ts";
 * import { equal } from "node:assert/strict";
 *
 * const momentum = cyclicMomentumSchedule({ stepSizeUp: 4 }); // 0.8 .. 0.9
 * equal(momentum(0), 0.9);
 * equal(momentum(4), 0.8);
 * ```
 */
export function cyclicMomentumSchedule(options: CyclicMomentumScheduleOptions = {}): Schedule {
  const where = "cyclicMomentumSchedule";
  const o = _options(where, options, ["baseMomentum", "maxMomentum", ...SHAPE_KEYS]);
  const baseMomentum = _number(where, "baseMomentum", o.baseMomentum, {}, 0.8);
  const maxMomentum = _number(where, "maxMomentum", o.maxMomentum, {}, 0.9);
  const shape = _shape(where, o);
  return (step) => {
    const [scale, f] = shape(step);
    const baseHeight = (maxMomentum - baseMomentum) * scale;
    return maxMomentum - baseHeight * f;
  };
}
