/**
 * The wasm backend of the optimizer engine: every group's parameters, gradients, accumulators
 * and slots live in shared WebAssembly memories (`engine_wasm_layout.ts`), and each step runs
 * WebAssembly SIMD kernels generated from the same descriptions as the WGSL
 * (`engine_wasm_kernels.ts`) on a pool of Workers (`wasm/pool.ts`). Element-wise results are
 * bitwise those of the `cpu` backend (the TypeScript reference); norms are float64 sums per
 * segment combined in a fixed order, so they depend on the shapes only, never on the thread
 * count.
 *
 * Copies per step: the host gradients are copied into the memory once (none when the caller
 * writes them into {@linkcode BackendState.gradientViews}); parameters are copied out only when
 * read (`opt.read`); nothing else crosses between JavaScript and the memory.
 *
 * @module
 */

import type { TransformPlan } from "../transforms/plan.ts";
import { acquirePool, releasePool, type WorkerPool } from "../wasm/pool.ts";
import { createMemory } from "../wasm/shared_memory.ts";
import { finishReduction, hostArray, type HostStatus, type Scales } from "./engine_cpu.ts";
import { engineValues, packUniforms } from "./engine_kernel.ts";
import type {
  BackendInit,
  BackendState,
  GroupStep,
  StepCommand,
  TensorInput,
} from "./engine_types.ts";
import { wasmEngineFields, wasmKernels } from "./engine_wasm_kernels.ts";
import {
  planWasmLayout,
  SEG_FIXED_WORDS,
  type Segment,
  type WasmLayout,
} from "./engine_wasm_layout.ts";

/** Options of the wasm backend. */
export interface WasmEngineOptions {
  /**
   * Threads running the kernels, the calling one included; 1 runs without Workers.
   * @default {navigator.hardwareConcurrency}
   */
  threads?: number;
  /** Largest WebAssembly memory in bytes (a state larger than one spans several). @default {4 GiB} */
  memoryBytes?: number;
  /** Steps on fewer elements run on the calling thread only (no wake-up cost). @default {65536} */
  inlineBelow?: number;
}

const f = Math.fround;
let warned = false;

/** One memory with its views and its loaded program. */
interface WasmMemory {
  readonly memory: WebAssembly.Memory;
  readonly f32: Float32Array;
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  readonly program: number;
}

/** Everything the state's methods share. */
interface WasmCore {
  readonly init: BackendInit;
  readonly layout: WasmLayout;
  readonly pool: WorkerPool;
  readonly mems: readonly WasmMemory[];
  readonly exports: readonly string[];
  readonly fields: ReturnType<typeof wasmEngineFields>;
  readonly tensorsTotal: number;
  readonly inline: boolean;
  readonly views: (Float32Array | null)[][];
}

/** Float index of column `name` of segment `s`. */
function at(core: WasmCore, s: Segment, name: string): number {
  const m = core.layout.memories[s.memory];
  const k = core.layout.columns.indexOf(name);
  return (m.colBase + k * m.stride) / 4 + s.column;
}

/** Copy `data` (a whole tensor) into column `name` of its segments. */
function writeTensor(core: WasmCore, segs: readonly Segment[], name: string, data: Float32Array) {
  for (const s of segs) {
    core.mems[s.memory].f32.set(data.subarray(s.start, s.start + s.count), at(core, s, name));
  }
}

/** Column `name` of a tensor's segments, copied out. */
function readTensor(
  core: WasmCore,
  segs: readonly Segment[],
  name: string,
  n: number,
): Float32Array {
  const out = new Float32Array(n);
  for (const s of segs) {
    const i = at(core, s, name);
    out.set(core.mems[s.memory].f32.subarray(i, i + s.count), s.start);
  }
  return out;
}

/** Column `name` of every tensor, copied out, per group. */
function readColumn(core: WasmCore, name: string): Float32Array[][] {
  return core.layout.tensors.map((ts, gi) =>
    ts.map((segs, t) => readTensor(core, segs, name, core.init.groups[gi].sizes[t]))
  );
}

/** Write per-tensor arrays of group `gi` into column `name`. */
function writeColumn(core: WasmCore, name: string, gi: number, arrays: readonly Float32Array[]) {
  core.layout.tensors[gi].forEach((segs, t) => writeTensor(core, segs, name, arrays[t]));
}

/** The segment records and the initial parameters and slots. */
function fillMemories(core: WasmCore): void {
  const { layout, init } = core;
  layout.memories.forEach((m, mi) => {
    const { i32, f32 } = core.mems[mi];
    for (const s of m.segments) {
      const w = (m.segBase / 4) + s.index * layout.segWords;
      const tensor = init.groups[s.group].tensorBase + s.tensor;
      i32.set([
        m.colBase + s.column * 4,
        s.count,
        s.start,
        tensor,
        m.ubBase + s.group * layout.ubBytes,
      ], w);
      f32.fill(1, w + SEG_FIXED_WORDS, w + layout.segWords);
    }
  });
  init.groups.forEach((gs, gi) =>
    gs.sizes.forEach((n, t) => {
      const segs = layout.tensors[gi][t];
      writeTensor(
        core,
        segs,
        "param",
        hostArray(init.params[gi][t], "parameters", "wasm").subarray(0, n),
      );
      gs.slots.forEach((slot, k) => {
        for (const s of segs) {
          const i = at(core, s, slot);
          core.mems[s.memory].f32.fill(gs.slotInit[k], i, i + s.count);
        }
      });
    })
  );
}

/** Zero-copy gradient views: a tensor held by one memory is one contiguous column range. */
function gradientViews(core: WasmCore): (Float32Array | null)[][] {
  return core.layout.tensors.map((tensors, gi) =>
    tensors.map((segs, t) => {
      const n = core.init.groups[gi].sizes[t];
      if (n === 0 || segs.some((s) => s.memory !== segs[0].memory)) return null;
      const mem = core.mems[segs[0].memory];
      return new Float32Array(mem.memory.buffer, at(core, segs[0], "grad") * 4, n);
    })
  );
}

function buildCore(init: BackendInit, options: WasmEngineOptions): WasmCore {
  const { def, plan } = init;
  const h0 = init.groups[0].hyper;
  const fields = wasmEngineFields(plan);
  const words = def.uniforms(h0).length + fields.length;
  const layout = planWasmLayout(init.groups, plan, words, options.memoryBytes);
  const pool = acquirePool(options.threads !== undefined ? { threads: options.threads } : {});
  if (pool.threadsNote && !warned) {
    warned = true;
    console.warn(`newbob wasm backend: ${pool.threadsNote}`);
  }
  try {
    const mems = layout.memories.map((m, mi) => {
      const memory = createMemory(m.bytes, pool.shared);
      const { module, exports } = wasmKernels(def, h0, plan, layout, mi, pool.shared);
      const buffer = memory.buffer;
      return {
        memory,
        f32: new Float32Array(buffer),
        i32: new Int32Array(buffer),
        f64: new Float64Array(buffer),
        program: pool.load(module, memory, exports),
        exports,
      };
    });
    const total = init.groups.reduce((a, g) => a + g.sizes.reduce((x, y) => x + y, 0), 0);
    const core: WasmCore = {
      init,
      layout,
      pool,
      mems,
      exports: mems[0].exports,
      fields,
      tensorsTotal: init.groups.reduce((a, g) => a + g.sizes.length, 0),
      inline: total < (options.inlineBelow ?? 65536),
      views: [],
    };
    fillMemories(core);
    core.views.push(...gradientViews(core));
    return core;
  } catch (e) {
    releasePool(pool);
    throw e;
  }
}

/** Run export `name` over every memory's segments. */
function run(core: WasmCore, name: string): void {
  const fn = core.exports.indexOf(name);
  const tasks = core.mems.flatMap((m, mi) => {
    const units = core.layout.memories[mi].segments.length;
    // About 32 claims per thread: the last one leaves the others idle for ~1/32 of a step.
    const batch = Math.max(1, Math.floor(units / (core.pool.threads * 32)));
    return units ? [{ program: m.program, fn, units, batch }] : [];
  });
  core.pool.run(tasks, core.inline);
}

/** This step's gradients into the gradient column (skipping the zero-copy views). */
function copyGradients(core: WasmCore, grads: readonly (readonly TensorInput[])[]): void {
  grads.forEach((gs, gi) =>
    gs.forEach((g, t) => {
      const a = hostArray(g, "gradients", "wasm");
      if (a.length !== core.init.groups[gi].sizes[t]) throw new RangeError("internal: grad size");
      if (a !== core.views[gi][t]) writeTensor(core, core.layout.tensors[gi][t], "grad", a);
    })
  );
}

/** Every memory's uniform blocks for this step (and the reductions' coefficients). */
function writeUniforms(core: WasmCore, cmd: StepCommand, global: readonly number[]): void {
  const { layout, init } = core;
  init.groups.forEach((_, gi) => {
    const st: GroupStep | undefined = cmd.groups[gi];
    const values = engineValues(init.plan, cmd, st, core.tensorsTotal);
    global.forEach((c, r) => values[`gscale${r}`] = c);
    const nU = init.def.uniforms(init.groups[gi].hyper).length;
    core.mems.forEach((m, mi) => {
      const word = (layout.memories[mi].ubBase + gi * layout.ubBytes) / 4;
      if (st) m.f32.set(st.scalars, word);
      packUniforms(core.fields, values, m.memory.buffer as ArrayBuffer, word + nU);
    });
  });
}

/** Per-tensor norms of reduction `r` from the segments' partials (float32, per group). */
function tensorNorms(core: WasmCore, plan: TransformPlan, r: number): number[][] {
  const red = plan.reductions[r];
  return core.layout.tensors.map((tensors) =>
    tensors.map((segs) => {
      let acc = 0;
      for (const s of segs) {
        const m = core.layout.memories[s.memory];
        const x = core.mems[s.memory].f64[(m.partBase / 8) + r * m.segments.length + s.index];
        acc = red.normType === "inf" ? Math.max(acc, x) : acc + x;
      }
      return f(red.normType === 2 ? Math.sqrt(acc) : acc);
    })
  );
}

/** Write per-tensor scales of reduction `r` into the segment records. */
function writeTensorScales(core: WasmCore, r: number, scales: readonly (readonly number[])[]) {
  core.layout.tensors.forEach((tensors, gi) =>
    tensors.forEach((segs, t) => {
      for (const s of segs) {
        const m = core.layout.memories[s.memory];
        core.mems[s.memory]
          .f32[m.segBase / 4 + s.index * core.layout.segWords + SEG_FIXED_WORDS + r] =
            scales[gi][t];
      }
    })
  );
}

/** One update after the accumulation: the reductions in order, then the kernels' update. */
function update(core: WasmCore, status: HostStatus, cmd: StepCommand): boolean {
  const { plan } = core.init;
  const scales: Scales = {
    tensor: plan.reductions.map(() => []),
    global: plan.reductions.map(() => 1),
  };
  let skipped = false;
  plan.reductions.forEach((red, r) => {
    run(core, `norm${r}`);
    if (finishReduction(plan, r, tensorNorms(core, plan, r), status, scales, cmd)) skipped = true;
    if (red.scope === "tensor") writeTensorScales(core, r, scales.tensor[r]);
    else writeUniforms(core, cmd, scales.global);
  });
  if (skipped) return true;
  run(core, "update");
  return false;
}

/**
 * Create wasm state: the memories laid out and filled from `init.params` (copied), slots at their
 * initial values, the kernels compiled and loaded on the pool.
 *
 * @throws {TypeError} for GPU buffers as parameters.
 * @example Usage
 * ```ts
 * import { createOptimizer } from "./engine_create.ts";
 * import { deepEqual } from "node:assert/strict";
 * const opt = await createOptimizer({ class: "sgd" }, { backend: "wasm", wasm: { threads: 1 } });
 * const state = await opt.init([new Float32Array([1, 2])]); // calls createWasmState
 * await opt.step(state, [new Float32Array([1, 1])], { learningRate: 0.5 });
 * deepEqual(await opt.read(state), [new Float32Array([0.5, 1.5])]);
 * opt.dispose(state);
 * ```
 */
export function createWasmState(init: BackendInit, options: WasmEngineOptions = {}): BackendState {
  const core = buildCore(init, options);
  const { plan } = init;
  const status: HostStatus = {
    norms: plan.reductions.map(() => NaN),
    consec: 0,
    abort: 0,
    skipped: 0,
  };
  let destroyed = false;
  return {
    step(grads, cmd) {
      copyGradients(core, grads);
      writeUniforms(core, cmd, plan.reductions.map(() => 1));
      if (plan.accumulate) run(core, "accumulate");
      if (!cmd.update) return false;
      return update(core, status, cmd);
    },
    readParams: () => Promise.resolve(readColumn(core, "param")),
    readSlots: () =>
      Promise.resolve({
        slots: init.groups.map((gs, gi) => gs.slots.map((slot) => readColumn(core, slot)[gi])),
        accum: plan.accumulate ? readColumn(core, "accum") : null,
      }),
    writeSlots(slots, accum) {
      init.groups.forEach((gs, gi) => {
        gs.slots.forEach((slot, k) => writeColumn(core, slot, gi, slots[gi][k]));
        if (plan.accumulate && accum) writeColumn(core, "accum", gi, accum[gi]);
      });
    },
    readStatus: () => Promise.resolve({ ...status, norms: [...status.norms] }),
    writeStatus(consec, skipped) {
      Object.assign(status, { consec, skipped, abort: 0 });
    },
    pollAbort: () => status.abort,
    checkSoon() {},
    gradientViews: () => core.views.map((g) => [...g]),
    destroy() {
      if (destroyed) return;
      destroyed = true;
      for (const m of core.mems) core.pool.unload(m.program);
      releasePool(core.pool);
    },
  };
}
