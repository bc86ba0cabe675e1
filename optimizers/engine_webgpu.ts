/**
 * WebGPU backend of the optimizer engine. Each parameter group owns flat arenas (param, grad
 * upload, accumulator, one per slot) in which every tensor starts 256-byte aligned; the arenas
 * are the authoritative copy of parameters and state. One step of one group is one dispatch per
 * chunk of the arena (a chunk is at most `maxStorageBufferBindingSize`), all encoded in a single
 * command buffer and one `queue.submit`, never awaited.
 *
 * Parameters given as `GPUBuffer`s (e.g. TensorFlow.js variables) are gathered into the arena
 * with `copyBufferToBuffer` at init and scattered back after every update in the same command
 * encoder; gradients given as `GPUBuffer`s are gathered the same way. Host gradients are written
 * with `queue.writeBuffer`.
 *
 * The pieces: kernel shape and pipelines (`engine_webgpu_pipelines.ts`), per-group buffers, bind
 * groups and uploads (`engine_webgpu_groups.ts`), WGSL (`engine_kernel.ts`).
 *
 * @module
 */

import type { GpuContext } from "../gpu/device.ts";
import type { TransformPlan } from "../transforms/plan.ts";
import {
  engineFields,
  engineValues,
  META,
  packUniforms,
  type UniformField,
} from "./engine_kernel.ts";
import { BLOCK_FLOATS } from "./engine_layout.ts";
import type { BackendInit, BackendState, BackendStatus, StepCommand } from "./engine_types.ts";
import {
  createGroupBuffers,
  type GroupBindGroups,
  groupBindGroups,
  type GroupBuffers,
  UNIFORM_LAYOUT,
  uploadGradients,
  uploadParams,
} from "./engine_webgpu_groups.ts";
import {
  createPipelines,
  type KernelShape,
  kernelShape,
  type Pipelines,
  type WebGpuEngineOptions,
} from "./engine_webgpu_pipelines.ts";

export type { WebGpuEngineOptions } from "./engine_webgpu_pipelines.ts";

const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** One group: buffers, bind groups, and the caller's parameter buffers to scatter back. */
interface WebGpuGroup {
  readonly b: GroupBuffers;
  readonly bgs: GroupBindGroups;
  readonly userParams: readonly (GPUBuffer | null)[];
  readonly staging: Float32Array | null;
  readonly uniformData: ArrayBuffer;
}

/** Everything the state's methods share. */
interface WebGpuCore {
  readonly ctx: GpuContext;
  readonly init: BackendInit;
  readonly shape: KernelShape;
  readonly pipes: Pipelines;
  readonly groups: readonly WebGpuGroup[];
  readonly meta: GPUBuffer;
  readonly owned: GPUBuffer[];
  readonly fields: readonly UniformField[];
  readonly tensorsTotal: number;
}

/** The meta buffer's initial words: tensor records (offset, length) and NaN norms. */
function metaWords(init: BackendInit, groups: readonly GroupBuffers[]): Uint32Array {
  const rw = META.recordWords(init.plan);
  const total = init.groups.reduce((a, g) => a + g.sizes.length, 0);
  const words = new Uint32Array(META.header + total * rw);
  // No update yet: every global norm reads NaN, as on cpu.
  init.plan.reductions.forEach((_, r) => words[META.normWord(r)] = 0x7fc00000);
  init.groups.forEach((gs, gi) =>
    gs.sizes.forEach((n, t) => {
      words[META.header + (gs.tensorBase + t) * rw] = groups[gi].layout.offsets[t];
      words[META.header + (gs.tensorBase + t) * rw + 1] = n;
    })
  );
  return words;
}

/** Fill every slot arena with its initial value. */
function fillSlots(
  ctx: GpuContext,
  init: BackendInit,
  groups: readonly WebGpuGroup[],
  enc: GPUCommandEncoder,
) {
  groups.forEach((g, gi) =>
    g.b.slots.forEach((s, k) => {
      const v = init.groups[gi].slotInit[k];
      if (v === 0) enc.clearBuffer(s);
      else ctx.write(s, 0, new Float32Array(g.b.layout.length).fill(v));
    })
  );
}

function buildCore(ctx: GpuContext, init: BackendInit, options: WebGpuEngineOptions): WebGpuCore {
  const { def, plan } = init;
  const h0 = init.groups[0].hyper;
  const shape = kernelShape(ctx, def, h0, options);
  const tensorsTotal = init.groups.reduce((a, g) => a + g.sizes.length, 0);
  const meta = ctx.createBuffer(
    (META.header + tensorsTotal * META.recordWords(plan)) * 4,
    STORAGE,
    "newbob meta",
  );
  const owned: GPUBuffer[] = [meta];
  const pipes = createPipelines(ctx, def, h0, plan, shape);
  const buffers = init.groups.map((gs, gi) =>
    createGroupBuffers(ctx, gs, gi, plan, shape.chunkFloats, owned)
  );
  const enc = ctx.device.createCommandEncoder({ label: "newbob init" });
  const groups = buffers.map((b, gi): WebGpuGroup => ({
    b,
    bgs: groupBindGroups(ctx.device, pipes, b, meta, plan, gi),
    userParams: uploadParams(ctx, enc, b, init.params[gi]),
    staging: b.layout.length <= 1 << 22 && b.layout.sizes.length > 4
      ? new Float32Array(b.layout.length)
      : null,
    uniformData: new ArrayBuffer(UNIFORM_LAYOUT.bytes),
  }));
  ctx.write(meta, 0, metaWords(init, buffers));
  fillSlots(ctx, init, groups, enc);
  ctx.submit(enc.finish());
  return { ctx, init, shape, pipes, groups, meta, owned, fields: engineFields(plan), tensorsTotal };
}

/** Write every group's uniforms for this step. */
function writeUniforms(core: WebGpuCore, cmd: StepCommand): void {
  core.groups.forEach((g, gi) => {
    const st = cmd.groups[gi];
    if (st) new Float32Array(g.uniformData).set(st.scalars, UNIFORM_LAYOUT.definition / 4);
    const values = engineValues(core.init.plan, cmd, st, core.tensorsTotal);
    packUniforms(core.fields, values, g.uniformData, UNIFORM_LAYOUT.engine / 4);
    core.ctx.write(g.b.uniforms, 0, new Uint8Array(g.uniformData));
  });
}

function grid(n: number, max: number): [number, number] {
  if (n <= max) return [Math.max(1, n), 1];
  return [max, Math.ceil(n / max)];
}

/** Encode one step's passes: accumulation, the norm passes, the update. */
function encodePasses(
  core: WebGpuCore,
  pass: GPUComputePassEncoder,
  stepBGs: readonly GPUBindGroup[][],
  update: boolean,
): void {
  const { pipes, groups, shape } = core;
  const dispatch = (bg: GPUBindGroup, pipe: GPUComputePipeline, n: number) => {
    const [x, y] = grid(n, shape.maxGroups);
    pass.setPipeline(pipe);
    pass.setBindGroup(0, bg);
    pass.dispatchWorkgroups(x, y);
    core.ctx.countDispatch();
  };
  const vec4Groups = (c: { start: number; end: number }) =>
    Math.ceil((c.end - c.start) / 4 / (shape.wg * shape.ept));
  if (pipes.accumulate) {
    groups.forEach((g) =>
      g.b.layout.chunks.forEach((c, k) =>
        dispatch(g.bgs.accumulate[k], pipes.accumulate!, vec4Groups(c))
      )
    );
  }
  if (!update) return;
  core.init.plan.reductions.forEach((red, r) => {
    groups.forEach((g) => {
      g.b.layout.chunks.forEach((c, k) =>
        dispatch(
          g.bgs.blockNorm[r][k],
          pipes.blockNorm[r],
          Math.ceil((c.end - c.start) / BLOCK_FLOATS / shape.wg),
        )
      );
      dispatch(g.bgs.tensorNorm[r], pipes.tensorNorm[r], g.b.layout.sizes.length);
    });
    if (red.scope === "global") dispatch(groups[0].bgs.globalNorm!, pipes.globalNorm[r]!, 1);
  });
  groups.forEach((g, gi) =>
    g.b.layout.chunks.forEach((c, k) => dispatch(stepBGs[gi][k], pipes.update, vec4Groups(c)))
  );
}

/** One step: upload, uniforms, passes, scatter of the caller's parameter buffers; one submit. */
function step(
  core: WebGpuCore,
  grads: Parameters<BackendState["step"]>[0],
  cmd: StepCommand,
): undefined {
  const { ctx, groups } = core;
  ctx.assertAlive();
  const label = `newbob ${core.init.def.name} step`;
  const enc = ctx.device.createCommandEncoder({ label });
  const stepBGs = groups.map((g, gi) =>
    uploadGradients(ctx, enc, g.b, g.bgs, grads[gi], g.staging)
  );
  writeUniforms(core, cmd);
  const pass = enc.beginComputePass({ label });
  encodePasses(core, pass, stepBGs, cmd.update);
  pass.end();
  if (cmd.update) {
    groups.forEach((g) =>
      g.userParams.forEach((b, t) => {
        const n = g.b.layout.sizes[t];
        if (b && n) enc.copyBufferToBuffer(g.b.params, g.b.layout.offsets[t] * 4, b, 0, n * 4);
      })
    );
  }
  ctx.submit(enc.finish());
  return undefined;
}

/** Read `count` ranges per tensor of every group from `buffersOf(group)`. */
async function readArenas(
  core: WebGpuCore,
  buffersOf: (g: WebGpuGroup) => readonly GPUBuffer[],
): Promise<Float32Array[][][]> {
  const ranges = core.groups.flatMap((g) =>
    buffersOf(g).flatMap((buffer) =>
      g.b.layout.sizes.map((n, t) => ({ buffer, offset: g.b.layout.offsets[t] * 4, size: n * 4 }))
    )
  );
  const out = await core.ctx.read(ranges);
  let i = 0;
  return core.groups.map((g) =>
    buffersOf(g).map(() => g.b.layout.sizes.map(() => new Float32Array(out[i++])))
  );
}

/** Write per-tensor arrays into an arena. */
function writeArena(
  core: WebGpuCore,
  g: WebGpuGroup,
  buffer: GPUBuffer,
  arrays: readonly Float32Array[],
) {
  g.b.layout.sizes.forEach((n, t) => {
    if (n) core.ctx.write(buffer, g.b.layout.offsets[t] * 4, arrays[t]);
  });
}

async function readStatus(core: WebGpuCore, plan: TransformPlan): Promise<BackendStatus> {
  const [head] = await core.ctx.read([{ buffer: core.meta, offset: 0, size: META.header * 4 }]);
  const u = new Uint32Array(head);
  const fl = new Float32Array(head);
  return {
    norms: plan.reductions.map((red, r) => red.scope === "global" ? fl[META.normWord(r)] : NaN),
    consec: u[META.consec],
    abort: u[META.abort],
    skipped: u[META.skipped],
  };
}

/** A non-blocking abort check: copy the header and map it; `onAbort` gets the abort word. */
function abortChecker(core: WebGpuCore, onAbort: (abort: number) => void) {
  let checking = false;
  let buf: GPUBuffer | null = null;
  return {
    check(destroyed: boolean) {
      if (checking || destroyed || !core.init.plan.skip) return;
      checking = true;
      buf ??= core.ctx.device.createBuffer({
        size: 16,
        usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ,
        label: "newbob abort check",
      });
      const b = buf;
      const enc = core.ctx.device.createCommandEncoder({ label: "newbob abort check" });
      enc.copyBufferToBuffer(core.meta, 0, b, 0, 16);
      core.ctx.submit(enc.finish());
      b.mapAsync(GPUMapMode.READ).then(() => {
        onAbort(new Uint32Array(b.getMappedRange())[META.abort]);
        b.unmap();
      }, () => {}).finally(() => {
        checking = false;
      });
    },
    destroy: () => buf?.destroy(),
  };
}

/**
 * Create WebGPU state: arenas filled from `init.params` (host arrays written, GPU buffers copied
 * on the GPU), slots set to their initial values, pipelines and bind groups made. Used by the
 * engine (`engine_backend.ts`), which surfaces the device's validation errors at init.
 *
 * @throws {RangeError} for a bad kernel shape or an arena beyond the device's limits.
 * @example Usage
 * @example Usage
 * ```ts
 * import { createOptimizer } from "./engine_create.ts";
 * import { deepEqual } from "node:assert/strict";
 * if (!await navigator.gpu?.requestAdapter()) console.warn("no WebGPU adapter: nothing checked");
 * else {
 *   const opt = await createOptimizer({ class: "sgd" }, { backend: "webgpu" });
 *   const state = await opt.init([new Float32Array([1, 2])]); // calls createWebGpuState
 *   await opt.step(state, [new Float32Array([1, 1])], { learningRate: 0.5 });
 *   deepEqual(await opt.read(state), [new Float32Array([0.5, 1.5])]);
 *   opt.dispose(state);
 * }
 * ```
 */
export function createWebGpuState(
  ctx: GpuContext,
  init: BackendInit,
  options: WebGpuEngineOptions = {},
): BackendState {
  ctx.assertAlive();
  const core = buildCore(ctx, init, options);
  const { plan } = init;
  let knownAbort = 0;
  let destroyed = false;
  const checker = abortChecker(core, (a) => knownAbort = a);
  return {
    step: (grads, cmd) => step(core, grads, cmd),
    readParams: async () => (await readArenas(core, (g) => [g.b.params])).map((g) => g[0]),
    async readSlots() {
      const all = await readArenas(core, (g) => [...g.b.slots, ...(g.b.accum ? [g.b.accum] : [])]);
      const slots = all.map((g, gi) => g.slice(0, core.groups[gi].b.slots.length));
      const accum = plan.accumulate ? all.map((g) => g[g.length - 1]) : null;
      return { slots, accum };
    },
    writeSlots(slots, accum) {
      ctx.assertAlive();
      core.groups.forEach((g, gi) => {
        g.b.slots.forEach((b, k) => writeArena(core, g, b, slots[gi][k]));
        if (g.b.accum && accum) writeArena(core, g, g.b.accum, accum[gi]);
      });
    },
    async readStatus() {
      const st = await readStatus(core, plan);
      knownAbort = st.abort;
      return st;
    },
    writeStatus(consec, skipped) {
      const head = new Uint32Array(4);
      head[META.consec] = consec;
      head[META.skipped] = skipped;
      ctx.write(core.meta, 0, head);
      knownAbort = 0;
    },
    pollAbort: () => knownAbort,
    checkSoon: () => checker.check(destroyed),
    destroy() {
      destroyed = true;
      for (const b of core.owned) b.destroy();
      checker.destroy();
    },
  };
}
