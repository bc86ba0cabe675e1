/**
 * PyTorch's `ReduceLROnPlateau` (torch 1.13 semantics) for PyTorch users: reduce the learning
 * rate by `factor` once the metric has not improved for `patience` epochs. All comparisons are
 * made in float64.
 *
 * @module
 */

import { didYouMeanSuffix } from "../_util/did_you_mean.ts";

/** `ReduceLROnPlateau` options, with torch's keyword names and defaults. */
export interface ReduceOnPlateauOptions {
  /** `"min"` (lower metric is better) or `"max"`. @default {"min"} */
  mode?: "min" | "max";
  /** Multiplier of the rate on a reduction, `< 1`. @default {0.1} */
  factor?: number;
  /** Epochs without improvement tolerated before a reduction. @default {10} */
  patience?: number;
  /** Minimal change counted as an improvement. @default {1e-4} */
  threshold?: number;
  /** `"rel"` (relative to the best) or `"abs"`. @default {"rel"} */
  threshold_mode?: "rel" | "abs";
  /** Epochs after a reduction during which bad epochs are not counted. @default {0} */
  cooldown?: number;
  /** Lower bound of the rate. @default {0} */
  min_lr?: number;
  /** A reduction smaller than this is skipped. @default {1e-8} */
  eps?: number;
}

const DEFAULTS: Readonly<Required<ReduceOnPlateauOptions>> = Object.freeze({
  mode: "min",
  factor: 0.1,
  patience: 10,
  threshold: 1e-4,
  threshold_mode: "rel",
  cooldown: 0,
  min_lr: 0,
  eps: 1e-8,
});

/**
 * Validate `ReduceLROnPlateau` options and fill in torch's defaults.
 *
 * @param options The options (torch keyword names).
 * @param where Name used in messages (e.g. the config key).
 * @returns The complete options.
 * @throws {TypeError} For an unknown option (with a did-you-mean) or a value of the wrong type.
 * @throws {RangeError} For `factor >= 1`, a negative patience/cooldown/threshold/eps/min_lr, or
 * an unknown mode.
 *
 * @example torch's defaults fill what is not given
 * ```ts
 * import { resolveReduceOnPlateauOptions } from "./reduce_on_plateau.ts";
 * import { equal } from "node:assert/strict";
 *
 * const o = resolveReduceOnPlateauOptions({ factor: 0.5 });
 * equal(o.factor, 0.5);
 * equal(o.patience, 10);
 * ```
 */
export function resolveReduceOnPlateauOptions(
  options: Record<string, unknown>,
  where = "ReduceLROnPlateau",
): Readonly<Required<ReduceOnPlateauOptions>> {
  const known = Object.keys(DEFAULTS);
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new TypeError(
        `Cannot create ${where} as '${key}' is not an option. Valid options: ${known.join(", ")}.` +
          didYouMeanSuffix(key, known),
      );
    }
  }
  const merged = {
    ...DEFAULTS,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  };
  const num = (key: string, min: number, integer = false): number => {
    const v = (merged as Record<string, unknown>)[key];
    if (typeof v !== "number" || Number.isNaN(v) || (integer && !Number.isInteger(v))) {
      throw new TypeError(
        `Cannot create ${where} as '${key}' must be ${integer ? "an integer" : "a number"}: ` +
          `current value is ${JSON.stringify(v)}`,
      );
    }
    if (v < min) {
      throw new RangeError(
        `Cannot create ${where} as '${key}' must be >= ${min}: current value is ${v}`,
      );
    }
    return v;
  };
  const factor = num("factor", -Infinity);
  if (factor >= 1) {
    throw new RangeError(
      `Cannot create ${where} as 'factor' must be < 1.0: current value is ${factor}`,
    );
  }
  if (merged.mode !== "min" && merged.mode !== "max") {
    throw new RangeError(
      `Cannot create ${where} as 'mode' must be "min" or "max": current value is ${
        JSON.stringify(merged.mode)
      }`,
    );
  }
  if (merged.threshold_mode !== "rel" && merged.threshold_mode !== "abs") {
    throw new RangeError(
      `Cannot create ${where} as 'threshold_mode' must be "rel" or "abs": current value is ` +
        JSON.stringify(merged.threshold_mode),
    );
  }
  return Object.freeze({
    mode: merged.mode,
    factor,
    patience: num("patience", 0, true),
    threshold: num("threshold", -Infinity),
    threshold_mode: merged.threshold_mode,
    cooldown: num("cooldown", 0, true),
    min_lr: num("min_lr", 0),
    eps: num("eps", 0),
  });
}

/** The state of a {@linkcode ReduceLROnPlateau} (torch's attributes). */
export interface ReduceOnPlateauState {
  /** Best metric so far (`inf` for min mode, `-inf` for max mode at the start). */
  best: number;
  /** Epochs since the last improvement. */
  numBadEpochs: number;
  /** Cooldown epochs left. */
  cooldownCounter: number;
  /** The current learning rate. */
  lr: number;
}

/**
 * torch's `ReduceLROnPlateau` on one learning rate. `step(metric)` returns the rate for the next
 * epoch.
 *
 * @example The third epoch without improvement halves the rate (patience 1)
 * ```ts
 * import { ReduceLROnPlateau } from "./reduce_on_plateau.ts";
 * import { equal } from "node:assert/strict";
 *
 * const s = new ReduceLROnPlateau(0.1, { patience: 1, factor: 0.5 });
 * s.step(1.0);
 * s.step(1.0);
 * equal(s.step(1.0), 0.05);
 * equal(s.state.numBadEpochs, 0);
 * ```
 */
export class ReduceLROnPlateau {
  /** The complete options. */
  readonly options: Readonly<Required<ReduceOnPlateauOptions>>;
  #state: ReduceOnPlateauState;

  /**
   * Create the scheduler.
   *
   * @param initialLr The learning rate before the first step.
   * @param options torch's keyword arguments.
   * @throws {TypeError} See {@linkcode resolveReduceOnPlateauOptions}.
   * @throws {RangeError} See {@linkcode resolveReduceOnPlateauOptions}.
   */
  constructor(initialLr: number, options: ReduceOnPlateauOptions = {}) {
    this.options = resolveReduceOnPlateauOptions(options as Record<string, unknown>);
    this.#state = {
      best: this.options.mode === "min" ? Infinity : -Infinity,
      numBadEpochs: 0,
      cooldownCounter: 0,
      lr: initialLr,
    };
  }

  /** The current learning rate. */
  get lr(): number {
    return this.#state.lr;
  }

  /** A copy of the state. */
  get state(): ReduceOnPlateauState {
    return { ...this.#state };
  }

  /**
   * Set the current learning rate (when something else, e.g. a `learning_rates` seed, changed it).
   *
   * @param lr The rate.
   */
  setLr(lr: number): void {
    this.#state.lr = lr;
  }

  /** Whether `a` improves on the best metric (torch's `is_better`). */
  isBetter(a: number): boolean {
    const { mode, threshold_mode: tm, threshold } = this.options;
    const best = this.#state.best;
    if (mode === "min" && tm === "rel") return a < best * (1 - threshold);
    if (mode === "min") return a < best - threshold;
    if (tm === "rel") return a > best * (threshold + 1);
    return a > best + threshold;
  }

  /**
   * Record one epoch's metric.
   *
   * @param metric The metric (e.g. the dev score).
   * @returns Whether the rate was reduced.
   */
  stepReduced(metric: number): boolean {
    const s = this.#state;
    const current = Number(metric);
    if (this.isBetter(current)) {
      s.best = current;
      s.numBadEpochs = 0;
    } else {
      s.numBadEpochs++;
    }
    if (s.cooldownCounter > 0) {
      s.cooldownCounter--;
      s.numBadEpochs = 0;
    }
    if (s.numBadEpochs <= this.options.patience) return false;
    s.cooldownCounter = this.options.cooldown;
    s.numBadEpochs = 0;
    const newLr = Math.max(s.lr * this.options.factor, this.options.min_lr);
    if (s.lr - newLr <= this.options.eps) return false;
    s.lr = newLr;
    return true;
  }

  /**
   * Record one epoch's metric (torch's `scheduler.step(metric)`).
   *
   * @param metric The metric.
   * @returns The learning rate after the step.
   */
  step(metric: number): number {
    this.stepReduced(metric);
    return this.#state.lr;
  }
}

/**
 * The learning rates after each `step(metrics[i])` of a fresh `ReduceLROnPlateau`.
 *
 * @param initialLr The rate before the first step.
 * @param metrics One metric per epoch.
 * @param options torch's keyword arguments.
 * @returns `lrs[i]`: the rate after `step(metrics[i])`.
 * @throws {TypeError} See {@linkcode resolveReduceOnPlateauOptions}.
 * @throws {RangeError} See {@linkcode resolveReduceOnPlateauOptions}.
 *
 * @example Patience 0: every epoch without improvement reduces
 * ```ts
 * import { reduceOnPlateauLrs } from "./reduce_on_plateau.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(reduceOnPlateauLrs(1, [3, 3, 3], { patience: 0, factor: 0.5 }), [1, 0.5, 0.25]);
 * ```
 */
export function reduceOnPlateauLrs(
  initialLr: number,
  metrics: readonly number[],
  options: ReduceOnPlateauOptions = {},
): number[] {
  const s = new ReduceLROnPlateau(initialLr, options);
  return metrics.map((m) => s.step(m));
}
