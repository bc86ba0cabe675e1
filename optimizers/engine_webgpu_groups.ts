/**
 * The webgpu backend's per-group resources: the arenas (param, grad, accumulator, one per slot,
 * every tensor 256-byte aligned), the uniform and chunk buffers, the block map, the bind groups
 * of every pass per chunk, and the gradient upload of one step.
 *
 * @module
 */

import type { GpuContext } from "../gpu/device.ts";
import { measuresRawGradients, type TransformPlan } from "../transforms/plan.ts";
import { type ArenaLayout, arenaLayout } from "./engine_layout.ts";
import type { GroupSetup, TensorInput } from "./engine_types.ts";
import type { Pipelines } from "./engine_webgpu_pipelines.ts";

/**
 * Layout of a group's uniform buffer: the definition uniforms `u` and the engine uniforms `e`,
 * each in its own 256-byte binding.
 *
 * @example Usage
 * ```ts
 * import { UNIFORM_LAYOUT } from "./engine_webgpu_groups.ts";
 * import { equal } from "node:assert/strict";
 * equal(UNIFORM_LAYOUT.engine - UNIFORM_LAYOUT.definition, 256);
 * ```
 */
export const UNIFORM_LAYOUT = Object.freeze({
  /** Byte offset of `u`. */
  definition: 0,
  /** Byte offset of `e`. */
  engine: 256,
  /** Size of the buffer. */
  bytes: 512,
});
const CHUNK_STRIDE = 256;
const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** One group's buffers. */
export interface GroupBuffers {
  /** Arena layout. */
  readonly layout: ArenaLayout;
  /** Parameters (authoritative). */
  readonly params: GPUBuffer;
  /** Gradients of this step. */
  readonly grads: GPUBuffer;
  /** Accumulated gradients, with accumulation. */
  readonly accum: GPUBuffer | null;
  /** One arena per slot. */
  readonly slots: readonly GPUBuffer[];
  /** Definition and engine uniforms. */
  readonly uniforms: GPUBuffer;
  /** One chunk record per chunk (count, base, tensor base, tensors). */
  readonly chunks: GPUBuffer;
  /** Tensor index of every 64-float block. */
  readonly blocks: GPUBuffer;
  /** One partial norm per block, with reductions. */
  readonly blockNorms: GPUBuffer | null;
}

/**
 * Create a group's buffers and write its chunk records and block map.
 *
 * @throws {RangeError} when an arena exceeds the device's `maxBufferSize`.
 * @example Usage
 * ```ts
 * import { createOptimizer } from "./engine_create.ts";
 * import { deepEqual } from "node:assert/strict";
 * if (!await navigator.gpu?.requestAdapter()) console.warn("no WebGPU adapter: nothing checked");
 * else {
 *   const opt = await createOptimizer({ class: "sgd" }, { backend: "webgpu" });
 *   const state = await opt.init([new Float32Array([1, 2])]); // creates the group buffers
 *   await opt.step(state, [new Float32Array([1, 1])], { learningRate: 0.5 });
 *   deepEqual(await opt.read(state), [new Float32Array([0.5, 1.5])]);
 *   opt.dispose(state);
 * }
 * ```
 */
export function createGroupBuffers(
  ctx: GpuContext,
  gs: GroupSetup,
  gi: number,
  plan: TransformPlan,
  chunkFloats: number,
  owned: GPUBuffer[],
): GroupBuffers {
  const layout = arenaLayout(gs.sizes, chunkFloats);
  const bytes = layout.length * 4;
  if (bytes > ctx.device.limits.maxBufferSize) {
    throw new RangeError(
      `Cannot create the webgpu optimizer as parameter group ${gi} needs ${bytes} bytes per ` +
        `arena but maxBufferSize is ${ctx.device.limits.maxBufferSize}: split it into groups`,
    );
  }
  const make = (label: string, size: number, usage: number) => {
    const b = ctx.createBuffer(size, usage, `newbob g${gi} ${label}`);
    owned.push(b);
    return b;
  };
  const uniform = GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST;
  const buffers: GroupBuffers = {
    layout,
    params: make("param", bytes, STORAGE),
    grads: make("grad", bytes, STORAGE),
    accum: plan.accumulate ? make("accum", bytes, STORAGE) : null,
    slots: gs.slots.map((s) => make(`slot ${s}`, bytes, STORAGE)),
    uniforms: make("uniforms", UNIFORM_LAYOUT.bytes, uniform),
    chunks: make("chunks", CHUNK_STRIDE * layout.chunks.length, uniform),
    blocks: make("blocks", layout.blockTensor.byteLength, STORAGE),
    blockNorms: plan.reductions.length
      ? make("block norms", layout.blockTensor.byteLength, STORAGE)
      : null,
  };
  const chunkData = new Uint32Array((CHUNK_STRIDE / 4) * layout.chunks.length);
  layout.chunks.forEach((ch, k) => {
    chunkData.set([(ch.end - ch.start) / 4, ch.start / 4, gs.tensorBase, gs.sizes.length], k * 64);
  });
  ctx.write(buffers.chunks, 0, chunkData);
  ctx.write(buffers.blocks, 0, layout.blockTensor);
  return buffers;
}

/**
 * Copy a group's initial parameters into its arena (host arrays written, GPU buffers copied in
 * `enc`); returns the caller's GPU buffers per tensor (scattered back after every update).
 * @example Usage
 * ```ts
 * import { createOptimizer } from "./engine_create.ts";
 * import { deepEqual } from "node:assert/strict";
 * if (!await navigator.gpu?.requestAdapter()) console.warn("no WebGPU adapter: nothing checked");
 * else {
 *   const opt = await createOptimizer({ class: "sgd" }, { backend: "webgpu" });
 *   const state = await opt.init([new Float32Array([1, 2])]); // uploads the parameters
 *   await opt.step(state, [new Float32Array([1, 1])], { learningRate: 0.5 });
 *   deepEqual(await opt.read(state), [new Float32Array([0.5, 1.5])]);
 *   opt.dispose(state);
 * }
 * ```
 */
export function uploadParams(
  ctx: GpuContext,
  enc: GPUCommandEncoder,
  b: GroupBuffers,
  params: readonly TensorInput[],
): (GPUBuffer | null)[] {
  return params.map((p, t) => {
    const n = b.layout.sizes[t];
    if (p instanceof Float32Array) {
      if (n) ctx.write(b.params, b.layout.offsets[t] * 4, p.subarray(0, n));
      return null;
    }
    if (n) enc.copyBufferToBuffer(p, 0, b.params, b.layout.offsets[t] * 4, n * 4);
    return p;
  });
}

/** The bind groups of one group, per chunk `k` (per reduction for the norm passes). */
export interface GroupBindGroups {
  /** Update, reading the gradient (or accumulator) arena. */
  readonly update: GPUBindGroup[];
  /**
   * For a group of one tensor (size a multiple of 4) with no accumulation and no norm passes:
   * update bind groups reading a caller's gradient GPUBuffer in place, instead of copying it into
   * the gradient arena every step (8 bytes per parameter saved); null otherwise.
   */
  readonly direct: ((grad: GPUBuffer) => GPUBindGroup[]) | null;
  /** Accumulation. */
  readonly accumulate: GPUBindGroup[];
  /** Norm pass 1, per reduction and chunk. */
  readonly blockNorm: GPUBindGroup[][];
  /** Norm pass 2, per reduction. */
  readonly tensorNorm: GPUBindGroup[];
  /** Norm pass 3 (the first group's; null elsewhere or without a global reduction). */
  readonly globalNorm: GPUBindGroup | null;
}

/** Helpers to bind a group's buffers. */
interface Binder {
  bind(pipe: GPUComputePipeline, res: GPUBindingResource[], label: string): GPUBindGroup;
  chunk(buffer: GPUBuffer, k: number): GPUBufferBinding;
  chunkRecord(k: number): GPUBufferBinding;
  readonly u: GPUBufferBinding;
  readonly e: GPUBufferBinding;
}

function binder(device: GPUDevice, b: GroupBuffers): Binder {
  return {
    bind: (pipe, res, label) =>
      device.createBindGroup({
        label,
        layout: pipe.getBindGroupLayout(0),
        entries: res.map((resource, binding) => ({ binding, resource })),
      }),
    chunk(buffer, k) {
      const { start, end } = b.layout.chunks[k];
      return { buffer, offset: start * 4, size: (end - start) * 4 };
    },
    chunkRecord: (k) => ({ buffer: b.chunks, offset: CHUNK_STRIDE * k, size: 16 }),
    u: { buffer: b.uniforms, offset: UNIFORM_LAYOUT.definition, size: 256 },
    e: { buffer: b.uniforms, offset: UNIFORM_LAYOUT.engine, size: 256 },
  };
}

/** Update bind groups per chunk, with `grad(k)` bound as the gradient. */
function updateBindGroups(
  x: Binder,
  pipes: Pipelines,
  b: GroupBuffers,
  meta: GPUBuffer,
  grad: (k: number) => GPUBufferBinding,
  label: string,
): GPUBindGroup[] {
  return b.layout.chunks.map((_, k) =>
    x.bind(pipes.update, [
      x.u,
      x.e,
      x.chunkRecord(k),
      x.chunk(b.params, k),
      grad(k),
      ...b.slots.map((s) => x.chunk(s, k)),
      { buffer: meta },
      { buffer: b.blocks },
    ], `${label} c${k}`)
  );
}

/** Direct-gradient update bind groups, cached per caller buffer (see `GroupBindGroups.direct`). */
function directBindGroups(
  x: Binder,
  pipes: Pipelines,
  b: GroupBuffers,
  meta: GPUBuffer,
  plan: TransformPlan,
  gi: number,
): ((grad: GPUBuffer) => GPUBindGroup[]) | null {
  const n0 = b.layout.sizes[0];
  const direct = b.layout.sizes.length === 1 && n0 > 0 && n0 % 4 === 0 && !plan.accumulate &&
    plan.reductions.length === 0 && b.layout.chunks.every((c) => c.start < n0);
  if (!direct) return null;
  const cache = new WeakMap<GPUBuffer, GPUBindGroup[]>();
  return (grad) => {
    let bgs = cache.get(grad);
    if (!bgs) {
      // The caller's gradient, bound where the arena's would be; lanes past the tensor (arena
      // padding) read out of bounds and only touch padding.
      const bindGrad = (k: number): GPUBufferBinding => {
        const c = b.layout.chunks[k];
        return { buffer: grad, offset: c.start * 4, size: (Math.min(c.end, n0) - c.start) * 4 };
      };
      bgs = updateBindGroups(x, pipes, b, meta, bindGrad, `newbob g${gi} update (direct gradient)`);
      cache.set(grad, bgs);
    }
    return bgs;
  };
}

/** Every bind group of group `gi`. * @example Usage
 * ```ts
 * import { createOptimizer } from "./engine_create.ts";
 * import { deepEqual } from "node:assert/strict";
 * if (!await navigator.gpu?.requestAdapter()) console.warn("no WebGPU adapter: nothing checked");
 * else {
 *   const opt = await createOptimizer({ class: "sgd" }, { backend: "webgpu" });
 *   const state = await opt.init([new Float32Array([1, 2])]); // makes the bind groups
 *   await opt.step(state, [new Float32Array([1, 1])], { learningRate: 0.5 });
 *   deepEqual(await opt.read(state), [new Float32Array([0.5, 1.5])]);
 *   opt.dispose(state);
 * }
 * ```
 */
export function groupBindGroups(
  device: GPUDevice,
  pipes: Pipelines,
  b: GroupBuffers,
  meta: GPUBuffer,
  plan: TransformPlan,
  gi: number,
): GroupBindGroups {
  const x = binder(device, b);
  const src = b.accum ?? b.grads;
  const chunks = b.layout.chunks;
  const globalPipe = pipes.globalNorm.find((p) => p) ?? null;
  return {
    update: updateBindGroups(x, pipes, b, meta, (k) => x.chunk(src, k), `newbob g${gi} update`),
    direct: directBindGroups(x, pipes, b, meta, plan, gi),
    accumulate: pipes.accumulate
      ? chunks.map((_, k) =>
        x.bind(pipes.accumulate!, [
          x.e,
          x.chunkRecord(k),
          x.chunk(b.accum!, k),
          x.chunk(b.grads, k),
        ], `newbob g${gi} acc c${k}`)
      )
      : [],
    blockNorm: pipes.blockNorm.map((pipe, r) =>
      chunks.map((_, k) =>
        x.bind(pipe, [
          x.u,
          x.e,
          x.chunkRecord(k),
          x.chunk(b.params, k),
          // The gradient arena still holds this mini-batch's gradients after accumulating.
          x.chunk(measuresRawGradients(plan.reductions[r]) ? b.grads : src, k),
          { buffer: meta },
          { buffer: b.blocks },
          { buffer: b.blockNorms! },
        ], `newbob g${gi} norm1 r${r} c${k}`)
      )
    ),
    tensorNorm: pipes.tensorNorm.map((pipe, r) =>
      x.bind(
        pipe,
        [x.e, x.chunkRecord(0), { buffer: meta }, { buffer: b.blockNorms! }],
        `newbob g${gi} norm2 r${r}`,
      )
    ),
    globalNorm: gi === 0 && globalPipe
      ? x.bind(globalPipe, [x.e, { buffer: meta }], "newbob norm3")
      : null,
  };
}

/**
 * Encode one step's gradient upload for one group; returns the update bind groups to use (the
 * direct ones when the gradient can be read in place). Host gradients of a packed group (many
 * small tensors, arena up to 16 MiB) are gathered in `staging` and written once.
 * @example Usage
 * ```ts
 * import { createOptimizer } from "./engine_create.ts";
 * import { deepEqual } from "node:assert/strict";
 * if (!await navigator.gpu?.requestAdapter()) console.warn("no WebGPU adapter: nothing checked");
 * else {
 *   const opt = await createOptimizer({ class: "sgd" }, { backend: "webgpu" });
 *   const state = await opt.init([new Float32Array([1, 2])]); //
 *   await opt.step(state, [new Float32Array([1, 1])], { learningRate: 0.5 }); // uploads the gradients
 *   deepEqual(await opt.read(state), [new Float32Array([0.5, 1.5])]);
 *   opt.dispose(state);
 * }
 * ```
 */
export function uploadGradients(
  ctx: GpuContext,
  enc: GPUCommandEncoder,
  b: GroupBuffers,
  bgs: GroupBindGroups,
  grads: readonly TensorInput[],
  staging: Float32Array | null,
): GPUBindGroup[] {
  const sizes = b.layout.sizes;
  const x0 = grads[0];
  if (
    bgs.direct && !(x0 instanceof Float32Array) &&
    (x0.usage & GPUBufferUsage.STORAGE) !== 0 && x0.size >= sizes[0] * 4
  ) {
    return bgs.direct(x0);
  }
  let packed = false;
  grads.forEach((x, t) => {
    const n = sizes[t];
    if (n === 0) return;
    const off = b.layout.offsets[t];
    if (!(x instanceof Float32Array)) enc.copyBufferToBuffer(x, 0, b.grads, off * 4, n * 4);
    else if (staging) {
      staging.set(x.subarray(0, n), off);
      packed = true;
    } else ctx.write(b.grads, off * 4, x.subarray(0, n));
  });
  if (packed) ctx.write(b.grads, 0, staging!);
  return bgs.update;
}
