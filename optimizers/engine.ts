/**
 * The fused optimizer engine: one optimizer definition (`OptimizerDef`) plus a transform chain,
 * run on the `cpu` backend (float32 reference) or the `webgpu` backend (one fused kernel per
 * parameter group and step, one submit, no waiting).
 *
 * @module
 */

import { acquireGpu, type GpuContext, type GpuProvider } from "../gpu/device.ts";
import { compilePlan, type TransformPlan } from "../transforms/plan.ts";
import type { GradientTransform } from "../transforms/types.ts";
import { createCpuState } from "./engine_cpu.ts";
import type {
  BackendState,
  GroupSetup,
  GroupStep,
  StepCommand,
  TensorInput,
} from "./engine_types.ts";
import { createWebGpuState, type WebGpuEngineOptions } from "./engine_webgpu.ts";
import {
  checkSavedState,
  SAVED_STATE_FORMAT,
  SAVED_STATE_VERSION,
  type SavedOptimizerState,
} from "./state.ts";
import type { HostState, Hyper, OptimizerDef } from "./types.ts";

export type { TensorInput } from "./engine_types.ts";
export type { WebGpuEngineOptions } from "./engine_webgpu.ts";

/** Where the optimizer runs. */
export type Backend = "cpu" | "webgpu";

/** Default pattern of tensor names excluded from weight decay (biases, normalisation). */
export const DEFAULT_NO_DECAY: RegExp = /bias|norm|ln|bn/i;

/** A parameter group: which tensors, with which multiplier and weight decay. */
export interface ParamGroupSpec {
  /** The group's tensors: indices (in `init` order) or names (from `init`'s `names`). */
  params: readonly (number | string)[];
  /** Multiplies the learning rate of the group. @default {1} */
  learningRateMultiplier?: number;
  /** Config spelling of `learningRateMultiplier`. */
  learning_rate_multiplier?: number;
  /** Weight decay of the group. @default {the optimizer's `weight_decay`} */
  weightDecay?: number;
  /** Config spelling of `weightDecay`. */
  weight_decay?: number;
}

/** Options of {@linkcode createOptimizerFromDef} (and `createOptimizer`). */
export interface EngineOptions {
  /** Backend. @default {"webgpu"} */
  backend?: Backend;
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
  noDecay?: ((name: string) => boolean) | RegExp | false;
  /** WebGPU tuning (workgroup size, elements per thread, chunk size). */
  webgpu?: WebGpuEngineOptions;
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

/** Thrown when more than the allowed number of consecutive updates had invalid gradients. */
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

/** An optimizer bound to a definition, hyperparameters, transforms and a backend. */
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
  /** Free the state's GPU memory. */
  dispose(state: OptimizerState): void;
}

interface Internal {
  backend: BackendState;
  groups: {
    setup: GroupSetup;
    mult: number;
    wd: number;
    indices: number[];
    host: HostState;
  }[];
  sizes: number[];
  counters: {
    microSteps: number;
    windowCount: number;
    lastEpoch: number | null;
    lastUpdateEpoch: number | null;
    attempts: number;
    skippedSeen: number;
  };
}

const internals = new WeakMap<OptimizerState, Internal>();
const f = Math.fround;

function internal(state: OptimizerState): Internal {
  const s = internals.get(state);
  if (!s) {
    throw new TypeError(
      "Cannot use this optimizer state as it was not created by `init` (or was disposed): " +
        "call `opt.init(params)` first",
    );
  }
  return s;
}

function checkNumber(what: string, v: unknown, min: number): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < min) {
    throw new RangeError(
      `Cannot use '${what}' as it must be a finite number >= ${min}: current value is ${v}`,
    );
  }
  return v;
}

/**
 * Create an optimizer from a definition and resolved hyperparameters. Most code calls
 * `createOptimizer(configDict, options)` instead, which resolves the definition by class name.
 *
 * @example Usage
 * ```ts
 * import {
 *   type Backend,
 *   createOptimizerFromDef,
 *   DEFAULT_NO_DECAY,
 *   type EngineOptions,
 *   type InitOptions,
 *   InvalidGradientError,
 *   type Optimizer,
 *   type OptimizerState,
 *   type ParamGroupSpec,
 *   type StepOptions,
 *   type TensorInput,
 *   type WebGpuEngineOptions,
 * } from "./engine.ts";
 * import type { OptimizerDef } from "./types.ts";
 * const sgd: OptimizerDef = {
 *   name: "sgd", aliases: [], defaults: { weight_decay: 0 }, weightDecay: "coupled",
 *   resolve: (m) => ({ weight_decay: m.weight_decay as number }),
 *   slots: () => [], slotInit: () => 0, hostInit: () => ({}), uniforms: () => ["lr"],
 *   scalars: (_h, _s, lr) => [lr], wgsl: () => "p = p - u.lr * g;",
 *   cpu: (_h, s, p, g, _sl, a, b) => {
 *     for (let i = a; i < b; i++) p[i] = Math.fround(p[i] - Math.fround(s[0] * g[i]));
 *   },
 * };
 * const backend: Backend = "cpu";
 * const webgpu: WebGpuEngineOptions = { workgroupSize: 64, elementsPerThread: 4 };
 * const groups: ParamGroupSpec[] = [{ params: [1], learningRateMultiplier: 2 }];
 * const options: EngineOptions = { backend, webgpu, noDecay: DEFAULT_NO_DECAY };
 * const opt: Optimizer = await createOptimizerFromDef(sgd, { weight_decay: 0 }, options);
 * const params: TensorInput[] = [new Float32Array([1, 2]), new Float32Array([1])];
 * const init: InitOptions = { names: ["w", "b"], groups };
 * const state: OptimizerState = await opt.init(params, init);
 * const step: StepOptions = { learningRate: 0.5 };
 * await opt.step(state, [new Float32Array([1, 1]), new Float32Array([1])], step);
 * const [w, b] = await opt.read(state);
 * console.assert(w[0] === 0.5 && w[1] === 1.5 && b[0] === 0);
 * console.assert(new InvalidGradientError(3, 0).step === 3);
 * ```
 */
export async function createOptimizerFromDef(
  def: OptimizerDef,
  hyper: Hyper,
  options: EngineOptions = {},
): Promise<Optimizer> {
  const backend = options.backend ?? "webgpu";
  if (backend !== "cpu" && backend !== "webgpu") {
    throw new RangeError(
      `Cannot create optimizer as 'backend' must be "cpu" or "webgpu": current value is ${backend}`,
    );
  }
  const plan = compilePlan(options.transforms ?? [], options.trackGradNorm ?? false);
  const baseMult = checkNumber("learningRateMultiplier", options.learningRateMultiplier ?? 1, 0);
  let gpu: GpuContext | null = null;
  if (backend === "webgpu") {
    gpu = await acquireGpu({
      ...(options.device ? { device: options.device } : {}),
      ...(options.gpu !== undefined ? { provider: options.gpu } : {}),
    });
  }
  const hasWd = typeof hyper.weight_decay === "number" && def.weightDecay !== "none";
  const slots = def.slots(hyper);
  const allowed = plan.skip?.allowed ?? 0;

  async function syncStatus(s: Internal) {
    if (!plan.skip) return;
    const st = await s.backend.readStatus();
    const delta = st.skipped - s.counters.skippedSeen;
    if (delta > 0) {
      // Updates skipped on the GPU: their step count was taken optimistically; give it back.
      for (const g of s.groups) g.host.step = Math.max(0, g.host.step - delta);
      s.counters.skippedSeen = st.skipped;
    }
    if (st.abort) throw new InvalidGradientError(st.abort, allowed);
  }

  function stepNow(
    state: OptimizerState,
    grads: readonly TensorInput[],
    stepOptions: StepOptions,
  ): void {
    const s = internal(state);
    const lr = checkNumber("learningRate", stepOptions?.learningRate, 0);
    if (!Array.isArray(grads) || grads.length !== s.sizes.length) {
      throw new RangeError(
        `Cannot step as ${grads?.length} gradients were given for ${s.sizes.length} ` +
          "parameters: pass one gradient per parameter, in init order",
      );
    }
    grads.forEach((g, i) => {
      const n = s.sizes[i];
      const ok = g instanceof Float32Array
        ? g.length === n
        : typeof GPUBuffer !== "undefined" && g instanceof GPUBuffer && g.size >= n * 4;
      if (!ok) {
        throw new RangeError(
          `Cannot step as gradient ${i} (${state.names[i]}) does not match its parameter ` +
            `of ${n} elements: pass a Float32Array of that length or a large enough GPUBuffer`,
        );
      }
    });
    const known = s.backend.pollAbort();
    if (known) throw new InvalidGradientError(known, allowed);
    const c = s.counters;
    const epoch = stepOptions.epoch;
    // Accumulation schedule.
    let first = true;
    let update = true;
    const acc = plan.accumulate;
    if (acc) {
      const K = acc.steps;
      if (acc.window === "global") {
        const g = stepOptions.globalStep ?? c.microSteps;
        first = g % K === 0;
        update = g % K === K - 1;
      } else {
        if (epoch !== undefined && epoch !== c.lastEpoch) c.windowCount = 0;
        first = c.windowCount === 0;
        c.windowCount++;
        update = c.windowCount >= K;
        if (update) c.windowCount = 0;
      }
    }
    if (epoch !== undefined) c.lastEpoch = epoch;
    c.microSteps++;
    const epochStart = update && epoch !== undefined && epoch !== c.lastUpdateEpoch;
    if (update && epoch !== undefined) c.lastUpdateEpoch = epoch;
    const snapshots = update ? s.groups.map((g) => ({ ...g.host })) : [];
    let groupSteps: GroupStep[] = [];
    if (update) {
      c.attempts++;
      groupSteps = s.groups.map((g) => {
        const lrG = lr * baseMult * g.mult;
        g.host.step += 1;
        const scalars = Float32Array.from(def.scalars(g.setup.hyper, g.host, lrG));
        return {
          scalars,
          lr: f(lrG),
          wd: f(g.wd),
          decay: f(1 - lrG * g.wd),
          pscale: plan.ops.map((op) =>
            op.op === "p_scale" ? f(op.lrScaled ? 1 - lrG * op.rate : 1 - op.rate) : 1
          ),
        };
      });
    }
    const cmd: StepCommand = {
      update,
      accumFirst: first,
      attempt: c.attempts,
      epochStart,
      groups: groupSteps,
    };
    const perGroup = s.groups.map((g) => g.indices.map((i) => grads[i]));
    const skipped = s.backend.step(perGroup, cmd);
    if (skipped === true) {
      s.groups.forEach((g, gi) => Object.assign(g.host, snapshots[gi]));
      c.skippedSeen++;
    }
    if (plan.skip) {
      const now = s.backend.pollAbort();
      if (now) throw new InvalidGradientError(now, allowed);
      if (update && c.attempts % plan.skip.checkInterval === 0) s.backend.checkSoon();
    }
  }

  const opt: Optimizer = {
    def,
    hyper,
    backend,
    plan,
    async init(params, initOptions = {}) {
      if (!Array.isArray(params) || params.length === 0) {
        throw new RangeError(
          "Cannot init the optimizer as 'params' must be a non-empty array of Float32Array or " +
            "GPUBuffer",
        );
      }
      const names = initOptions.names ? [...initOptions.names] : params.map((_, i) => `param${i}`);
      if (names.length !== params.length) {
        throw new RangeError(
          `Cannot init the optimizer as 'names' has ${names.length} entries for ` +
            `${params.length} tensors: give one name per tensor`,
        );
      }
      const sizes = params.map((p, i) => {
        if (p instanceof Float32Array) return p.length;
        if (typeof GPUBuffer !== "undefined" && p instanceof GPUBuffer) {
          return initOptions.sizes?.[i] ?? p.size / 4;
        }
        throw new TypeError(
          `Cannot init the optimizer as parameter ${i} is neither a Float32Array nor a GPUBuffer`,
        );
      });
      // Groups: explicit specs, then the rest; the rest split by the no-decay rule.
      const specs = initOptions.groups ?? options.paramGroups ?? [];
      const taken = new Set<number>();
      const groupDefs: { indices: number[]; mult: number; wd: number }[] = [];
      const baseWd = hasWd ? hyper.weight_decay as number : 0;
      specs.forEach((g, gi) => {
        const indices = g.params.map((x) => typeof x === "string" ? names.indexOf(x) : x);
        indices.forEach((i, k) => {
          if (i === -1) {
            throw new RangeError(
              `Cannot init the optimizer as parameter group ${gi} names tensor ` +
                `'${g.params[k]}', which is not in 'names': pass names to init or use indices`,
            );
          }
        });
        for (const i of indices) {
          if (!Number.isInteger(i) || i < 0 || i >= params.length || taken.has(i)) {
            throw new RangeError(
              `Cannot init the optimizer as parameter group ${gi} lists tensor ${i}, which is ` +
                `out of range or already in a group: list each of 0..${params.length - 1} once`,
            );
          }
          taken.add(i);
        }
        groupDefs.push({
          indices,
          mult: checkNumber(
            `paramGroups[${gi}].learningRateMultiplier`,
            g.learningRateMultiplier ?? g.learning_rate_multiplier ?? 1,
            0,
          ),
          wd: checkNumber(
            `paramGroups[${gi}].weightDecay`,
            g.weightDecay ?? g.weight_decay ?? baseWd,
            0,
          ),
        });
      });
      const rest = params.map((_, i) => i).filter((i) => !taken.has(i));
      const nd = options.noDecay ?? DEFAULT_NO_DECAY;
      const noDecay = nd === false
        ? () => false
        : nd instanceof RegExp
        ? (n: string) => nd.test(n)
        : nd;
      if (baseWd !== 0 && initOptions.names && rest.some((i) => noDecay(names[i]))) {
        groupDefs.push({ indices: rest.filter((i) => !noDecay(names[i])), mult: 1, wd: baseWd });
        groupDefs.push({ indices: rest.filter((i) => noDecay(names[i])), mult: 1, wd: 0 });
      } else {
        groupDefs.push({ indices: rest, mult: 1, wd: baseWd });
      }
      let base = 0;
      const groups = groupDefs.filter((g) => g.indices.length).map((g) => {
        const h: Hyper = hasWd ? Object.freeze({ ...hyper, weight_decay: g.wd }) : hyper;
        const setup: GroupSetup = {
          hyper: h,
          slots,
          slotInit: slots.map((s) => def.slotInit(h, s)),
          sizes: g.indices.map((i) => sizes[i]),
          tensorBase: base,
        };
        base += g.indices.length;
        return {
          setup,
          mult: g.mult,
          wd: g.wd,
          indices: g.indices,
          host: { ...def.hostInit(h), step: 0 } as HostState,
        };
      });
      const initArgs = {
        def,
        plan,
        groups: groups.map((g) => g.setup),
        params: groups.map((g) => g.indices.map((i) => params[i])),
      };
      let b: BackendState;
      if (backend === "cpu") b = createCpuState(initArgs);
      else {
        // One wait at init: surface WGSL or binding errors here, never during steps.
        gpu!.device.pushErrorScope("validation");
        let made: BackendState | null = null;
        let thrown: unknown = null;
        try {
          made = createWebGpuState(gpu!, initArgs, options.webgpu);
        } catch (e) {
          thrown = e;
        }
        const err = await gpu!.device.popErrorScope();
        if (thrown) throw thrown;
        if (err) {
          made?.destroy();
          throw new Error(
            `Cannot create the webgpu optimizer '${def.name}' as the device rejected it: ` +
              `${err.message.trim()}. This is a bug in newbob or the definition's WGSL; ` +
              "use the cpu backend meanwhile",
          );
        }
        b = made!;
      }
      const state: OptimizerState = Object.freeze({
        backend,
        tensorCount: params.length,
        names: Object.freeze(names),
      });
      internals.set(state, {
        backend: b,
        groups,
        sizes,
        counters: {
          microSteps: 0,
          windowCount: 0,
          lastEpoch: null,
          lastUpdateEpoch: null,
          attempts: 0,
          skippedSeen: 0,
        },
      });
      return state;
    },

    step(state, grads, stepOptions) {
      try {
        stepNow(state, grads, stepOptions);
        return Promise.resolve();
      } catch (e) {
        return Promise.reject(e);
      }
    },

    async read(state) {
      const s = internal(state);
      await syncStatus(s);
      const perGroup = await s.backend.readParams();
      const out: Float32Array[] = new Array(s.sizes.length);
      s.groups.forEach((g, gi) => g.indices.forEach((i, t) => out[i] = perGroup[gi][t]));
      return out;
    },

    async lastGradNorm(state) {
      const s = internal(state);
      if (plan.normReduction < 0) {
        throw new RangeError(
          "Cannot read the gradient norm as this optimizer does not compute one: create it " +
            "with `trackGradNorm: true` or a global-norm clip / invalid-gradient transform",
        );
      }
      const st = await s.backend.readStatus();
      return st.norms[plan.normReduction];
    },

    async exportState(state) {
      const s = internal(state);
      await syncStatus(s).catch((e) => {
        if (!(e instanceof InvalidGradientError)) throw e;
      });
      const st = await s.backend.readStatus();
      const { slots: sl, accum } = await s.backend.readSlots();
      const arrays: Record<string, Float32Array> = {};
      s.groups.forEach((g, gi) =>
        g.indices.forEach((i, t) => {
          slots.forEach((name, k) => arrays[`${i}/${name}`] = sl[gi][k][t]);
          if (accum) arrays[`${i}/accum`] = accum[gi][t];
        })
      );
      const c = s.counters;
      return {
        config: {
          format: SAVED_STATE_FORMAT,
          version: SAVED_STATE_VERSION,
          class: def.name,
          hyper: JSON.parse(JSON.stringify(hyper)),
          slots: [...slots],
          transforms: JSON.parse(JSON.stringify(options.transforms ?? [])),
          groups: s.groups.map((g) => ({
            learning_rate_multiplier: g.mult,
            weight_decay: g.wd,
            params: [...g.indices],
            host: { ...g.host },
          })),
          tensors: s.sizes.map((size, i) => ({ name: state.names[i], size })),
          counters: {
            micro_steps: c.microSteps,
            window_count: c.windowCount,
            last_epoch: c.lastEpoch,
            last_update_epoch: c.lastUpdateEpoch,
            attempts: c.attempts,
            consec_invalid: st.consec,
            skipped: st.skipped,
          },
        },
        arrays,
      };
    },

    async importState(state, saved) {
      const s = internal(state);
      checkSavedState(saved, [def.name, ...def.aliases], slots, s.sizes);
      const cfg = saved.config;
      const groupOf = new Map<number, Record<string, number>>();
      for (const g of cfg.groups) for (const i of g.params) groupOf.set(i, g.host);
      const hasAccum = plan.accumulate !== null;
      const sl = s.groups.map((g) =>
        slots.map((name) => g.indices.map((i) => saved.arrays[`${i}/${name}`]))
      );
      const accum = hasAccum
        ? s.groups.map((g) =>
          g.indices.map((i) => saved.arrays[`${i}/accum`] ?? new Float32Array(s.sizes[i]))
        )
        : null;
      s.backend.writeSlots(sl, accum);
      for (const g of s.groups) {
        const host = groupOf.get(g.indices[0]);
        if (host) {
          for (const k of Object.keys(g.host)) delete g.host[k];
          Object.assign(g.host, host);
        }
      }
      const k = cfg.counters;
      Object.assign(s.counters, {
        microSteps: k.micro_steps,
        windowCount: k.window_count,
        lastEpoch: k.last_epoch,
        lastUpdateEpoch: k.last_update_epoch,
        attempts: k.attempts,
        skippedSeen: k.skipped,
      });
      s.backend.writeStatus(k.consec_invalid, k.skipped);
      await Promise.resolve();
    },

    async resetState(state) {
      const s = internal(state);
      const sl = s.groups.map((g) =>
        slots.map((name) =>
          g.indices.map((i) => new Float32Array(s.sizes[i]).fill(def.slotInit(g.setup.hyper, name)))
        )
      );
      const accum = plan.accumulate
        ? s.groups.map((g) => g.indices.map((i) => new Float32Array(s.sizes[i])))
        : null;
      s.backend.writeSlots(sl, accum);
      for (const g of s.groups) {
        for (const k of Object.keys(g.host)) delete g.host[k];
        Object.assign(g.host, def.hostInit(g.setup.hyper), { step: 0 });
      }
      s.counters.windowCount = 0;
      s.backend.writeStatus(0, s.counters.skippedSeen);
      await Promise.resolve();
    },

    dispose(state) {
      const s = internals.get(state);
      if (!s) return;
      s.backend.destroy();
      internals.delete(state);
    },
  };
  return opt;
}
