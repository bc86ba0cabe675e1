/**
 * One `step` call of the engine: the gradients checked against the parameters, the accumulation
 * schedule, this update's per-group scalars (host step counts advanced), the backend call, and
 * the skip bookkeeping (a skipped update gives its step count back).
 *
 * @module
 */

import { elementOp } from "../transforms/ops/registry.ts";
import type { TransformPlan } from "../transforms/plan.ts";
import { checkNonNegative } from "./engine_groups.ts";
import type { EngineGroup, EngineRecord } from "./engine_record.ts";
import { nextMicroStep } from "./engine_schedule.ts";
import type { GroupStep, StepCommand, TensorInput } from "./engine_types.ts";
import type { OptimizerDef } from "./types.ts";

const f = Math.fround;

/**
 * Thrown when more than the allowed number of consecutive updates had invalid gradients.
 *
 * @example Usage
 * ```ts
 * import { InvalidGradientError } from "./engine_step.ts";
 * import { equal } from "node:assert/strict";
 * equal(new InvalidGradientError(3, 0).step, 3);
 * ```
 */
export class InvalidGradientError extends Error {
  /** The (1-based) update step that exceeded the allowance. */
  readonly step: number;
  /**
   * Create the error.
   * @param step The update step that aborted.
   * @param allowed `num_allowed_consec_invalid_gradient_steps`.
   */
  constructor(step: number, allowed: number) {
    super(
      `Aborting training as update step ${step} had a non-finite gradient norm, more than ` +
        `num_allowed_consec_invalid_gradient_steps=${allowed} in a row: lower the learning rate, ` +
        "clip gradients, check the data, or raise the allowance",
    );
    this.name = "InvalidGradientError";
    this.step = step;
  }
}

/** What a step needs besides the record. */
export interface StepContext {
  /** The definition. */
  readonly def: OptimizerDef;
  /** The compiled transform chain. */
  readonly plan: TransformPlan;
  /** The optimizer's learning-rate multiplier. */
  readonly baseMult: number;
  /** Tensor names, for messages. */
  readonly names: readonly string[];
}

/** Options of one step (see `StepOptions` in `engine.ts`). */
export interface StepRequest {
  /** Learning rate before group multipliers. */
  readonly learningRate: number;
  /** Current epoch. */
  readonly epoch?: number;
  /** Global training step. */
  readonly globalStep?: number;
}

function checkGradients(
  r: EngineRecord,
  names: readonly string[],
  grads: readonly TensorInput[],
): void {
  if (!Array.isArray(grads) || grads.length !== r.sizes.length) {
    throw new RangeError(
      `Cannot step as ${grads?.length} gradients were given for ${r.sizes.length} ` +
        "parameters: pass one gradient per parameter, in init order",
    );
  }
  grads.forEach((g, i) => {
    const n = r.sizes[i];
    const ok = g instanceof Float32Array
      ? g.length === n
      : typeof GPUBuffer !== "undefined" && g instanceof GPUBuffer && g.size >= n * 4;
    if (!ok) {
      throw new RangeError(
        `Cannot step as gradient ${i} (${names[i]}) does not match its parameter ` +
          `of ${n} elements: pass a Float32Array of that length or a large enough GPUBuffer`,
      );
    }
  });
}

/** This update's per-group values; advances every group's host step count and scalars. */
function groupSteps(
  ctx: StepContext,
  groups: readonly EngineGroup[],
  lr: number,
): GroupStep[] {
  return groups.map((g) => {
    const lrG = lr * ctx.baseMult * g.mult;
    g.host.step += 1;
    const scalars = Float32Array.from(ctx.def.scalars(g.setup.hyper, g.host, lrG));
    return {
      scalars,
      lr: f(lrG),
      wd: f(g.wd),
      decay: f(1 - lrG * g.wd),
      opValues: ctx.plan.ops.map((op) => elementOp(op.op).perStep?.(op, lrG) ?? 1),
    };
  });
}

/**
 * Take one step (or accumulation micro-step) on record `r`; never waits for a GPU.
 *
 * @throws {RangeError} for a bad learning rate or gradients that do not match the parameters.
 * @throws {InvalidGradientError} when the invalid-gradient allowance is exceeded (known now on
 * cpu; on webgpu at a later step, read or periodic check).
 * @example Usage
 * ```ts
 * import { createOptimizer } from "./engine_create.ts";
 * import { deepEqual } from "node:assert/strict";
 * const opt = await createOptimizer({ class: "sgd" }, { backend: "cpu" });
 * const state = await opt.init([new Float32Array([1])]);
 * await opt.step(state, [new Float32Array([2])], { learningRate: 0.25 }); // calls stepRecord
 * deepEqual(await opt.read(state), [new Float32Array([0.5])]);
 * ```
 */
export function stepRecord(
  ctx: StepContext,
  r: EngineRecord,
  grads: readonly TensorInput[],
  options: StepRequest,
): void {
  const lr = checkNonNegative("learningRate", options?.learningRate);
  checkGradients(r, ctx.names, grads);
  const allowed = ctx.plan.skip?.allowed ?? 0;
  const known = r.backend.pollAbort();
  if (known) throw new InvalidGradientError(known, allowed);
  const c = r.counters;
  const micro = nextMicroStep(c, ctx.plan.accumulate, options.epoch, options.globalStep);
  const snapshots = micro.update ? r.groups.map((g) => ({ ...g.host })) : [];
  if (micro.update) c.attempts++;
  const cmd: StepCommand = {
    update: micro.update,
    accumFirst: micro.first,
    attempt: c.attempts,
    epochStart: micro.epochStart,
    groups: micro.update ? groupSteps(ctx, r.groups, lr) : [],
  };
  const perGroup = r.groups.map((g) => g.indices.map((i) => grads[i]));
  if (r.backend.step(perGroup, cmd) === true) {
    r.groups.forEach((g, gi) => Object.assign(g.host, snapshots[gi]));
    c.skippedSeen++;
  }
  if (!ctx.plan.skip) return;
  const now = r.backend.pollAbort();
  if (now) throw new InvalidGradientError(now, allowed);
  if (micro.update && c.attempts % ctx.plan.skip.checkInterval === 0) r.backend.checkSoon();
}

/**
 * Bring the host in line with the backend's skip status: updates skipped on the GPU took their
 * step count optimistically and give it back; an abort is raised.
 *
 * @throws {InvalidGradientError} when the backend recorded an abort.
 * @example Usage
 * ```ts
 * import { createOptimizer } from "./engine_create.ts";
 * import { skipInvalidGradients } from "../transforms/skip_invalid_gradients.ts";
 * import { rejects } from "node:assert/strict";
 * const opt = await createOptimizer({ class: "sgd" }, {
 *   backend: "cpu",
 *   transforms: [skipInvalidGradients(0)],
 * });
 * const state = await opt.init([new Float32Array(1)]);
 * await rejects(opt.step(state, [new Float32Array([NaN])], { learningRate: 0.1 }), /update step 1/);
 * ```
 */
export async function syncSkipStatus(plan: TransformPlan, r: EngineRecord): Promise<void> {
  if (!plan.skip) return;
  const st = await r.backend.readStatus();
  const delta = st.skipped - r.counters.skippedSeen;
  if (delta > 0) {
    for (const g of r.groups) g.host.step = Math.max(0, g.host.step - delta);
    r.counters.skippedSeen = st.skipped;
  }
  if (st.abort) throw new InvalidGradientError(st.abort, plan.skip.allowed);
}
