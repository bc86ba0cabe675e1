/**
 * The roofline: memory bandwidth measured in the same run, on the same WebGPU adapter (WGSL
 * copy and triad over `vec4<f32>`, each thread on consecutive vec4s like the engine) and on the
 * CPU (a triad in JavaScript workers, one per core; an in-place read-modify-write in WebAssembly
 * SIMD on the engine's worker pool, the access pattern of an optimizer step, which a triad's
 * write-only stream under-counts), converted to parameters per second as
 * `bandwidth / bytesPerParam`.
 *
 * @module
 */

import { acquireGpu } from "../gpu/mod.ts";
import { type FunctionEmitter, I32, ModuleBuilder, OP, SIMD, V128 } from "../wasm/assembler.ts";
import { acquirePool, releasePool } from "../wasm/pool.ts";
import { createMemory } from "../wasm/shared_memory.ts";
import { rates, summarize } from "./_stats.ts";
import type { BandwidthResult } from "./results.ts";

const COPY_WGSL = /* wgsl */ `
override WG: u32 = 64u;
override EPT: u32 = 4u;
@group(0) @binding(0) var<storage, read_write> A: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> B: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> C: array<vec4<f32>>;
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let first = ((wid.y * nwg.x + wid.x) * WG + lid) * EPT;
  let n = arrayLength(&A);
  for (var k = 0u; k < EPT; k = k + 1u) {
    let i = first + k;
    if (i >= n) { return; }
    A[i] = BODY;
  }
}`;

/** Options of {@linkcode gpuBandwidth}. */
export interface GpuBandwidthOptions {
  /** Floats per array. @default {2^24} */
  floats?: number;
  /** Timed repetitions. @default {5} */
  reps?: number;
  /** Kernels per repetition (all in one submit). @default {8} */
  perRep?: number;
  /** Kernel shapes `[workgroupSize, vec4sPerThread]` to try; the best is reported. */
  shapes?: readonly (readonly [number, number])[];
}

/**
 * Measure copy (`A = B`, 8 bytes per float) and triad (`A = B + s*C`, 12 bytes per float) on
 * the WebGPU adapter, each at the fastest of `shapes`.
 *
 * @returns One result per kernel, labelled with the adapter and the winning shape.
 */
export async function gpuBandwidth(options: GpuBandwidthOptions = {}): Promise<BandwidthResult[]> {
  const ctx = await acquireGpu();
  const { device } = ctx;
  const n = options.floats ?? 1 << 24;
  const reps = options.reps ?? 5;
  const perRep = options.perRep ?? 8;
  const shapes = options.shapes ?? [[64, 4], [256, 4], [256, 1]];
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
  const bufs = [0, 1, 2].map((i) =>
    device.createBuffer({ size: n * 4, usage, label: `bench roofline ${i}` })
  );
  const enc0 = device.createCommandEncoder();
  for (const b of bufs) enc0.clearBuffer(b);
  device.queue.submit([enc0.finish()]);
  const out: BandwidthResult[] = [];
  try {
    for (
      const [kernel, body, bytes] of [
        ["copy", "B[i]", 8],
        ["triad", "B[i] + 0.5 * C[i]", 12],
      ] as const
    ) {
      let best: BandwidthResult | null = null;
      for (const [wg, ept] of shapes) {
        const module = device.createShaderModule({ code: COPY_WGSL.replace("BODY", body) });
        const pipe = device.createComputePipeline({
          layout: "auto",
          compute: { module, entryPoint: "main", constants: { WG: wg, EPT: ept } },
        });
        const entries = (kernel === "copy" ? bufs.slice(0, 2) : bufs).map((buffer, binding) => ({
          binding,
          resource: { buffer },
        }));
        const bg = device.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries });
        const groups = Math.ceil(n / 4 / (wg * ept));
        const max = device.limits.maxComputeWorkgroupsPerDimension;
        const [x, y] = groups <= max ? [groups, 1] : [max, Math.ceil(groups / max)];
        const once = async () => {
          const enc = device.createCommandEncoder();
          const pass = enc.beginComputePass();
          pass.setPipeline(pipe);
          pass.setBindGroup(0, bg);
          for (let r = 0; r < perRep; r++) pass.dispatchWorkgroups(x, y);
          pass.end();
          device.queue.submit([enc.finish()]);
          await device.queue.onSubmittedWorkDone();
        };
        const r = await rates(once, { reps, warmup: 1, work: n * bytes * perRep });
        const s = summarize(r);
        if (!best || s.median > best.bytesPerSecond.median) {
          best = {
            where: `webgpu ${ctx.description}`,
            kernel: `${kernel} (WG ${wg}, ${ept} vec4/thread)`,
            bytesPerSecond: s,
          };
        }
      }
      out.push(best!);
    }
  } finally {
    for (const b of bufs) b.destroy();
  }
  return out;
}

/** Options of {@linkcode cpuBandwidth}. */
export interface CpuBandwidthOptions {
  /** Floats per array and worker. @default {2^23} */
  floats?: number;
  /** Workers. @default {navigator.hardwareConcurrency} */
  workers?: number;
  /** Timed repetitions. @default {5} */
  reps?: number;
}

/**
 * Measure a triad (`a = b + s*c`, 12 bytes per float) in JavaScript, one worker per core, each
 * on its own arrays, all started together.
 *
 * @returns The triad bandwidth of all workers together.
 */
export async function cpuBandwidth(options: CpuBandwidthOptions = {}): Promise<BandwidthResult> {
  const n = options.floats ?? 1 << 23;
  const w = options.workers ?? navigator.hardwareConcurrency ?? 1;
  const reps = options.reps ?? 5;
  const workers = [...Array(w)].map(() =>
    new Worker(new URL("./_triad_worker.ts", import.meta.url), { type: "module" })
  );
  const ask = (wk: Worker, msg: unknown) =>
    new Promise<number>((resolve, reject) => {
      wk.onmessage = (e) => resolve(e.data as number);
      wk.onerror = (e) => {
        e.preventDefault();
        reject(new Error(`Cannot run the CPU triad worker: ${e.message}`));
      };
      wk.postMessage(msg);
    });
  try {
    await Promise.all(workers.map((wk) => ask(wk, { n, repeat: 2 })));
    const r = await rates(
      async () => {
        await Promise.all(workers.map((wk) => ask(wk, { n, repeat: 4 })));
      },
      { reps, warmup: 0, work: 12 * n * 4 * w },
    );
    return {
      where: "cpu",
      kernel: `triad (JavaScript, ${w} workers)`,
      bytesPerSecond: summarize(r),
    };
  } finally {
    workers.forEach((wk) => wk.terminate());
  }
}

/** Options of {@linkcode wasmInPlaceBandwidth}. */
export interface InPlaceBandwidthOptions {
  /** Floats in total. @default {2^26} (256 MiB) */
  floats?: number;
  /** Threads (the calling one included). @default {navigator.hardwareConcurrency} */
  threads?: number;
  /** Timed repetitions. @default {5} */
  reps?: number;
  /**
   * Arrays walked side by side (an optimizer walks 3-4: parameters, gradients, slots).
   * @default {[1, 2, 4]} (each measured; the best is reported)
   */
  streams?: readonly number[];
}

/** Floats per unit of work a thread claims (per stream). */
const _CHUNK = 16384;

/**
 * The `rmw(u0, u1)` module: for units `[u0, u1)`, `x = x·s + s` in place over `streams` arrays of
 * `perStream` floats each, 4 vectors per stream per iteration (independent loads in flight).
 */
function _rmwModule(
  shared: boolean,
  pages: number,
  streams: number,
  perStream: number,
): Uint8Array<ArrayBuffer> {
  const m = new ModuleBuilder({ memory: { shared, minPages: pages, maxPages: pages } });
  m.func("rmw", [I32, I32], [], (f) => {
    _chunkLoop(f, (p) => {
      for (let s = 0; s < streams; s++) {
        for (let v = 0; v < 4; v++) {
          const at = s * perStream * 4 + v * 16;
          f.op(OP.local_get, p).op(OP.local_get, p).simdMem(SIMD.v128_load, 4, at);
          f.v128Splat("f32x4", 0.5).simd(SIMD.f32x4_mul).v128Splat("f32x4", 0.5);
          f.simd(SIMD.f32x4_add).simdMem(SIMD.v128_store, 4, at);
        }
      }
    });
  });
  return m.bytes();
}

/**
 * `for (p = u0·chunk; p < u1·chunk; p += 64) body(p)` over the function's units `[u0, u1)` (its
 * two parameters), `p` a byte offset (local) into the first array.
 */
function _chunkLoop(f: FunctionEmitter, body: (p: number) => void): void {
  const p = f.local(I32), end = f.local(I32);
  f.op(OP.local_get, 0).i32(_CHUNK * 4).op(OP.i32_mul).op(OP.local_set, p);
  f.op(OP.local_get, 1).i32(_CHUNK * 4).op(OP.i32_mul).op(OP.local_set, end);
  f.op(OP.block, 0x40).op(OP.loop, 0x40);
  f.op(OP.local_get, p).op(OP.local_get, end).op(OP.i32_ge_u).op(OP.br_if, 1);
  body(p);
  f.op(OP.local_get, p).i32(64).op(OP.i32_add).op(OP.local_set, p);
  f.op(OP.br, 0).op(OP.end).op(OP.end);
}

/** A kernel `name(u0, u1)` over `units` chunks, loaded on a pool (see {@linkcode prepareInPlace}). */
interface PoolKernel {
  readonly threads: number;
  once(): void;
  dispose(): void;
}

/**
 * Load the module `build(shared, pages)` over a new memory of `bytes` (`fill` writes it first) on
 * a pool of `threads`, its export `name` run over `units` chunks claimed by the threads
 * (`perThread` claims each).
 */
function _poolKernel(
  build: (shared: boolean, pages: number) => Uint8Array<ArrayBuffer>,
  o: { bytes: number; name: string; units: number; perThread: number; threads?: number },
  fill?: (memory: WebAssembly.Memory) => void,
): PoolKernel {
  const pool = acquirePool(o.threads !== undefined ? { threads: o.threads } : {});
  try {
    const memory = createMemory(o.bytes, pool.shared);
    fill?.(memory);
    const pages = memory.buffer.byteLength / 65536;
    const id = pool.load(new WebAssembly.Module(build(pool.shared, pages)), memory, [o.name]);
    const batch = Math.max(1, Math.floor(o.units / (pool.threads * o.perThread)));
    const task = [{ program: id, fn: 0, units: o.units, batch }];
    return {
      threads: pool.threads,
      once: () => pool.run(task),
      dispose: () => {
        pool.unload(id);
        releasePool(pool);
      },
    };
  } catch (e) {
    releasePool(pool);
    throw e;
  }
}

/** Bytes per second of `once` moving `bytes`: one warm-up, then `reps` timed runs. */
function _rates(once: () => void, bytes: number, reps: number): number[] {
  once();
  return Array.from({ length: reps }, () => {
    const t0 = performance.now();
    once();
    return bytes / ((performance.now() - t0) / 1000);
  });
}

/**
 * The `read(u0, u1)` module: for units `[u0, u1)` of `_CHUNK` floats, the sum of the floats in
 * four `f32x4` accumulators (4 vectors per iteration), stored after the data so it stays live.
 */
function _readModule(shared: boolean, pages: number, floats: number): Uint8Array<ArrayBuffer> {
  const m = new ModuleBuilder({ memory: { shared, minPages: pages, maxPages: pages } });
  m.func("read", [I32, I32], [], (f) => {
    const acc = [0, 1, 2, 3].map(() => f.local(V128));
    _chunkLoop(f, (p) => {
      acc.forEach((a, v) => {
        f.op(OP.local_get, a).op(OP.local_get, p).simdMem(SIMD.v128_load, 4, v * 16);
        f.simd(SIMD.f32x4_add).op(OP.local_set, a);
      });
    });
    f.i32(floats * 4).op(OP.local_get, acc[0]).op(OP.local_get, acc[1]).simd(SIMD.f32x4_add);
    f.op(OP.local_get, acc[2]).simd(SIMD.f32x4_add).op(OP.local_get, acc[3]).simd(SIMD.f32x4_add);
    f.simdMem(SIMD.v128_store, 4, 0);
  });
  return m.bytes();
}

/**
 * Measure a read-only stream (the sum of an array of floats, `f32x4`) in WebAssembly SIMD on the
 * wasm engine's worker pool: what a pass that only reads, such as a global norm's, can reach. Not
 * a roofline of the optimizers (`role: "read"`): an in-place step also writes, and the writes
 * come on top of the reads' bandwidth.
 *
 * @returns The bandwidth of all threads together.
 * @example Usage
 * ```ts
 * import { wasmReadBandwidth } from "./roofline.ts";
 * import { equal } from "node:assert/strict";
 * const r = wasmReadBandwidth({ floats: 1 << 16, threads: 1, reps: 1 });
 * equal(r.role, "read");
 * equal(r.bytesPerSecond.median > 0, true);
 * ```
 */
export function wasmReadBandwidth(options: InPlaceBandwidthOptions = {}): BandwidthResult {
  const n = options.floats ?? 1 << 26;
  const units = Math.floor(n / _CHUNK);
  if (units < 1) throw new RangeError(`floats ${n} is below one chunk (${_CHUNK})`);
  const k = _poolKernel(
    (shared, pages) => _readModule(shared, pages, n),
    { bytes: n * 4 + 16, name: "read", units, perThread: 32, threads: options.threads },
    // Written first: untouched pages all map one zero page, which a read would find in cache.
    (memory) => new Float32Array(memory.buffer, 0, n).fill(1),
  );
  try {
    return {
      where: "cpu",
      kernel: `read only, sum of floats (WebAssembly SIMD, ${k.threads} threads)`,
      role: "read",
      bytesPerSecond: summarize(_rates(k.once, units * _CHUNK * 4, options.reps ?? 5)),
    };
  } finally {
    k.dispose();
  }
}

/** An in-place kernel ready to run (see {@linkcode prepareInPlace}). */
export interface InPlaceKernel {
  /** Threads of the pool (the calling one included). */
  readonly threads: number;
  /** Arrays walked side by side. */
  readonly streams: number;
  /** Bytes read and written by one `once` (8 per float). */
  readonly bytes: number;
  /** One pass over every array. */
  once(): void;
  /** Free the memory and the pool's share. */
  dispose(): void;
}

/**
 * The in-place kernel `x = x·s + s` over `streams` arrays side by side (4 vectors each per
 * iteration), chunks of 64 KiB per array claimed by the pool's threads as the engine's segments
 * are; `n` floats in all.
 *
 * @param streams Arrays walked side by side.
 * @param options Floats and threads.
 * @returns The kernel, or null where `n` is below one chunk per array.
 * @example Usage
 * ```ts
 * import { prepareInPlace } from "./roofline.ts";
 * import { equal } from "node:assert/strict";
 * const k = prepareInPlace(2, { floats: 1 << 16, threads: 1 })!;
 * k.once();
 * equal(k.bytes, (1 << 16) * 8);
 * k.dispose();
 * ```
 */
export function prepareInPlace(
  streams: number,
  options: InPlaceBandwidthOptions = {},
): InPlaceKernel | null {
  const n = options.floats ?? 1 << 26;
  const units = Math.floor(n / streams / _CHUNK);
  if (units < 1) return null;
  const k = _poolKernel(
    (shared, pages) => _rmwModule(shared, pages, streams, units * _CHUNK),
    { bytes: n * 4, name: "rmw", units, perThread: 8, threads: options.threads },
  );
  return { ...k, streams, bytes: units * _CHUNK * streams * 8 };
}

/**
 * Measure an in-place read-modify-write (`x = x·s + s` over `f32x4`, 8 bytes per float) in
 * WebAssembly SIMD on the wasm engine's worker pool over one shared memory, as an optimizer's
 * step reads and writes: 1, 2 and 4 arrays walked side by side ({@linkcode prepareInPlace}). The
 * best variant (by median) is the result, its number of arrays in `streams`; the others are
 * named in the kernel's text.
 *
 * @returns The bandwidth of all threads together.
 * @example Usage
 * ```ts
 * import { wasmInPlaceBandwidth } from "./roofline.ts";
 * import { equal } from "node:assert/strict";
 * const r = wasmInPlaceBandwidth({ floats: 1 << 16, threads: 1, reps: 1, streams: [2] });
 * equal(r.bytesPerSecond.median > 0, true);
 * equal(r.streams, 2);
 * ```
 */
export function wasmInPlaceBandwidth(options: InPlaceBandwidthOptions = {}): BandwidthResult {
  const found: { streams: number; rates: number[] }[] = [];
  let threads = 0;
  for (const streams of options.streams ?? [1, 2, 4]) {
    const k = prepareInPlace(streams, options);
    if (!k) continue;
    threads = k.threads;
    try {
      found.push({ streams, rates: _rates(k.once, k.bytes, options.reps ?? 5) });
    } finally {
      k.dispose();
    }
  }
  if (found.length === 0) {
    throw new RangeError(`floats ${options.floats ?? 1 << 26} is below one chunk (${_CHUNK})`);
  }
  const med = (r: number[]) => summarize(r).median;
  const best = found.reduce((a, b) => (med(b.rates) > med(a.rates) ? b : a));
  const others = found.filter((x) => x !== best)
    .map((x) => `${x.streams}: ${(med(x.rates) / 1e9).toFixed(1)}`).join(", ");
  return {
    where: "cpu",
    kernel: `in-place x = x·s + s (WebAssembly SIMD, ${threads} threads, ${best.streams} ` +
      `array${best.streams > 1 ? "s" : ""} side by side${others ? `; GB/s with ${others}` : ""})`,
    bytesPerSecond: summarize(best.rates),
    streams: best.streams,
  };
}
