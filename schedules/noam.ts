/**
 * The Noam learning-rate schedule of RETURNN's documentation, ready to use as a
 * `dynamic_learning_rate` function.
 *
 * @module
 */

import type {
  DynamicLearningRateContext,
  DynamicLearningRateFunction,
} from "./dynamic_learning_rate.ts";
import { _choice, _number, _options, _stepContext } from "./_validate.ts";

/**
 * How the step count `n` of the Noam formula is derived from `globalTrainStep` (0 for the first
 * step):
 *
 * - `"step"`: `n = globalTrainStep`, so the first step's rate is 0 (RETURNN's documented
 *   example; PyTorch `LambdaLR` with `e` and `lr(0) = 0`).
 * - `"step+1"`: `n = globalTrainStep + 1`; the rate is never 0.
 * - `"max(step,1)"`: `n = max(globalTrainStep, 1)`; steps 0 and 1 share a rate (Annotated
 *   Transformer style).
 */
export type NoamStepConvention = "step" | "step+1" | "max(step,1)";

/** Options of {@linkcode noam}. */
export interface NoamOptions {
  /** Number of warm-up steps (RETURNN example: `WARMUP_N = 25000`); > 0. */
  warmup: number;
  /** Model dimension (RETURNN example: `MODEL_D = 512`); > 0. */
  modelDim: number;
  /**
   * How `n` is derived from `globalTrainStep`.
   * @default {"step"}
   */
  stepConvention?: NoamStepConvention;
}

/**
 * The Noam schedule (Vaswani et al. 2017) as a `dynamic_learning_rate` function:
 * `learningRate * modelDim ** -0.5 * min(n ** -0.5, n * warmup ** -1.5)`, rising linearly for
 * `warmup` steps, then decaying as `1 / sqrt(n)`. `n = 0` gives exactly 0 (the formula's
 * `0 ** -0.5` is infinite and the minimum picks `0 * warmup ** -1.5`).
 *
 * @param options Warm-up length, model dimension and step convention.
 * @returns A function of `{globalTrainStep, learningRate, ...}`, usable as a
 * `dynamic_learning_rate` setting. It throws a `RangeError` when `globalTrainStep` is not a
 * non-negative integer or `learningRate` is not finite.
 * @throws {TypeError} If an option is missing, has the wrong type or is unknown.
 * @throws {RangeError} If `warmup` or `modelDim` is not > 0, or `stepConvention` is unknown.
 *
 * @example RETURNN's documented Noam example
 * ```ts
 * import { noam, type NoamOptions, type NoamStepConvention } from "./noam.ts";
 * import { dynamicLearningRate } from "./dynamic_learning_rate.ts";
 * import { equal } from "node:assert/strict";
 *
 * // learning_rate = 1; dynamic_learning_rate = Noam with WARMUP_N = 25000, MODEL_D = 512
 * const stepConvention: NoamStepConvention = "step"; // n = global_train_step
 * const options: NoamOptions = { warmup: 25000, modelDim: 512, stepConvention };
 * const lrAt = dynamicLearningRate(noam(options));
 * const ctx = { epoch: 1, epochContinuous: 0, learningRate: 1 };
 * equal(lrAt({ ...ctx, globalTrainStep: 0 }), 0);
 * equal(lrAt({ ...ctx, globalTrainStep: 25000 }), 512 ** -0.5 * 25000 ** -0.5);
 * ```
 */
export function noam(options: NoamOptions): DynamicLearningRateFunction {
  const where = "noam";
  const o = _options(where, options, ["warmup", "modelDim", "stepConvention"]);
  const warmup = _number(where, "warmup", o.warmup, { min: 0, minOpen: true });
  const modelDim = _number(where, "modelDim", o.modelDim, { min: 0, minOpen: true });
  const convention = _choice(
    where,
    "stepConvention",
    o.stepConvention,
    ["step", "step+1", "max(step,1)"] as const,
    "step",
  );
  const scale = modelDim ** -0.5;
  const warmupPow = warmup ** -1.5;
  return (ctx: DynamicLearningRateContext) => {
    const { globalTrainStep: s, learningRate: lr } = _stepContext("noam", ctx);
    const n = convention === "step" ? s : convention === "step+1" ? s + 1 : Math.max(s, 1);
    if (n === 0) return 0;
    return lr * scale * Math.min(n ** -0.5, n * warmupPow);
  };
}
