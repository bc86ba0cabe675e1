/**
 * Per-step learning-rate schedules: pure functions `step => value` (step 0 is the first
 * optimizer step), in the style of optax, covering what PyTorch and optax users expect, RETURNN's
 * `dynamic_learning_rate` (dict and function forms, with a ready Noam helper), and
 * {@linkcode fromTorch} to port a PyTorch `lr_scheduler` recipe by class name and kwargs.
 *
 * - PyTorch / optax shapes: {@linkcode constantSchedule}, {@linkcode stepSchedule},
 *   {@linkcode multiStepSchedule}, {@linkcode exponentialSchedule},
 *   {@linkcode cosineAnnealingSchedule}, {@linkcode cosineWarmRestartsSchedule},
 *   {@linkcode cyclicSchedule} + {@linkcode cyclicMomentumSchedule}, {@linkcode oneCycleSchedule} +
 *   {@linkcode oneCycleMomentumSchedule}, {@linkcode linearSchedule},
 *   {@linkcode polynomialSchedule}, {@linkcode multiplicativeSchedule},
 *   {@linkcode constantFactorSchedule}, {@linkcode joinSchedules},
 *   {@linkcode warmupCosineDecaySchedule}, {@linkcode inverseSqrtSchedule}.
 * - RETURNN: {@linkcode dynamicLearningRate} (`dynamic_learning_rate` as a dict `{interval,
 *   decay}`, evaluated in float32 like TF, or as a function) and {@linkcode noam}.
 * - PyTorch recipes: {@linkcode fromTorch}, {@linkcode fromTorchMomentum}.
 *
 * Every schedule validates its options when created (`TypeError`/`RangeError` naming the option,
 * the bad value and the fix) and throws a `RangeError` for a step that is not a non-negative
 * integer. Values are float64.
 *
 * @example Usage
 * ```ts
 * import {
 *   cosineAnnealingSchedule,
 *   fromTorch,
 *   joinSchedules,
 *   linearSchedule,
 *   type Schedule,
 * } from "./mod.ts";
 * import { equal } from "node:assert/strict";
 *
 * const lr: Schedule = joinSchedules({
 *   schedules: [
 *     linearSchedule({ initValue: 0.01, endValue: 0.1, transitionSteps: 10 }),
 *     cosineAnnealingSchedule({ initValue: 0.1, tMax: 90 }),
 *   ],
 *   boundaries: [10],
 * });
 * const torch = fromTorch("SequentialLR", {
 *   schedulers: [
 *     { class: "LinearLR", params: { start_factor: 0.1, end_factor: 1, total_iters: 10 } },
 *     { class: "CosineAnnealingLR", params: { T_max: 90 } },
 *   ],
 *   milestones: [10],
 * }, 0.1);
 * equal(lr(10), torch(10));
 * ```
 *
 * @module
 */

export type { Schedule } from "./types.ts";
export * from "./constant.ts";
export * from "./step.ts";
export * from "./multi_step.ts";
export * from "./exponential.ts";
export * from "./cosine_annealing.ts";
export * from "./cosine_warm_restarts.ts";
export * from "./cyclic.ts";
export * from "./one_cycle.ts";
export * from "./linear.ts";
export * from "./polynomial.ts";
export * from "./multiplicative.ts";
export * from "./constant_factor.ts";
export * from "./join_schedules.ts";
export * from "./warmup_cosine_decay.ts";
export * from "./inverse_sqrt.ts";
export * from "./dynamic_learning_rate.ts";
export * from "./noam.ts";
export * from "./from_torch.ts";
