/**
 * RETURNN's `dynamic_learning_rate` setting: a per-step factor on the epoch learning rate, given
 * as a dict `{interval, decay}` (TF semantics, float32) or as a function.
 *
 * @module
 */

import { _didYouMean, _kind, _number, _show, _stepContext } from "./_validate.ts";

/**
 * What a `dynamic_learning_rate` function is called with (RETURNN's keyword arguments, in
 * camelCase).
 */
export interface DynamicLearningRateContext {
  /** Global index of the training step (mini-batch), 0 for the very first one. */
  globalTrainStep: number;
  /** The current epoch, 1-based. */
  epoch: number;
  /**
   * The epoch as a fraction, `epoch - 1 + fraction of the epoch done`; `null` when unknown.
   */
  epochContinuous: number | null;
  /** The epoch's learning rate, as set by the learning-rate control. */
  learningRate: number;
}

/** A `dynamic_learning_rate` function: returns the learning rate for one step. */
export type DynamicLearningRateFunction = (ctx: DynamicLearningRateContext) => number;

/** The dict form of `dynamic_learning_rate`: `lr * decay ** (globalTrainStep % interval)`. */
export interface DynamicLearningRateDict {
  /** Period of the cycle in steps; an integer >= 1. */
  interval: number;
  /** Factor per step within the cycle; finite. */
  decay: number;
}

/** Every accepted `dynamic_learning_rate` setting; `null`/`undefined` means "not set". */
export type DynamicLearningRateSetting =
  | DynamicLearningRateDict
  | DynamicLearningRateFunction
  | null
  | undefined;

const WHERE = "dynamic_learning_rate";

function _checkContext(ctx: DynamicLearningRateContext): void {
  if (ctx === null || typeof ctx !== "object") {
    throw new TypeError(
      `Cannot evaluate '${WHERE}': the context must be an object {globalTrainStep, epoch,` +
        ` epochContinuous, learningRate}: current value is ${_show(ctx)}`,
    );
  }
  _stepContext(WHERE, ctx);
}

/**
 * Turn a RETURNN `dynamic_learning_rate` setting into a function computing each step's learning
 * rate from the epoch learning rate.
 *
 * - Dict `{interval, decay}` (RETURNN's TF backend; no other keys): `learningRate * decay **
 *   (globalTrainStep % interval)`, evaluated in float32 as TF does: `learningRate` and `decay`
 *   are rounded to float32, then the power and the product are each rounded to float32.
 * - Function: called with the context; it must return a finite number (RETURNN's Torch backend
 *   form; for a Noam schedule see `noam`).
 * - `null`/`undefined`: the epoch learning rate unchanged.
 *
 * @param setting The config value.
 * @returns `(ctx) => learning rate for step ctx.globalTrainStep`. It throws a `RangeError` when
 * `ctx.globalTrainStep` is not a non-negative integer or `ctx.learningRate` is not finite, and
 * (function form) a `TypeError`/`RangeError` when the function does not return a finite number.
 * @throws {TypeError} If the setting is neither a dict, a function nor null, a dict key is
 * missing or unknown, or a value is not a number.
 * @throws {RangeError} If `interval` is not an integer >= 1 or `decay` is not finite.
 *
 * @example Dict form (float32, as in RETURNN's TF backend) and function form
 * ```ts
 * import { dynamicLearningRate } from "./dynamic_learning_rate.ts";
 * import { equal } from "node:assert/strict";
 *
 * const ctx = { globalTrainStep: 5, epoch: 1, epochContinuous: 0.5, learningRate: 0.1 };
 * equal(dynamicLearningRate({ interval: 4, decay: 0.5 })(ctx), Math.fround(0.05)); // 0.1 * 0.5 ** (5 % 4)
 * const warmup = dynamicLearningRate(({ globalTrainStep, learningRate }) =>
 *   learningRate * Math.min(1, (globalTrainStep + 1) / 100)
 * );
 * equal(warmup(ctx), 0.006);
 * equal(dynamicLearningRate(null)(ctx), 0.1); // not set: unchanged
 * ```
 */
export function dynamicLearningRate(
  setting: DynamicLearningRateSetting,
): DynamicLearningRateFunction {
  if (setting === undefined || setting === null) {
    return (ctx) => {
      _checkContext(ctx);
      return ctx.learningRate;
    };
  }
  if (typeof setting === "function") {
    const fn = setting;
    return (ctx) => {
      _checkContext(ctx);
      const v: unknown = fn(ctx);
      if (typeof v !== "number") {
        throw new TypeError(
          `'${WHERE}' function must return a finite number: it returned ${_show(v)} (${
            _kind(v)
          }) at globalTrainStep ${ctx.globalTrainStep} (epoch ${ctx.epoch}); return e.g.` +
            ` learningRate * factor`,
        );
      }
      if (!Number.isFinite(v)) {
        throw new RangeError(
          `'${WHERE}' function must return a finite number: it returned ${v} at` +
            ` globalTrainStep ${ctx.globalTrainStep} (epoch ${ctx.epoch}); check for a` +
            ` division by zero or a negative power of 0 at the first step`,
        );
      }
      return v;
    };
  }
  if (typeof setting !== "object" || Array.isArray(setting)) {
    throw new TypeError(
      `Cannot use '${WHERE}': it must be a dict {interval, decay} or a function` +
        ` ({globalTrainStep, epoch, epochContinuous, learningRate}) => number: current value is ${
          _show(setting)
        } (${_kind(setting)})`,
    );
  }
  const dict = setting as unknown as Record<string, unknown>;
  const known = ["interval", "decay"];
  for (const key of Object.keys(dict)) {
    if (!known.includes(key)) {
      throw new TypeError(
        `Cannot use '${WHERE}': unknown key '${key}' in the dict form; it takes exactly` +
          ` 'interval' and 'decay'.${_didYouMean(key, known)}`,
      );
    }
  }
  for (const key of known) {
    if (!(key in dict) || dict[key] === undefined) {
      throw new TypeError(
        `Cannot use '${WHERE}': the dict form needs '${key}', e.g. {interval: 1000, decay:` +
          ` 0.99}: current value is ${_show(dict)}`,
      );
    }
  }
  const interval = _number(WHERE, "interval", dict.interval, { min: 1, integer: true });
  const decay32 = Math.fround(_number(WHERE, "decay", dict.decay));
  return (ctx) => {
    _checkContext(ctx);
    const power = Math.fround(decay32 ** (ctx.globalTrainStep % interval));
    return Math.fround(Math.fround(ctx.learningRate) * power);
  };
}
