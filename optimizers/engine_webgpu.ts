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
 * @module
 */

import type { GpuContext } from "../gpu/device.ts";
import type { BindingKind } from "../gpu/pipeline_cache.ts";
import {
  accumulateKernel,
  blockNormKernel,
  engineFields,
  globalNormKernel,
  META_ABORT,
  META_CONSEC,
  META_HEADER,
  META_SKIPPED,
  metaNormWord,
  recordWords,
  tensorNormKernel,
  updateBindings,
  updateKernel,
} from "./engine_kernel.ts";
import { type ArenaLayout, arenaLayout, BLOCK_FLOATS } from "./engine_layout.ts";
import type { BackendInit, BackendState, StepCommand, TensorInput } from "./engine_types.ts";
import { measuresRawGradients } from "../transforms/plan.ts";

/** Tuning and test options of the webgpu backend. */
export interface WebGpuEngineOptions {
  /** Workgroup size of the element-wise kernels (power of two). @default {64} */
  workgroupSize?: number;
  /**
   * vec4s per thread of the element-wise kernels, each thread taking consecutive vec4s. On a
   * software adapter (llvmpipe/lavapipe) 4 halves the per-invocation overhead (measured in
   * `bench/README.md`); on a hardware GPU 1 keeps neighbouring invocations on neighbouring
   * addresses (coalesced loads).
   * @default {4 on a software adapter, 1 on a hardware GPU}
   */
  elementsPerThread?: number;
  /** Largest chunk in floats (tests use small ones). @default {maxStorageBufferBindingSize / 4} */
  chunkFloats?: number;
}

const U_OFFSET = 0;
const E_OFFSET = 256;
const UNIFORM_BYTES = 512;
const CHUNK_STRIDE = 256;
const ST = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

function grid(n: number, max: number): [number, number] {
  if (n <= max) return [Math.max(1, n), 1];
  return [max, Math.ceil(n / max)];
}

/**
 * Create WebGPU state.
 * @internal
 */
export function createWebGpuState(
  ctx: GpuContext,
  init: BackendInit,
  options: WebGpuEngineOptions = {},
): BackendState {
  ctx.assertAlive();
  const { device } = ctx;
  const { def, plan } = init;
  const WG = options.workgroupSize ?? 64;
  const EPT = options.elementsPerThread ?? (ctx.software ? 4 : 1);
  if (!(WG > 0 && (WG & (WG - 1)) === 0 && WG <= device.limits.maxComputeInvocationsPerWorkgroup)) {
    throw new RangeError(
      `Cannot create the webgpu optimizer as 'workgroupSize' must be a power of two up to ` +
        `${device.limits.maxComputeInvocationsPerWorkgroup}: current value is ${WG}`,
    );
  }
  if (!(Number.isInteger(EPT) && EPT >= 1)) {
    throw new RangeError(
      `Cannot create the webgpu optimizer as 'elementsPerThread' must be an integer >= 1: ` +
        `current value is ${EPT}`,
    );
  }
  const maxBinding = Math.min(device.limits.maxStorageBufferBindingSize, 2 ** 31);
  const chunkFloats = Math.min(options.chunkFloats ?? maxBinding / 4, maxBinding / 4);
  const maxGroups = device.limits.maxComputeWorkgroupsPerDimension;
  const h0 = init.groups[0].hyper;
  const slotNames = def.slots(h0);
  const nSlots = slotNames.length;
  const needed = 2 + nSlots + 2;
  if (needed > device.limits.maxStorageBuffersPerShaderStage) {
    throw new RangeError(
      `Cannot run '${def.name}' on this device as its kernel needs ${needed} storage buffers ` +
        `but maxStorageBuffersPerShaderStage is ${device.limits.maxStorageBuffersPerShaderStage}: ` +
        "choose the cpu backend",
    );
  }
  const efields = engineFields(plan);
  const rw = recordWords(plan);
  const totalTensors = init.groups.reduce((a, g) => a + g.sizes.length, 0);
  const metaWords = META_HEADER + totalTensors * rw;
  const meta = ctx.createBuffer(metaWords * 4, ST, "newbob meta");
  const metaInit = new Uint32Array(metaWords);
  // No update yet: every global norm reads NaN, as on cpu.
  plan.reductions.forEach((_, r) => metaInit[metaNormWord(r)] = 0x7fc00000);
  const constants = { WG, EPT };
  const redConstants = { WG };
  const pipes = ctx.pipelines;

  const updateSrc = updateKernel(def, h0, plan);
  const updateKinds = updateBindings(nSlots);
  const updatePipe = pipes.get(updateSrc, updateKinds, constants, `newbob ${def.name} step`);
  const accKinds: BindingKind[] = ["uniform", "uniform", "storage", "read-only-storage"];
  const accPipe = plan.accumulate
    ? pipes.get(accumulateKernel(plan), accKinds, constants, "newbob accumulate")
    : null;
  const r1Kinds: BindingKind[] = [
    "uniform",
    "uniform",
    "uniform",
    "read-only-storage",
    "read-only-storage",
    "read-only-storage",
    "read-only-storage",
    "storage",
  ];
  const r2Kinds: BindingKind[] = ["uniform", "uniform", "storage", "read-only-storage"];
  const r3Kinds: BindingKind[] = ["uniform", "storage"];
  const r1Pipes = plan.reductions.map((_, r) =>
    pipes.get(blockNormKernel(def, h0, plan, r), r1Kinds, redConstants, `newbob norm1 r${r}`)
  );
  const r2Pipes = plan.reductions.map((_, r) =>
    pipes.get(tensorNormKernel(plan, r), r2Kinds, redConstants, `newbob norm2 r${r}`)
  );
  const r3Pipes = plan.reductions.map((red, r) =>
    red.scope === "global"
      ? pipes.get(globalNormKernel(plan, r), r3Kinds, redConstants, `newbob norm3 r${r}`)
      : null
  );

  type Group = {
    layout: ArenaLayout;
    P: GPUBuffer;
    G: GPUBuffer;
    A: GPUBuffer | null;
    S: GPUBuffer[];
    U: GPUBuffer;
    C: GPUBuffer;
    blocks: GPUBuffer;
    vals: GPUBuffer | null;
    userParams: (GPUBuffer | null)[];
    staging: Float32Array | null;
    uData: ArrayBuffer;
    updateBGs: GPUBindGroup[];
    /**
     * For a group of one tensor (size a multiple of 4) with no accumulation and no norm
     * passes: update bind groups reading a caller's gradient GPUBuffer in place, instead of
     * copying it into the gradient arena every step (8 bytes per parameter saved).
     */
    directBGs: ((grad: GPUBuffer) => GPUBindGroup[]) | null;
    /** The bind groups of this step's update: `updateBGs`, or direct ones. */
    stepBGs: GPUBindGroup[];
    accBGs: GPUBindGroup[];
    r1BGs: GPUBindGroup[][];
    r2BGs: GPUBindGroup[];
    r3BG: GPUBindGroup | null;
  };

  const encoder0 = device.createCommandEncoder({ label: "newbob init" });
  const all: GPUBuffer[] = [meta];
  const groups: Group[] = init.groups.map((gs, gi) => {
    const layout = arenaLayout(gs.sizes, chunkFloats);
    const bytes = layout.length * 4;
    if (bytes > device.limits.maxBufferSize) {
      throw new RangeError(
        `Cannot create the webgpu optimizer as parameter group ${gi} needs ${bytes} bytes per ` +
          `arena but maxBufferSize is ${device.limits.maxBufferSize}: split it into groups`,
      );
    }
    const mk = (label: string, size = bytes) => {
      const b = ctx.createBuffer(size, ST, `newbob g${gi} ${label}`);
      all.push(b);
      return b;
    };
    const P = mk("param");
    const G = mk("grad");
    const A = plan.accumulate ? mk("accum") : null;
    const S = gs.slots.map((s) => mk(`slot ${s}`));
    const U = ctx.createBuffer(
      UNIFORM_BYTES,
      GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      `newbob g${gi} uniforms`,
    );
    const C = ctx.createBuffer(
      CHUNK_STRIDE * layout.chunks.length,
      GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      `newbob g${gi} chunks`,
    );
    all.push(U, C);
    const chunkData = new Uint32Array((CHUNK_STRIDE / 4) * layout.chunks.length);
    layout.chunks.forEach((ch, k) => {
      const o = (CHUNK_STRIDE / 4) * k;
      chunkData[o] = (ch.end - ch.start) / 4;
      chunkData[o + 1] = ch.start / 4;
      chunkData[o + 2] = gs.tensorBase;
      chunkData[o + 3] = gs.sizes.length;
    });
    ctx.write(C, 0, chunkData);
    const blocks = mk("blocks", layout.blockTensor.byteLength);
    ctx.write(blocks, 0, layout.blockTensor);
    const vals = plan.reductions.length ? mk("block norms", layout.blockTensor.byteLength) : null;
    gs.sizes.forEach((n, t) => {
      metaInit[META_HEADER + (gs.tensorBase + t) * rw] = layout.offsets[t];
      metaInit[META_HEADER + (gs.tensorBase + t) * rw + 1] = n;
    });
    // Parameters.
    const userParams = init.params[gi].map((p, t) => {
      const n = gs.sizes[t];
      if (p instanceof Float32Array) {
        if (n) ctx.write(P, layout.offsets[t] * 4, p.subarray(0, n));
        return null;
      }
      if (n) encoder0.copyBufferToBuffer(p, 0, P, layout.offsets[t] * 4, n * 4);
      return p;
    });
    const packed = layout.length <= 1 << 22 && gs.sizes.length > 4;
    const ch = (buffer: GPUBuffer, k: number): GPUBufferBinding => {
      const { start, end } = layout.chunks[k];
      return { buffer, offset: start * 4, size: (end - start) * 4 };
    };
    const cu = (k: number): GPUBufferBinding => ({
      buffer: C,
      offset: CHUNK_STRIDE * k,
      size: 16,
    });
    const bg = (pipe: GPUComputePipeline, res: GPUBindingResource[], label: string) =>
      device.createBindGroup({
        label,
        layout: pipe.getBindGroupLayout(0),
        entries: res.map((resource, binding) => ({ binding, resource })),
      });
    const src = A ?? G;
    const uBind: GPUBufferBinding = { buffer: U, offset: U_OFFSET, size: 256 };
    const eBind: GPUBufferBinding = { buffer: U, offset: E_OFFSET, size: 256 };
    const updateBGs = layout.chunks.map((_, k) =>
      bg(
        updatePipe,
        [
          uBind,
          eBind,
          cu(k),
          ch(P, k),
          ch(src, k),
          ...S.map((s) => ch(s, k)),
          { buffer: meta },
          { buffer: blocks },
        ],
        `newbob g${gi} update c${k}`,
      )
    );
    const n0 = gs.sizes[0];
    const direct = gs.sizes.length === 1 && n0 > 0 && n0 % 4 === 0 && !plan.accumulate &&
      plan.reductions.length === 0 && layout.chunks.every((c) => c.start < n0);
    const directCache = new WeakMap<GPUBuffer, GPUBindGroup[]>();
    const directBGs = direct
      ? (grad: GPUBuffer) => {
        let bgs = directCache.get(grad);
        if (!bgs) {
          bgs = layout.chunks.map((chk, k) =>
            bg(
              updatePipe,
              [
                uBind,
                eBind,
                cu(k),
                ch(P, k),
                // The caller's gradient, bound where the arena's would be; lanes past the
                // tensor (arena padding) read out of bounds and only touch padding.
                {
                  buffer: grad,
                  offset: chk.start * 4,
                  size: (Math.min(chk.end, n0) - chk.start) * 4,
                },
                ...S.map((s) => ch(s, k)),
                { buffer: meta },
                { buffer: blocks },
              ],
              `newbob g${gi} update (direct gradient) c${k}`,
            )
          );
          directCache.set(grad, bgs);
        }
        return bgs;
      }
      : null;
    const accBGs = accPipe
      ? layout.chunks.map((_, k) =>
        bg(accPipe, [eBind, cu(k), ch(A!, k), ch(G, k)], `newbob g${gi} acc c${k}`)
      )
      : [];
    const r1BGs = r1Pipes.map((pipe, r) =>
      layout.chunks.map((_, k) =>
        bg(
          pipe,
          [
            uBind,
            eBind,
            cu(k),
            ch(P, k),
            // G still holds this mini-batch's gradients after the accumulate dispatch.
            ch(measuresRawGradients(plan.reductions[r]) ? G : src, k),
            { buffer: meta },
            { buffer: blocks },
            { buffer: vals! },
          ],
          `newbob g${gi} norm1 r${r} c${k}`,
        )
      )
    );
    const r2BGs = r2Pipes.map((pipe, r) =>
      bg(pipe, [eBind, cu(0), { buffer: meta }, { buffer: vals! }], `newbob g${gi} norm2 r${r}`)
    );
    const r3BG = gi === 0 && r3Pipes.some((p) => p)
      ? bg(r3Pipes.find((p) => p)!, [eBind, { buffer: meta }], "newbob norm3")
      : null;
    return {
      layout,
      P,
      G,
      A,
      S,
      U,
      C,
      blocks,
      vals,
      userParams,
      staging: packed ? new Float32Array(layout.length) : null,
      uData: new ArrayBuffer(UNIFORM_BYTES),
      updateBGs,
      directBGs,
      stepBGs: updateBGs,
      accBGs,
      r1BGs,
      r2BGs,
      r3BG,
    };
  });
  ctx.write(meta, 0, metaInit);

  const fillSlots = (enc: GPUCommandEncoder) => {
    groups.forEach((g, gi) => {
      g.S.forEach((s, k) => {
        const v = init.groups[gi].slotInit[k];
        if (v === 0) enc.clearBuffer(s);
        else ctx.write(s, 0, new Float32Array(g.layout.length).fill(v));
      });
    });
  };
  fillSlots(encoder0);
  ctx.submit(encoder0.finish());

  function writeUniforms(cmd: StepCommand) {
    groups.forEach((g, gi) => {
      const st = cmd.groups[gi];
      const f32 = new Float32Array(g.uData);
      const u32 = new Uint32Array(g.uData);
      if (st) f32.set(st.scalars, U_OFFSET / 4);
      const e0 = E_OFFSET / 4;
      const set = (name: string, v: number) => {
        const i = efields.findIndex(([n]) => n === name);
        if (i < 0) return;
        if (efields[i][1] === "u32") u32[e0 + i] = v >>> 0;
        else f32[e0 + i] = v;
      };
      if (st) {
        set("lr", st.lr);
        set("wd", st.wd);
        set("decay", st.decay);
      }
      set("attempt", cmd.attempt);
      set("epoch_start", cmd.epochStart ? 1 : 0);
      set("accum_first", cmd.accumFirst ? 1 : 0);
      set("tensors_total", totalTensors);
      set("allowed", plan.skip ? Math.min(plan.skip.allowed, 0xffffffff) : 0);
      plan.ops.forEach((op, k) => {
        if (op.op === "noise") {
          set(`sigma${k}`, op.sigma);
          set(`seed${k}`, op.seed);
        }
        if (op.op === "clip_value") set(`clip${k}`, op.clipValue);
        if (op.op === "l2") set(`l2_${k}`, op.rate);
        if (op.op === "p_scale" && st) set(`pscale${k}`, st.pscale[k]);
      });
      plan.reductions.forEach((red, r) => set(`max_norm${r}`, red.maxNorm));
      ctx.write(g.U, 0, new Uint8Array(g.uData));
    });
  }

  function uploadGrads(grads: readonly (readonly TensorInput[])[], enc: GPUCommandEncoder) {
    groups.forEach((g, gi) => {
      const sizes = init.groups[gi].sizes;
      g.stepBGs = g.updateBGs;
      const x0 = grads[gi][0];
      if (
        g.directBGs && !(x0 instanceof Float32Array) &&
        (x0.usage & GPUBufferUsage.STORAGE) !== 0 && x0.size >= sizes[0] * 4
      ) {
        g.stepBGs = g.directBGs(x0);
        return;
      }
      let packedAny = false;
      grads[gi].forEach((x, t) => {
        const n = sizes[t];
        if (n === 0) return;
        const off = g.layout.offsets[t];
        if (x instanceof Float32Array) {
          if (g.staging) {
            g.staging.set(x.subarray(0, n), off);
            packedAny = true;
          } else ctx.write(g.G, off * 4, x.subarray(0, n));
        } else {
          enc.copyBufferToBuffer(x, 0, g.G, off * 4, n * 4);
        }
      });
      if (packedAny) ctx.write(g.G, 0, g.staging!);
    });
  }

  let knownAbort = 0;
  let checking = false;
  let checkBuf: GPUBuffer | null = null;
  let destroyed = false;

  const self: BackendState = {
    step(grads, cmd) {
      ctx.assertAlive();
      const enc = device.createCommandEncoder({ label: `newbob ${def.name} step` });
      uploadGrads(grads, enc);
      writeUniforms(cmd);
      const pass = enc.beginComputePass({ label: `newbob ${def.name} step` });
      const dispatch = (bgp: GPUBindGroup, pipe: GPUComputePipeline, n: number) => {
        const [x, y] = grid(n, maxGroups);
        pass.setPipeline(pipe);
        pass.setBindGroup(0, bgp);
        pass.dispatchWorkgroups(x, y);
        ctx.countDispatch();
      };
      if (accPipe) {
        groups.forEach((g) =>
          g.layout.chunks.forEach((chk, k) =>
            dispatch(g.accBGs[k], accPipe, Math.ceil((chk.end - chk.start) / 4 / (WG * EPT)))
          )
        );
      }
      if (cmd.update) {
        plan.reductions.forEach((red, r) => {
          groups.forEach((g) => {
            g.layout.chunks.forEach((chk, k) =>
              dispatch(
                g.r1BGs[r][k],
                r1Pipes[r],
                Math.ceil((chk.end - chk.start) / BLOCK_FLOATS / WG),
              )
            );
            dispatch(g.r2BGs[r], r2Pipes[r], g.layout.sizes.length);
          });
          if (red.scope === "global") dispatch(groups[0].r3BG!, r3Pipes[r]!, 1);
        });
        groups.forEach((g) =>
          g.layout.chunks.forEach((chk, k) =>
            dispatch(g.stepBGs[k], updatePipe, Math.ceil((chk.end - chk.start) / 4 / (WG * EPT)))
          )
        );
      }
      pass.end();
      if (cmd.update) {
        groups.forEach((g, gi) =>
          g.userParams.forEach((b, t) => {
            const n = init.groups[gi].sizes[t];
            if (b && n) enc.copyBufferToBuffer(g.P, g.layout.offsets[t] * 4, b, 0, n * 4);
          })
        );
      }
      ctx.submit(enc.finish());
      return undefined;
    },
    async readParams() {
      const ranges = groups.flatMap((g, gi) =>
        init.groups[gi].sizes.map((n, t) => ({
          buffer: g.P,
          offset: g.layout.offsets[t] * 4,
          size: n * 4,
        }))
      );
      const out = await ctx.read(ranges);
      let i = 0;
      return groups.map((_, gi) => init.groups[gi].sizes.map(() => new Float32Array(out[i++])));
    },
    async readSlots() {
      const ranges: { buffer: GPUBuffer; offset: number; size: number }[] = [];
      groups.forEach((g, gi) => {
        const sizes = init.groups[gi].sizes;
        for (const b of [...g.S, ...(g.A ? [g.A] : [])]) {
          sizes.forEach((n, t) =>
            ranges.push({ buffer: b, offset: g.layout.offsets[t] * 4, size: n * 4 })
          );
        }
      });
      const out = await ctx.read(ranges);
      let i = 0;
      const slots: Float32Array[][][] = [];
      const accum: Float32Array[][] = [];
      groups.forEach((g, gi) => {
        const sizes = init.groups[gi].sizes;
        slots.push(g.S.map(() => sizes.map(() => new Float32Array(out[i++]))));
        if (g.A) accum.push(sizes.map(() => new Float32Array(out[i++])));
      });
      return { slots, accum: plan.accumulate ? accum : null };
    },
    writeSlots(slots, accum) {
      ctx.assertAlive();
      groups.forEach((g, gi) => {
        const sizes = init.groups[gi].sizes;
        g.S.forEach((b, k) =>
          sizes.forEach((n, t) => {
            if (n) ctx.write(b, g.layout.offsets[t] * 4, slots[gi][k][t]);
          })
        );
        if (g.A && accum) {
          sizes.forEach((n, t) => {
            if (n) ctx.write(g.A!, g.layout.offsets[t] * 4, accum[gi][t]);
          });
        }
      });
    },
    async readStatus() {
      const [head] = await ctx.read([{ buffer: meta, offset: 0, size: META_HEADER * 4 }]);
      const u = new Uint32Array(head);
      const fl = new Float32Array(head);
      knownAbort = u[META_ABORT];
      return {
        norms: plan.reductions.map((red, r) => red.scope === "global" ? fl[metaNormWord(r)] : NaN),
        consec: u[META_CONSEC],
        abort: u[META_ABORT],
        skipped: u[META_SKIPPED],
      };
    },
    writeStatus(consec, skipped) {
      const head = new Uint32Array(4);
      head[META_CONSEC] = consec;
      head[META_SKIPPED] = skipped;
      ctx.write(meta, 0, head);
      knownAbort = 0;
    },
    pollAbort: () => knownAbort,
    checkSoon() {
      if (checking || destroyed || !plan.skip) return;
      checking = true;
      checkBuf ??= device.createBuffer({
        size: 16,
        usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ,
        label: "newbob abort check",
      });
      const buf = checkBuf;
      const enc = device.createCommandEncoder({ label: "newbob abort check" });
      enc.copyBufferToBuffer(meta, 0, buf, 0, 16);
      ctx.submit(enc.finish());
      buf.mapAsync(GPUMapMode.READ).then(() => {
        knownAbort = new Uint32Array(buf.getMappedRange())[META_ABORT];
        buf.unmap();
      }, () => {}).finally(() => {
        checking = false;
      });
    },
    destroy() {
      destroyed = true;
      for (const b of all) b.destroy();
      checkBuf?.destroy();
    },
  };
  return self;
}
