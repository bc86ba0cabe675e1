/**
 * RETURNN's step-level rules of data-parallel training, as pure functions of the settings and
 * the step (docs/distributed.md cites the RETURNN function each comes from):
 *
 * - {@linkcode learningRateFactor}: `horovod_scale_lr` multiplies the learning rate by the
 *   number of ranks (`returnn/tf/updater.py` `Updater._get_learning_rate`), in both reduce types.
 * - {@linkcode gradientReduceOp}: `avg` for `torch_distributed` (DDP), `sum` for Horovod unless
 *   `horovod_avg_grad`; `undefined` with reduce type `param` (no gradient traffic).
 * - {@linkcode reduceGradientsNow}: newbob all-reduces every micro-step's gradient before the
 *   optimizer engine accumulates it (RETURNN TF's order); RETURNN PyTorch reduces the
 *   accumulated sum on the update step only. The sums are the same up to float rounding.
 * - {@linkcode syncParamsNow}: `param` averages parameters after step `i` of the epoch when
 *   `i % N == N - 1` (`DistributedContext.should_sync_now`).
 * - {@linkcode checkHasDataNow}: when ranks agree whether everyone still has data
 *   (`returnn/torch/engine.py` `Engine.train_epoch`): at the epoch's first step, every step that
 *   syncs, and whenever this rank ran out.
 *
 * @module
 */

import type { DistributedSettings } from "./config.ts";

/** The settings the rules read. */
export type RuleSettings = Pick<
  DistributedSettings,
  "reduceType" | "paramSyncStep" | "gradReduceOp" | "scaleLearningRateBySize"
>;

/**
 * Factor on every learning rate: the number of ranks with `horovod_scale_lr`, else 1.
 *
 * @param settings The distributed settings.
 * @param size The number of ranks.
 * @returns The factor.
 *
 * @example Usage
 * ```ts
 * import { learningRateFactor } from "./rules.ts";
 * import { equal } from "node:assert/strict";
 * const s = { reduceType: "grad", paramSyncStep: 1, gradReduceOp: "sum", scaleLearningRateBySize: true } as const;
 * equal(learningRateFactor(s, 4), 4);
 * ```
 */
export function learningRateFactor(settings: RuleSettings, size: number): number {
  return settings.scaleLearningRateBySize ? size : 1;
}

/**
 * The reduction of gradients over ranks, or `undefined` when gradients are not reduced (`param`).
 *
 * @param settings The distributed settings.
 * @returns `"avg"`, `"sum"` or `undefined`.
 *
 * @example Usage
 * ```ts
 * import { gradientReduceOp } from "./rules.ts";
 * import { equal } from "node:assert/strict";
 * const s = { reduceType: "grad", paramSyncStep: 1, gradReduceOp: "avg", scaleLearningRateBySize: false } as const;
 * equal(gradientReduceOp(s), "avg");
 * equal(gradientReduceOp({ ...s, reduceType: "param" }), undefined);
 * ```
 */
export function gradientReduceOp(settings: RuleSettings): "avg" | "sum" | undefined {
  return settings.reduceType === "grad" ? settings.gradReduceOp : undefined;
}

/**
 * Whether this micro-step's gradient is all-reduced before it goes to the optimizer: every
 * micro-step with `grad` (the optimizer engine then accumulates the reduced gradients, so the
 * update sees the same sum as a reduction of the accumulated gradient), never with `param`.
 *
 * @param settings The distributed settings.
 * @returns Whether to reduce.
 *
 * @example Usage
 * ```ts
 * import { reduceGradientsNow } from "./rules.ts";
 * import { equal } from "node:assert/strict";
 * const s = { reduceType: "grad", paramSyncStep: 1, gradReduceOp: "avg", scaleLearningRateBySize: false } as const;
 * equal(reduceGradientsNow(s), true);
 * ```
 */
export function reduceGradientsNow(settings: RuleSettings): boolean {
  return settings.reduceType === "grad";
}

/**
 * Whether the next forward/backward may run while this micro-step's gradient all-reduce is in
 * flight without changing the result: only inside an accumulation window (the update has not
 * happened, so the parameters the next micro-step reads are the same). After an update the
 * next step needs the updated parameters, which need the reduced gradient.
 *
 * @param settings The distributed settings.
 * @param update Whether this micro-step ends an accumulation window (the optimizer updates).
 * @returns Whether overlapping is exact.
 *
 * @example Usage
 * ```ts
 * import { overlapIsExact } from "./rules.ts";
 * import { equal } from "node:assert/strict";
 * const s = { reduceType: "grad", paramSyncStep: 1, gradReduceOp: "avg", scaleLearningRateBySize: false } as const;
 * equal(overlapIsExact(s, false), true);
 * equal(overlapIsExact(s, true), false);
 * ```
 */
export function overlapIsExact(settings: RuleSettings, update: boolean): boolean {
  return settings.reduceType === "grad" && !update;
}

/**
 * Whether parameters are averaged after step `epochStepIdx` (0-based, counted in mini-batches
 * from the start of the epoch, accumulation micro-steps included, as RETURNN counts them).
 *
 * @param settings The distributed settings.
 * @param epochStepIdx The step's index within the epoch.
 * @returns True every `paramSyncStep` steps with `param`; never with `grad`.
 *
 * @example Usage
 * ```ts
 * import { syncParamsNow } from "./rules.ts";
 * import { deepEqual } from "node:assert/strict";
 * const s = { reduceType: "param", paramSyncStep: 3, gradReduceOp: "avg", scaleLearningRateBySize: false } as const;
 * deepEqual([0, 1, 2, 3, 4, 5].map((i) => syncParamsNow(s, i)), [false, false, true, false, false, true]);
 * ```
 */
export function syncParamsNow(settings: RuleSettings, epochStepIdx: number): boolean {
  if (settings.reduceType !== "param") return false;
  const n = settings.paramSyncStep;
  return epochStepIdx % n === n - 1;
}

/**
 * Whether this step joins the has-data all-reduce (every rank's "I have a batch" flag, reduced
 * with `min`; when any rank has none, the epoch ends for all). With `grad` ranks meet at every
 * step anyway; with `param` they meet at the first step, at every parameter sync, and when a
 * rank has run out (its flag then meets the others' next check, so every rank stops there).
 *
 * @param settings The distributed settings.
 * @param epochStepIdx The step's index within the epoch.
 * @param localHasData Whether this rank has a batch for the step.
 * @returns Whether to join the flag's all-reduce.
 *
 * @example Usage
 * ```ts
 * import { checkHasDataNow } from "./rules.ts";
 * import { equal } from "node:assert/strict";
 * const s = { reduceType: "param", paramSyncStep: 4, gradReduceOp: "avg", scaleLearningRateBySize: false } as const;
 * equal(checkHasDataNow(s, 0, true), true);
 * equal(checkHasDataNow(s, 1, true), false);
 * equal(checkHasDataNow(s, 1, false), true);
 * equal(checkHasDataNow(s, 3, true), true);
 * ```
 */
export function checkHasDataNow(
  settings: RuleSettings,
  epochStepIdx: number,
  localHasData: boolean,
): boolean {
  return settings.reduceType === "grad" || epochStepIdx === 0 || !localHasData ||
    syncParamsNow(settings, epochStepIdx);
}
