/**
 * CPU backend of the optimizer engine: the same semantics as the WGSL kernels, over
 * `Float32Array`s with exact float32 rounding (`Math.fround` after every operation). It is the
 * reference the GPU kernels are tested against. The transforms' element-wise operations run
 * through their modules' CPU references (`transforms/ops/`).
 *
 * @module
 */

import { elementOp } from "../transforms/ops/registry.ts";
import type { CpuOpArgs } from "../transforms/ops/_op.ts";
import type { NormType } from "../transforms/types.ts";
import { measuresRawGradients, type Reduction, type TransformPlan } from "../transforms/plan.ts";
import type {
  BackendInit,
  BackendState,
  GroupSetup,
  StepCommand,
  TensorInput,
} from "./engine_types.ts";
import type { Hyper, OptimizerDef } from "./types.ts";
import type { GroupStep } from "./engine_types.ts";

const f = Math.fround;

/**
 * `x` as a Float32Array for a host backend, or a TypeError naming what was a GPU buffer.
 *
 * @example Usage
 * ```ts
 * import { hostArray } from "./engine_cpu.ts";
 * import { equal } from "node:assert/strict";
 * equal(hostArray(new Float32Array(2), "gradients", "cpu").length, 2);
 * ```
 */
export function hostArray(x: TensorInput, what: string, backend: "cpu" | "wasm"): Float32Array {
  if (!(x instanceof Float32Array)) {
    throw new TypeError(
      `Cannot use the ${backend} backend with GPU buffers as ${what}: pass Float32Arrays or ` +
        "choose the webgpu backend",
    );
  }
  return x;
}

/**
 * Norm of one tensor (float32 result of a float64 accumulation; the inf-norm propagates NaN).
 *
 * @example Usage
 * ```ts
 * import { tensorNorm } from "./engine_cpu.ts";
 * import { equal } from "node:assert/strict";
 * equal(tensorNorm(new Float32Array([3, -4]), 2), 5);
 * equal(tensorNorm(new Float32Array([3, -4]), "inf"), 4);
 * ```
 */
export function tensorNorm(g: Float32Array, normType: NormType): number {
  let acc = 0;
  if (normType === "inf") {
    for (let i = 0; i < g.length; i++) acc = Math.max(acc, Math.abs(g[i]));
    return f(acc);
  }
  if (normType === 1) {
    for (let i = 0; i < g.length; i++) acc += Math.abs(g[i]);
    return f(acc);
  }
  for (let i = 0; i < g.length; i++) acc += g[i] * g[i];
  return f(Math.sqrt(acc));
}

/**
 * Combine per-tensor norms into the global norm (as `torch.nn.utils.clip_grad_norm_`).
 *
 * @example Usage
 * ```ts
 * import { globalNorm } from "./engine_cpu.ts";
 * import { equal } from "node:assert/strict";
 * equal(globalNorm([3, 4], 2), 5);
 * ```
 */
export function globalNorm(norms: readonly number[], normType: NormType): number {
  let acc = 0;
  for (const n of norms) {
    if (normType === "inf") acc = Math.max(acc, n);
    else if (normType === 1) acc += n;
    else acc += n * n;
  }
  return f(normType === 2 ? Math.sqrt(acc) : acc);
}

/**
 * Clip coefficient of a reduction with norm `n` (float32; NaN for a NaN norm, as torch's
 * `clamp(max=1)`).
 *
 * @example Usage
 * ```ts
 * import { clipCoefficient } from "./engine_cpu.ts";
 * import { equal } from "node:assert/strict";
 * equal(clipCoefficient({ maxNorm: 1, style: "tf" }, 4), 0.25);
 * ```
 */
export function clipCoefficient(red: Pick<Reduction, "maxNorm" | "style">, n: number): number {
  const c = f(red.maxNorm);
  return red.style === "torch" ? Math.min(f(c / f(n + f(1e-6))), 1) : f(c / Math.max(n, c));
}

/**
 * The shared prologue (maximize, weight decay) and the definition's update on one tensor.
 *
 * @example Usage
 * ```ts
 * import { stepTensor } from "./engine_cpu.ts";
 * import { sgd } from "./sgd.ts";
 * import { equal } from "node:assert/strict";
 * const h = sgd.resolve(sgd.defaults);
 * const p = new Float32Array([1]);
 * const st = { scalars: new Float32Array([-0.5]), lr: 0.5, wd: 0, decay: 1, opValues: [] };
 * stepTensor(sgd, h, st, p, new Float32Array([2]), []);
 * equal(p[0], 0);
 * ```
 */
export function stepTensor(
  def: OptimizerDef,
  h: Hyper,
  st: GroupStep,
  p: Float32Array,
  g0: Float32Array,
  slots: readonly Float32Array[],
): void {
  const n = p.length;
  let g = g0;
  const maximize = h.maximize === true;
  if (maximize || (def.weightDecay === "coupled" && st.wd !== 0)) {
    g = Float32Array.from(g0);
    if (maximize) { for (let j = 0; j < n; j++) g[j] = -g[j]; }
    if (def.weightDecay === "coupled" && st.wd !== 0) {
      // torch's grad.add(param, alpha=wd) is one fused multiply-add; st.wd and p are float32,
      // so the product is exact in float64.
      for (let j = 0; j < n; j++) g[j] = f(g[j] + st.wd * p[j]);
    }
  }
  if (def.weightDecay === "decoupled" && st.wd !== 0) {
    for (let j = 0; j < n; j++) p[j] = f(p[j] * st.decay);
  }
  def.cpu(h, st.scalars, p, g, slots, 0, n);
}

/** One group's arrays: the authoritative parameters, slots and accumulators. */
interface CpuGroup {
  readonly setup: GroupSetup;
  readonly params: Float32Array[];
  readonly slots: Float32Array[][];
  readonly accum: Float32Array[] | null;
}

/** Mutable skip and norm status of a host backend (cpu, wasm). */
export interface HostStatus {
  /** Global norm per reduction from the last update (NaN before any). */
  norms: number[];
  /** Consecutive invalid updates. */
  consec: number;
  /** Update attempt that aborted (0 if none). */
  abort: number;
  /** Updates skipped so far. */
  skipped: number;
}

/** Results of the reductions of one update, read by the scale operations. */
export interface Scales {
  /** Per reduction: per group, per tensor scale (per-tensor reductions). */
  readonly tensor: number[][][];
  /** Per reduction: the global coefficient (1 when not clipping). */
  readonly global: number[];
}

/**
 * Finish reduction `r` from its per-tensor norms (float32, per group and tensor): the
 * per-tensor scales, or the global norm, its clip coefficient and, for the checked reduction,
 * the invalid-gradient status. Returns whether the update is skipped. Shared by the cpu and wasm
 * backends, so both take the same decisions from the same norms.
 *
 * @example Usage
 * ```ts
 * import { finishReduction } from "./engine_cpu.ts";
 * import { compilePlan } from "../transforms/plan.ts";
 * import { equal } from "node:assert/strict";
 * const plan = compilePlan([{ kind: "clip_global_norm", maxNorm: 1, normType: 2, style: "tf" }]);
 * const status = { norms: [NaN], consec: 0, abort: 0, skipped: 0 };
 * const scales = { tensor: [[]], global: [1] };
 * const cmd = { update: true, accumFirst: true, attempt: 1, epochStart: false, groups: [] };
 * equal(finishReduction(plan, 0, [[3, 4]], status, scales, cmd), false);
 * equal(scales.global[0], Math.fround(1 / 5));
 * ```
 */
export function finishReduction(
  plan: TransformPlan,
  r: number,
  norms: readonly (readonly number[])[],
  status: HostStatus,
  scales: Scales,
  cmd: StepCommand,
): boolean {
  const red = plan.reductions[r];
  if (red.scope === "tensor") {
    const c = f(red.maxNorm);
    scales.tensor[r] = norms.map((ns) => ns.map((n) => f(c / Math.max(n, c))));
    return false;
  }
  const n = globalNorm(norms.flat(), red.normType);
  status.norms[r] = n;
  if (Number.isFinite(red.maxNorm)) scales.global[r] = clipCoefficient(red, n);
  if (plan.skip?.reduction !== r) return false;
  if (cmd.epochStart) status.consec = 0;
  let skipped = false;
  if (!Number.isFinite(n)) {
    status.consec++;
    status.skipped++;
    skipped = true;
    if (status.consec > plan.skip.allowed && status.abort === 0) status.abort = cmd.attempt;
  } else {
    status.consec = 0;
  }
  return skipped || status.abort !== 0;
}

function copyGroups(init: BackendInit): CpuGroup[] {
  return init.groups.map((gs, gi) => ({
    setup: gs,
    params: init.params[gi].map((p, t) => {
      const a = hostArray(p, "parameters", "cpu");
      if (a.length !== gs.sizes[t]) throw new RangeError("internal: size mismatch");
      return Float32Array.from(a);
    }),
    slots: gs.slots.map((_, k) => gs.sizes.map((n) => new Float32Array(n).fill(gs.slotInit[k]))),
    accum: init.plan.accumulate ? gs.sizes.map((n) => new Float32Array(n)) : null,
  }));
}

/** Apply plan operations `[k0, k1)` to every tensor's working copies. */
function applyOps(
  plan: TransformPlan,
  k0: number,
  k1: number,
  work: { g: Float32Array[][]; p: Float32Array[][] },
  groups: readonly CpuGroup[],
  cmd: StepCommand,
  scales: Scales,
): void {
  for (let k = k0; k < k1; k++) {
    const op = plan.ops[k];
    const kind = elementOp(op.op);
    groups.forEach((grp, gi) => {
      work.g[gi].forEach((g, t) => {
        const args: CpuOpArgs = {
          g,
          p: work.p[gi][t],
          tensor: grp.setup.tensorBase + t,
          attempt: cmd.attempt,
          stepValue: cmd.groups[gi].opValues[k],
          tensorScale: (r) => scales.tensor[r][gi][t],
          globalScale: (r) => scales.global[r],
        };
        kind.cpu(op, args);
      });
    });
  }
}

/** The prologue and the definition's update on every tensor, with gradients `grads`. */
function stepAll(
  def: OptimizerDef,
  groups: readonly CpuGroup[],
  cmd: StepCommand,
  grads: Float32Array[][],
): void {
  groups.forEach((grp, gi) =>
    grp.params.forEach((p, t) =>
      stepTensor(def, grp.setup.hyper, cmd.groups[gi], p, grads[gi][t], grp.slots.map((s) => s[t]))
    )
  );
}

/**
 * One update from `source` (the accumulated gradients, or this step's); `raw` are this
 * mini-batch's gradients as given (RETURNN TF's global-norm clip measures them). Returns whether
 * the update was skipped.
 */
function update(
  def: OptimizerDef,
  plan: TransformPlan,
  groups: readonly CpuGroup[],
  status: HostStatus,
  source: Float32Array[][],
  raw: Float32Array[][],
  cmd: StepCommand,
): boolean {
  if (plan.ops.length === 0 && plan.reductions.length === 0) {
    // No transforms: update in place from the gradients as given (definitions never write to
    // `g`, and the prologue copies before it changes a gradient).
    stepAll(def, groups, cmd, source);
    return false;
  }
  // Working copies: transforms may scale p (kept only if the update is not skipped).
  const work = {
    g: source.map((gs) => gs.map((g) => Float32Array.from(g))),
    p: groups.map((grp) => grp.params.map((p) => Float32Array.from(p))),
  };
  const scales: Scales = {
    tensor: plan.reductions.map(() => []),
    global: plan.reductions.map(() => 1),
  };
  let done = 0;
  let skipped = false;
  plan.reductions.forEach((red, r) => {
    if (red.at > done) applyOps(plan, done, red.at, work, groups, cmd, scales);
    done = Math.max(done, red.at);
    const src = measuresRawGradients(red) ? raw : work.g;
    const norms = src.map((gs) => gs.map((g) => tensorNorm(g, red.normType)));
    if (finishReduction(plan, r, norms, status, scales, cmd)) skipped = true;
  });
  if (skipped) return true;
  applyOps(plan, done, plan.ops.length, work, groups, cmd, scales);
  groups.forEach((grp, gi) => grp.params.forEach((p, t) => p.set(work.p[gi][t])));
  stepAll(def, groups, cmd, work.g);
  return false;
}

/** This step's gradients as arrays, checked against the group sizes. */
function gradientArrays(
  groups: readonly CpuGroup[],
  grads: readonly (readonly TensorInput[])[],
): Float32Array[][] {
  return grads.map((gs, gi) =>
    gs.map((g, t) => {
      const a = hostArray(g, "gradients", "cpu");
      if (a.length !== groups[gi].setup.sizes[t]) throw new RangeError("internal: grad size");
      return a;
    })
  );
}

/** Sum this step's gradients into the accumulators (overwrite on a window's first step). */
function accumulate(groups: readonly CpuGroup[], arrays: Float32Array[][], first: boolean): void {
  groups.forEach((grp, gi) =>
    grp.accum!.forEach((acc, t) => {
      const g = arrays[gi][t];
      if (first) acc.set(g);
      else for (let j = 0; j < acc.length; j++) acc[j] = f(acc[j] + g[j]);
    })
  );
}

/**
 * Create CPU state. Parameters are copied: the state holds the authoritative copy.
 *
 * @example Usage
 * ```ts
 * import { createCpuState } from "./engine_cpu.ts";
 * import { compilePlan } from "../transforms/plan.ts";
 * import { sgd } from "./sgd.ts";
 * import { deepEqual } from "node:assert/strict";
 * const hyper = sgd.resolve(sgd.defaults);
 * const state = createCpuState({
 *   def: sgd, plan: compilePlan([]), params: [[new Float32Array([1])]],
 *   groups: [{ hyper, slots: [], slotInit: [], sizes: [1], tensorBase: 0 }],
 * });
 * const groups = [{ scalars: new Float32Array([-0.5]), lr: 0.5, wd: 0, decay: 1, opValues: [] }];
 * state.step([[new Float32Array([1])]], { update: true, accumFirst: true, attempt: 1, epochStart: false, groups });
 * deepEqual(await state.readParams(), [[new Float32Array([0.5])]]);
 * ```
 */
export function createCpuState(init: BackendInit): BackendState {
  const { def, plan } = init;
  const groups = copyGroups(init);
  const status: HostStatus = {
    norms: plan.reductions.map(() => NaN),
    consec: 0,
    abort: 0,
    skipped: 0,
  };
  const copy = (a: Float32Array) => Float32Array.from(a);
  return {
    step(grads, cmd) {
      const arrays = gradientArrays(groups, grads);
      if (plan.accumulate) accumulate(groups, arrays, cmd.accumFirst);
      if (!cmd.update) return false;
      const source = plan.accumulate ? groups.map((grp) => grp.accum!) : arrays;
      return update(def, plan, groups, status, source, arrays, cmd);
    },
    readParams: () => Promise.resolve(groups.map((g) => g.params.map(copy))),
    readSlots: () =>
      Promise.resolve({
        slots: groups.map((g) => g.slots.map((s) => s.map(copy))),
        accum: plan.accumulate ? groups.map((g) => g.accum!.map(copy)) : null,
      }),
    writeSlots(slots, accum) {
      groups.forEach((g, gi) => {
        g.slots.forEach((s, k) => s.forEach((a, t) => a.set(slots[gi][k][t])));
        if (g.accum && accum) g.accum.forEach((a, t) => a.set(accum[gi][t]));
      });
    },
    readStatus: () => Promise.resolve({ ...status, norms: [...status.norms] }),
    writeStatus(consec, skipped) {
      Object.assign(status, { consec, skipped, abort: 0 });
    },
    pollAbort: () => status.abort,
    checkSoon() {},
    destroy() {},
  };
}
