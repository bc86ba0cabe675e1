/**
 * CPU backend of the optimizer engine: the same semantics as the WGSL kernels, over
 * `Float32Array`s with exact float32 rounding (`Math.fround` after every operation). It is the
 * reference the GPU kernels are tested against.
 *
 * @module
 */

import { noiseKey, truncNormal } from "../transforms/noise.ts";
import type { NormType } from "../transforms/types.ts";
import { measuresRawGradients, type Reduction } from "../transforms/plan.ts";
import type {
  BackendInit,
  BackendState,
  BackendStatus,
  GroupStep,
  StepCommand,
  TensorInput,
} from "./engine_types.ts";
import type { Hyper, OptimizerDef } from "./types.ts";

const f = Math.fround;

function asArray(x: TensorInput, what: string): Float32Array {
  if (!(x instanceof Float32Array)) {
    throw new TypeError(
      `Cannot use the cpu backend with GPU buffers as ${what}: pass Float32Arrays or choose ` +
        "the webgpu backend",
    );
  }
  return x;
}

/** Norm of one tensor (float32 result of a float64 accumulation). */
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

/** Combine per-tensor norms into the global norm (as `torch.nn.utils.clip_grad_norm_`). */
export function globalNorm(norms: readonly number[], normType: NormType): number {
  let acc = 0;
  for (const n of norms) {
    if (normType === "inf") acc = Math.max(acc, n);
    else if (normType === 1) acc += n;
    else acc += n * n;
  }
  return f(normType === 2 ? Math.sqrt(acc) : acc);
}

/** Clip coefficient of a reduction with norm `n` (float32). */
export function clipCoefficient(red: Pick<Reduction, "maxNorm" | "style">, n: number): number {
  const c = f(red.maxNorm);
  return red.style === "torch" ? Math.min(f(c / f(n + f(1e-6))), 1) : f(c / Math.max(n, c));
}

/**
 * Create CPU state. Parameters are copied: the state holds the authoritative copy.
 * @internal
 */
export function createCpuState(init: BackendInit): BackendState {
  const { def, plan } = init;
  const groups = init.groups.map((gs, gi) => {
    const params = init.params[gi].map((p, t) => {
      const a = asArray(p, "parameters");
      if (a.length !== gs.sizes[t]) throw new RangeError("internal: size mismatch");
      return Float32Array.from(a);
    });
    const slots = gs.slots.map((_, k) =>
      gs.sizes.map((n) => new Float32Array(n).fill(gs.slotInit[k]))
    );
    const accum = plan.accumulate ? gs.sizes.map((n) => new Float32Array(n)) : null;
    return { setup: gs, params, slots, accum };
  });
  const status = { norms: plan.reductions.map(() => NaN), consec: 0, abort: 0, skipped: 0 };

  function applyOps(
    k0: number,
    k1: number,
    gsAll: Float32Array[][],
    psAll: Float32Array[][],
    steps: readonly GroupStep[],
    attempt: number,
    tensorScales: number[][][],
    coefs: number[],
  ) {
    for (let k = k0; k < k1; k++) {
      const op = plan.ops[k];
      groups.forEach((grp, gi) => {
        gsAll[gi].forEach((g, t) => {
          const p = psAll[gi][t];
          const n = g.length;
          switch (op.op) {
            case "noise": {
              const key = noiseKey(op.seed, attempt, grp.setup.tensorBase + t);
              const s = f(op.sigma);
              for (let j = 0; j < n; j++) g[j] = f(g[j] + f(s * truncNormal(key, j)));
              break;
            }
            case "clip_value": {
              const c = f(op.clipValue);
              for (let j = 0; j < n; j++) g[j] = Math.min(Math.max(g[j], -c), c);
              break;
            }
            case "l2": {
              // One fused multiply-add, as the optimizers' own coupled weight decay (stepTensor).
              const r = f(op.rate);
              for (let j = 0; j < n; j++) g[j] = f(g[j] + r * p[j]);
              break;
            }
            case "p_scale": {
              const s = steps[gi].pscale[k];
              for (let j = 0; j < n; j++) p[j] = f(p[j] * s);
              break;
            }
            case "tensor_scale": {
              const s = tensorScales[op.reduction][gi][t];
              for (let j = 0; j < n; j++) g[j] = f(g[j] * s);
              break;
            }
            case "global_scale": {
              const s = coefs[op.reduction];
              for (let j = 0; j < n; j++) g[j] = f(g[j] * s);
              break;
            }
          }
        });
      });
    }
  }

  /**
   * One update from `source` (the accumulated gradients, or this step's). `raw` are this
   * mini-batch's gradients as given: RETURNN TF's global-norm clip measures them (before
   * accumulation, noise and clipping).
   */
  function update(
    source: Float32Array[][],
    raw: Float32Array[][],
    cmd: StepCommand,
  ): boolean {
    if (plan.ops.length === 0 && plan.reductions.length === 0) {
      // No transforms: update in place from the gradients as given (definitions never write
      // to `g`, and the prologue copies before it changes a gradient).
      groups.forEach((grp, gi) => {
        const st = cmd.groups[gi];
        grp.params.forEach((p, t) => {
          stepTensor(def, grp.setup.hyper, st, p, source[gi][t], grp.slots.map((s) => s[t]));
        });
      });
      return false;
    }
    // Working copies: transforms may scale p (kept only if the update is not skipped).
    const gsAll = source.map((gs) => gs.map((g) => Float32Array.from(g)));
    const psAll = groups.map((grp) => grp.params.map((p) => Float32Array.from(p)));
    const tensorScales: number[][][] = plan.reductions.map(() => []);
    const coefs: number[] = plan.reductions.map(() => 1);
    let done = 0;
    let skipped = false;
    plan.reductions.forEach((red, r) => {
      const at = red.at;
      if (at > done) {
        applyOps(done, at, gsAll, psAll, cmd.groups, cmd.attempt, tensorScales, coefs);
        done = at;
      }
      const src = measuresRawGradients(red) ? raw : gsAll;
      const norms = src.map((gs) => gs.map((g) => tensorNorm(g, red.normType)));
      if (red.scope === "tensor") {
        const c = f(red.maxNorm);
        tensorScales[r] = norms.map((ns) => ns.map((n) => f(c / Math.max(n, c))));
        return;
      }
      const n = globalNorm(norms.flat(), red.normType);
      status.norms[r] = n;
      if (Number.isFinite(red.maxNorm)) coefs[r] = clipCoefficient(red, n);
      if (plan.skip?.reduction === r) {
        if (cmd.epochStart) status.consec = 0;
        if (!Number.isFinite(n)) {
          status.consec++;
          status.skipped++;
          skipped = true;
          if (status.consec > plan.skip.allowed && status.abort === 0) status.abort = cmd.attempt;
        } else {
          status.consec = 0;
        }
        if (status.abort !== 0) skipped = true;
      }
    });
    if (skipped) return true;
    applyOps(done, plan.ops.length, gsAll, psAll, cmd.groups, cmd.attempt, tensorScales, coefs);
    groups.forEach((grp, gi) => {
      const st = cmd.groups[gi];
      grp.params.forEach((p, t) => {
        p.set(psAll[gi][t]);
        stepTensor(def, grp.setup.hyper, st, p, gsAll[gi][t], grp.slots.map((s) => s[t]));
      });
    });
    return false;
  }

  return {
    step(grads, cmd) {
      const arrays = grads.map((gs, gi) =>
        gs.map((g, t) => {
          const a = asArray(g, "gradients");
          if (a.length !== groups[gi].setup.sizes[t]) throw new RangeError("internal: grad size");
          return a;
        })
      );
      let source = arrays;
      if (plan.accumulate) {
        groups.forEach((grp, gi) => {
          grp.accum!.forEach((acc, t) => {
            const g = arrays[gi][t];
            if (cmd.accumFirst) acc.set(g);
            else for (let j = 0; j < acc.length; j++) acc[j] = f(acc[j] + g[j]);
          });
        });
        source = groups.map((grp) => grp.accum!);
      }
      if (!cmd.update) return false;
      return update(source, arrays, cmd);
    },
    readParams() {
      return Promise.resolve(groups.map((g) => g.params.map((p) => Float32Array.from(p))));
    },
    readSlots() {
      return Promise.resolve({
        slots: groups.map((g) => g.slots.map((s) => s.map((a) => Float32Array.from(a)))),
        accum: plan.accumulate
          ? groups.map((g) => g.accum!.map((a) => Float32Array.from(a)))
          : null,
      });
    },
    writeSlots(slots, accum) {
      groups.forEach((g, gi) => {
        g.slots.forEach((s, k) => s.forEach((a, t) => a.set(slots[gi][k][t])));
        if (g.accum && accum) g.accum.forEach((a, t) => a.set(accum[gi][t]));
      });
    },
    readStatus(): Promise<BackendStatus> {
      return Promise.resolve({ ...status, norms: [...status.norms] });
    },
    writeStatus(consec, skipped) {
      status.consec = consec;
      status.skipped = skipped;
      status.abort = 0;
    },
    pollAbort: () => status.abort,
    checkSoon() {},
    destroy() {},
  };
}

/** The shared prologue (maximize, weight decay) and the definition's update on one tensor. */
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
