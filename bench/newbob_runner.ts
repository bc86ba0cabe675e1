/**
 * Times newbob's optimizer steps on the `webgpu`, `wasm` and `cpu` backends with fixed,
 * pre-generated gradients, so only the step is measured. On webgpu N steps are submitted and the
 * GPU is awaited once per repetition (each await costs milliseconds on llvmpipe). Gradients are
 * where the backend computes (webgpu: GPU buffers, as in a training loop; wasm: the backend's
 * own arrays, as PyTorch's); the host variant (`Float32Array` gradients uploaded or copied in
 * every step) is timed for Adam.
 *
 * @module
 */

import { acquireGpu, type GpuContext } from "../gpu/mod.ts";
import { createOptimizer, type WebGpuEngineOptions } from "../optimizers/mod.ts";
import { stepsFor } from "./_stats.ts";
import { type Prepared, timeInterleaved } from "./interleave.ts";
import { LEARNING_RATE, type OptimizerCase } from "./cases.ts";
import type { RateResult } from "./results.ts";
import type { ShapeCase } from "./shapes.ts";

/** Deterministic pseudo-random floats in [-scale, scale) (xorshift32). */
export function randomArray(n: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0 || 1;
  const k = (2 * scale) / 4294967296;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = s * k - scale;
  }
  return out;
}

/** Parameters and gradients of one shape, shared by every optimizer timed on it. */
export interface ShapeData {
  /** The shape. */
  readonly shape: ShapeCase;
  /** Initial parameters per tensor. */
  readonly params: Float32Array[];
  /** Gradients per tensor (host). */
  readonly grads: Float32Array[];
  /** The same gradients in GPU buffers (webgpu only). */
  gpuGrads: GPUBuffer[] | null;
}

/**
 * Generate parameters and gradients for a shape.
 *
 * @param shape The shape.
 * @returns Host arrays (GPU copies are made on first use).
 */
export function makeShapeData(shape: ShapeCase): ShapeData {
  return {
    shape,
    params: shape.sizes.map((n, t) => randomArray(n, 1 + t, 1)),
    grads: shape.sizes.map((n, t) => randomArray(n, 1000 + t, 0.01)),
    gpuGrads: null,
  };
}

function gpuGrads(ctx: GpuContext, data: ShapeData): GPUBuffer[] {
  data.gpuGrads ??= data.grads.map((g, t) => {
    const b = ctx.device.createBuffer({
      size: Math.max(16, g.byteLength),
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      label: `bench grad ${data.shape.name} ${t}`,
    });
    ctx.device.queue.writeBuffer(b, 0, g.buffer as ArrayBuffer, g.byteOffset, g.byteLength);
    return b;
  });
  return data.gpuGrads;
}

/** Free the GPU copies of a shape's gradients. */
export function releaseShapeData(data: ShapeData): void {
  data.gpuGrads?.forEach((b) => b.destroy());
  data.gpuGrads = null;
}

/** Options of {@linkcode timeNewbob}. */
export interface NewbobTimingOptions {
  /** Backend. */
  readonly backend: "webgpu" | "wasm" | "cpu";
  /** Timed repetitions. */
  readonly reps: number;
  /** Parameter updates per repetition (sets the steps per repetition). */
  readonly budget: number;
  /**
   * Gradients from the host (`Float32Array`s) every step: webgpu uploads them, wasm copies them
   * into its memory (the trainer's case under tfjs). Otherwise they are where the backend
   * computes: webgpu `GPUBuffer`s, wasm the backend's own `gradientArrays` written once (so a
   * step copies nothing, as PyTorch's gradients are in place). The cpu backend always takes
   * host arrays. @default {false}
   */
  readonly hostGrads?: boolean;
  /** Kernel shape (workgroup size, vec4s per thread). */
  readonly webgpu?: WebGpuEngineOptions;
  /** Label of the implementation. @default {`newbob <backend>`} */
  readonly label?: string;
}

/**
 * Prepare one optimizer on one shape for timing: state created, gradients in place.
 *
 * @param c The optimizer case.
 * @param data Parameters and gradients.
 * @param o Backend, repetitions and budget.
 * @returns A {@linkcode Prepared} for `timeInterleaved`.
 */
export async function prepareNewbob(
  c: OptimizerCase,
  data: ShapeData,
  o: NewbobTimingOptions,
): Promise<Prepared> {
  const impl = o.label ?? `newbob ${o.backend}${o.hostGrads ? " (host grads)" : ""}`;
  const ctx = o.backend === "webgpu" ? await acquireGpu() : null;
  const opt = await createOptimizer(c.config, {
    backend: o.backend,
    transforms: c.transforms,
    returnnEpsilon: false,
    ...(o.webgpu ? { webgpu: o.webgpu } : {}),
  });
  const state = await opt.init(data.params);
  let grads: readonly (Float32Array | GPUBuffer)[] = ctx && !o.hostGrads
    ? gpuGrads(ctx, data)
    : data.grads;
  if (o.backend === "wasm" && !o.hostGrads) {
    const views = opt.gradientArrays(state);
    views.forEach((v, i) => v?.set(data.grads[i]));
    grads = views.map((v, i) => v ?? data.grads[i]);
  }
  const total = data.shape.total;
  const k = stepsFor(total, o.budget);
  return {
    impl,
    optimizer: c.id,
    shape: data.shape.name,
    work: total * k,
    steps: k,
    reps: o.reps,
    async once() {
      for (let i = 0; i < k; i++) await opt.step(state, grads, { learningRate: LEARNING_RATE });
      if (ctx) await ctx.sync();
    },
    ...(ctx
      ? { counters: () => ({ submits: ctx.stats.submits, dispatches: ctx.stats.dispatches }) }
      : {}),
    dispose: () => opt.dispose(state),
  };
}

/**
 * Time one optimizer on one shape on its own.
 *
 * @param c The optimizer case.
 * @param data Parameters and gradients.
 * @param o Backend, repetitions and budget.
 * @returns Parameters per second (wall clock and per CPU-second; median, min, max) and, on
 *   webgpu, submits and dispatches per step.
 */
export async function timeNewbob(
  c: OptimizerCase,
  data: ShapeData,
  o: NewbobTimingOptions,
): Promise<RateResult> {
  const [r] = await timeInterleaved([await prepareNewbob(c, data, o)]);
  return r;
}
