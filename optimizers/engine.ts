/**
 * The fused optimizer engine: one optimizer definition (`OptimizerDef`) plus a transform chain,
 * run on the `cpu` backend (float32 reference) or the `webgpu` backend (one fused kernel per
 * parameter group and step, one submit, no waiting).
 *
 * The pieces: the group planner (`engine_groups.ts`), the accumulation schedule
 * (`engine_schedule.ts`), one step (`engine_step.ts`), save/load/reset (`engine_saved.ts`), the
 * backends (`engine_backend.ts`, `engine_cpu.ts`, `engine_webgpu.ts`) and the per-state record
 * that ties a state to the optimizer that made it (`engine_record.ts`).
 *
 * @module
 */

import type { GpuProvider } from "../gpu/device.ts";
import { compilePlan, type TransformPlan } from "../transforms/plan.ts";
import type { GradientTransform } from "../transforms/types.ts";
import {
  autoBackend,
  type Backend,
  type BackendContext,
  checkBackend,
  createBackendState,
  openBackend,
} from "./engine_backend.ts";
import {
  checkNonNegative,
  type NoDecayRule,
  type ParamGroupSpec,
  planGroups,
} from "./engine_groups.ts";
import {
  type EngineRecord,
  newCounters,
  recordOf,
  registerState,
  releaseState,
} from "./engine_record.ts";
import { loadRecord, resetRecord, type SavedIdentity, saveRecord } from "./engine_saved.ts";
import {
  InvalidGradientError,
  type StepContext,
  stepRecord,
  syncSkipStatus,
} from "./engine_step.ts";
import type { TensorInput } from "./engine_types.ts";
import type { WasmEngineOptions } from "./engine_wasm.ts";
import type { WebGpuEngineOptions } from "./engine_webgpu.ts";
import type { SavedOptimizerState } from "./state.ts";
import type { Hyper, OptimizerDef } from "./types.ts";

export type { Backend } from "./engine_backend.ts";
/** The kernel language of `OptimizerDef.kernel` (custom definitions build their update with it). */
export * from "../kernels/lane.ts";
export { DEFAULT_NO_DECAY, type NoDecayRule, type ParamGroupSpec } from "./engine_groups.ts";
export { InvalidGradientError } from "./engine_step.ts";
export type { TensorInput } from "./engine_types.ts";
export type { WasmEngineOptions } from "./engine_wasm.ts";
export type { WebGpuEngineOptions } from "./engine_webgpu.ts";

/** Options of {@linkcode createOptimizerFromDef} (and `createOptimizer`). */
export interface EngineOptions {
  /**
   * Backend; `"auto"`: webgpu with a given device or a hardware adapter, else wasm (see
   * `autoBackend`). @default {"auto"}
   */
  backend?: Backend | "auto";
  /** Use this device (e.g. TensorFlow.js's) instead of acquiring one. */
  device?: GPUDevice;
  /** Adapter provider, like `navigator.gpu` (tests inject fakes). */
  gpu?: GpuProvider | null;
  /** Gradient transforms applied before the optimizer, in order. @default {[]} */
  transforms?: readonly GradientTransform[];
  /** Compute the global L2 gradient norm every update (for `lastGradNorm`). @default {false} */
  trackGradNorm?: boolean;
  /** Learning-rate multiplier of the whole optimizer. @default {1} */
  learningRateMultiplier?: number;
  /** Parameter groups used when `init` gets none. */
  paramGroups?: readonly ParamGroupSpec[];
  /**
   * Tensors excluded from weight decay by name (needs `names` in `init`): a predicate, a
   * pattern, or `false`. @default {DEFAULT_NO_DECAY}
   */
  noDecay?: NoDecayRule;
  /** WebGPU tuning (workgroup size, elements per thread, chunk size). */
  webgpu?: WebGpuEngineOptions;
  /** wasm backend: threads (default: the cores) and memory size limit. */
  wasm?: WasmEngineOptions;
}

/** Options of `init`. */
export interface InitOptions {
  /** Tensor names (for `noDecay` and saved state). */
  names?: readonly string[];
  /** Element counts, needed for `GPUBuffer`s larger than their tensor. */
  sizes?: readonly number[];
  /** Parameter groups (overrides the optimizer's `paramGroups`). */
  groups?: readonly ParamGroupSpec[];
}

/** Options of `step`. */
export interface StepOptions {
  /** Learning rate of this step (before group multipliers). */
  learningRate: number;
  /** Current epoch: resets the per-epoch accumulation window and the invalid-step counter. */
  epoch?: number;
  /** Global training step (mini-batch count) for global accumulation windows. @default {steps so far} */
  globalStep?: number;
}

/** Opaque optimizer state (parameters and slots live here: the authoritative copy). */
export interface OptimizerState {
  /** Backend holding the state. */
  readonly backend: Backend;
  /** Number of tensors. */
  readonly tensorCount: number;
  /** Tensor names (given or `param<i>`). */
  readonly names: readonly string[];
}

/**
 * An optimizer bound to a definition, hyperparameters, transforms and a backend. A state belongs
 * to the optimizer whose `init` made it: every method rejects another optimizer's state with a
 * `TypeError`.
 */
export interface Optimizer {
  /** The definition. */
  readonly def: OptimizerDef;
  /** Resolved hyperparameters. */
  readonly hyper: Hyper;
  /** Backend. */
  readonly backend: Backend;
  /** The compiled transform plan. */
  readonly plan: TransformPlan;
  /** Create state for `params` (copied into the state; GPU buffers are copied on the GPU). */
  init(params: readonly TensorInput[], options?: InitOptions): Promise<OptimizerState>;
  /** One step (or accumulation micro-step); on webgpu returns without waiting for the GPU. */
  step(
    state: OptimizerState,
    grads: readonly TensorInput[],
    options: StepOptions,
  ): Promise<void>;
  /** Current parameters, in `init` order (synchronises). */
  read(state: OptimizerState): Promise<Float32Array[]>;
  /** Global L2 norm of the last update's gradients (synchronises). */
  lastGradNorm(state: OptimizerState): Promise<number>;
  /** Save the state (synchronises). */
  exportState(state: OptimizerState): Promise<SavedOptimizerState>;
  /** Load saved state into `state` (which holds the parameters); checks it matches. */
  importState(state: OptimizerState, saved: SavedOptimizerState): Promise<void>;
  /** Re-initialise slots, host scalars, accumulators and counters (not the parameters). */
  resetState(state: OptimizerState): Promise<void>;
  /**
   * Arrays the caller may write a step's gradients into, in `init` order: passing the same
   * arrays to `step` copies nothing (wasm: views into its shared memory; null for a tensor split
   * over two memories, and on the other backends, where `step` takes any array).
   */
  gradientArrays(state: OptimizerState): (Float32Array | null)[];
  /** Free the state's memory (GPU buffers, wasm memories and Workers). */
  dispose(state: OptimizerState): void;
}

/** Names of `params` (given or `param<i>`), one per tensor. */
function tensorNames(params: readonly TensorInput[], options: InitOptions): string[] {
  if (!Array.isArray(params) || params.length === 0) {
    throw new RangeError(
      "Cannot init the optimizer as 'params' must be a non-empty array of Float32Array or " +
        "GPUBuffer",
    );
  }
  const names = options.names ? [...options.names] : params.map((_, i) => `param${i}`);
  if (names.length !== params.length) {
    throw new RangeError(
      `Cannot init the optimizer as 'names' has ${names.length} entries for ` +
        `${params.length} tensors: give one name per tensor`,
    );
  }
  return names;
}

/** Element count of every parameter (a GPUBuffer's from `options.sizes`, else its size). */
function tensorSizes(params: readonly TensorInput[], options: InitOptions): number[] {
  return params.map((p, i) => {
    if (p instanceof Float32Array) return p.length;
    if (typeof GPUBuffer !== "undefined" && p instanceof GPUBuffer) {
      return options.sizes?.[i] ?? p.size / 4;
    }
    throw new TypeError(
      `Cannot init the optimizer as parameter ${i} is neither a Float32Array nor a GPUBuffer`,
    );
  });
}

/** Everything an optimizer's methods share. */
interface EngineContext {
  readonly def: OptimizerDef;
  readonly hyper: Hyper;
  readonly plan: TransformPlan;
  readonly baseMult: number;
  readonly id: SavedIdentity;
  readonly backend: BackendContext;
  readonly options: EngineOptions;
}

async function initState(
  opt: Optimizer,
  ctx: EngineContext,
  params: readonly TensorInput[],
  initOptions: InitOptions,
): Promise<OptimizerState> {
  const { def, hyper, plan, options } = ctx;
  const names = tensorNames(params, initOptions);
  const sizes = tensorSizes(params, initOptions);
  const groups = planGroups({
    def,
    hyper,
    names,
    namesGiven: initOptions.names !== undefined,
    sizes,
    specs: initOptions.groups ?? options.paramGroups ?? [],
    ...(options.noDecay !== undefined ? { noDecay: options.noDecay } : {}),
  });
  const backend = await createBackendState(ctx.backend, {
    def,
    plan,
    groups: groups.map((g) => g.setup),
    params: groups.map((g) => g.indices.map((i) => params[i])),
  });
  const state: OptimizerState = Object.freeze({
    backend: ctx.backend.backend,
    tensorCount: params.length,
    names: Object.freeze(names),
  });
  const counters = newCounters();
  registerState(state, { owner: opt, ownerName: def.name, backend, groups, sizes, counters });
  return state;
}

async function readState(ctx: EngineContext, r: EngineRecord): Promise<Float32Array[]> {
  await syncSkipStatus(ctx.plan, r);
  const perGroup = await r.backend.readParams();
  const out: Float32Array[] = new Array(r.sizes.length);
  r.groups.forEach((g, gi) => g.indices.forEach((i, t) => out[i] = perGroup[gi][t]));
  return out;
}

async function lastNorm(ctx: EngineContext, r: EngineRecord): Promise<number> {
  if (ctx.plan.normReduction < 0) {
    throw new RangeError(
      "Cannot read the gradient norm as this optimizer does not compute one: create it " +
        "with `trackGradNorm: true` or a global-norm clip / invalid-gradient transform",
    );
  }
  return (await r.backend.readStatus()).norms[ctx.plan.normReduction];
}

async function exportRecord(
  ctx: EngineContext,
  r: EngineRecord,
  names: readonly string[],
): Promise<SavedOptimizerState> {
  await syncSkipStatus(ctx.plan, r).catch((e) => {
    if (!(e instanceof InvalidGradientError)) throw e;
  });
  return await saveRecord(ctx.id, r, names);
}

/** The optimizer object: each method finds the state's record (rejecting a foreign state). */
function bindOptimizer(ctx: EngineContext): Optimizer {
  const { def } = ctx;
  const opt: Optimizer = {
    def,
    hyper: ctx.hyper,
    backend: ctx.backend.backend,
    plan: ctx.plan,
    init: (params, initOptions = {}) => initState(opt, ctx, params, initOptions),
    step(state, grads, stepOptions) {
      try {
        const stepCtx: StepContext = { ...ctx, names: state.names };
        stepRecord(stepCtx, recordOf(state, opt, def.name), grads, stepOptions);
        return Promise.resolve();
      } catch (e) {
        return Promise.reject(e);
      }
    },
    read: async (state) => await readState(ctx, recordOf(state, opt, def.name)),
    lastGradNorm: async (state) => await lastNorm(ctx, recordOf(state, opt, def.name)),
    exportState: async (state) =>
      await exportRecord(ctx, recordOf(state, opt, def.name), state.names),
    async importState(state, saved) {
      loadRecord(ctx.id, recordOf(state, opt, def.name), saved);
      await Promise.resolve();
    },
    async resetState(state) {
      resetRecord(ctx.id, recordOf(state, opt, def.name));
      await Promise.resolve();
    },
    gradientArrays(state) {
      const r = recordOf(state, opt, def.name);
      const views = r.backend.gradientViews?.();
      const out: (Float32Array | null)[] = new Array(r.sizes.length).fill(null);
      if (views) r.groups.forEach((g, gi) => g.indices.forEach((i, t) => out[i] = views[gi][t]));
      return out;
    },
    dispose(state) {
      releaseState(state, opt, def.name)?.backend.destroy();
    },
  };
  return opt;
}

/**
 * Create an optimizer from a definition and resolved hyperparameters. Most code calls
 * `createOptimizer(configDict, options)` instead, which resolves the definition by class name.
 *
 * @throws {RangeError} for an unknown backend, a bad transform chain or learning-rate multiplier.
 * @throws {GpuUnavailableError} on `backend: "webgpu"` without an adapter.
 * @example Usage
 * ```ts
 * import { createOptimizerFromDef } from "./engine.ts";
 * import { sgd } from "./sgd.ts";
 * import { deepEqual } from "node:assert/strict";
 * const opt = await createOptimizerFromDef(sgd, sgd.resolve(sgd.defaults), { backend: "cpu" });
 * const state = await opt.init([new Float32Array([1, 2])]);
 * await opt.step(state, [new Float32Array([1, 1])], { learningRate: 0.5 });
 * deepEqual(await opt.read(state), [new Float32Array([0.5, 1.5])]);
 * ```
 */
export async function createOptimizerFromDef(
  def: OptimizerDef,
  hyper: Hyper,
  options: EngineOptions = {},
): Promise<Optimizer> {
  const asked = options.backend ?? "auto";
  const backendName = asked === "auto" ? "auto" : checkBackend(asked);
  const plan = compilePlan(options.transforms ?? [], options.trackGradNorm ?? false);
  const baseMult = checkNonNegative("learningRateMultiplier", options.learningRateMultiplier ?? 1);
  const chosen = backendName === "auto" ? await autoBackend(options) : backendName;
  const backend = await openBackend(chosen, options, options.webgpu, options.wasm);
  const id: SavedIdentity = { def, hyper, plan, transforms: options.transforms ?? [] };
  return bindOptimizer({ def, hyper, plan, baseMult, id, backend, options });
}
