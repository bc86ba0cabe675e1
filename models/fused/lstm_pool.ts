/**
 * The fused LSTM's WebAssembly kernels on the engine's worker pool (`wasm/pool.ts`, the same
 * process pool the optimizer engine's `wasm` backend uses), for the tfjs `cpu` and `wasm`
 * backends.
 *
 * TensorFlow.js' wasm backend keeps its tensors in a memory of its own that is not shared, so
 * Workers cannot see them. A pooled call copies the op's inputs into one shared memory (one per
 * process, grown by replacing it when a call needs more), runs `forward_units` /
 * `backward_units` of {@linkcode lstmWasmModule} over batch ranges on the pool (sequences are
 * independent: no synchronisation inside a call) and copies the outputs back. Every sequence's
 * arithmetic is the one-thread kernel's, so the results are bitwise the same whatever the
 * threads and ranges.
 *
 * When the pool pays: the copies and one wake-up of the Workers cost about as much as a few
 * million multiply-adds, so a call runs on the pool only when it has at least 2 sequences and its
 * recurrent product at least {@linkcode FusedLstmThreadsOptions.minWork} multiply-adds
 * (`B * T * n * 4n`, default {@linkcode LSTM_POOL_MIN_WORK}); smaller calls (the 12AX demo's
 * `B 10, T 55, n 10`: 220 thousand) run on the calling thread in the backend's memory, as with
 * one thread. The pool splits the batch into ranges of a multiple of 4 sequences (the kernel's
 * row tiles), about two per thread.
 *
 * @module
 */

import { acquirePool, releasePool, type WorkerPool } from "../../wasm/pool.ts";
import { createMemory, PAGE_BYTES } from "../../wasm/shared_memory.ts";
import {
  lstmBackwardScratchBytes,
  lstmForwardScratchBytes,
  type LstmLayout,
  lstmWasmModule,
  POOL_DESC,
  runLstmBackward,
  runLstmForward,
} from "./lstm_wasm.ts";

export type { LstmLayout };

/**
 * Default {@linkcode FusedLstmThreadsOptions.minWork}: 2 million multiply-adds of the recurrent
 * product per call. Measured on a shared 2-core machine, one layer forward + backward, 2
 * threads against 1: 0.22 million (12AX, `B 10, T 55, n 10`) 1.0x, 0.8 million 0.9x, 3.3-3.5
 * million 1.15-1.2x; the forward of `B 32, T 100, n 256` (840 million) 160 ms against 100-125.
 */
export const LSTM_POOL_MIN_WORK = 2_000_000;

/** Options of {@linkcode setFusedLstmThreads}. */
export interface FusedLstmThreadsOptions {
  /**
   * Threads running the fused LSTM's kernels on `cpu` and `wasm`, the calling one included; 1
   * runs them on the calling thread, in the backend's own memory (no copies).
   * @default {navigator.hardwareConcurrency}
   */
  readonly threads?: number;
  /**
   * Calls whose recurrent product has fewer multiply-adds (`B * T * n * 4n`) run on the calling
   * thread. @default {LSTM_POOL_MIN_WORK}
   */
  readonly minWork?: number;
}

/** The arrays of one forward call (views the pool copies from and into). */
export interface PooledForwardArrays {
  /** Pre-activations `[B, T, 4n]`. */
  readonly x: Float32Array;
  /** `W_re` `[n, 4n]`. */
  readonly w: Float32Array;
  /** Lengths `[B]`. */
  readonly lens: Int32Array;
  /** Output `[B, T, n]` (written). */
  readonly y: Float32Array;
  /** Workspace (written). */
  readonly ws: Float32Array;
}

/** The arrays of one backward call. */
export interface PooledBackwardArrays {
  /** Upstream gradient `[B, T, n]`. */
  readonly dy: Float32Array;
  /** `W_re`. */
  readonly w: Float32Array;
  /** Lengths. */
  readonly lens: Int32Array;
  /** The forward's output. */
  readonly y: Float32Array;
  /** The forward's workspace. */
  readonly ws: Float32Array;
  /** `dZ` `[B, T, 4n]` (written). */
  readonly dz: Float32Array;
  /** `hPrev` `[B, T, n]` (written). */
  readonly hp: Float32Array;
}

let threadsWanted: number | undefined;
let minWork = LSTM_POOL_MIN_WORK;
let state: _PoolState | null = null;
let warned = false;

/** One shared memory on the pool, grown by replacement, and the programs loaded on it. */
class _PoolState {
  readonly pool: WorkerPool;
  #memory: WebAssembly.Memory | null = null;
  readonly #programs = new Map<number, number>();

  constructor(pool: WorkerPool) {
    this.pool = pool;
  }

  /** The memory (at least `bytes`) and the program for `n` units on it. */
  prepare(bytes: number, n: number): { memory: WebAssembly.Memory; program: number } {
    if (!this.#memory || this.#memory.buffer.byteLength < bytes) {
      this.#unloadAll();
      // Grow by half again at least, so a slowly growing batch does not replace it every call.
      const old = this.#memory?.buffer.byteLength ?? 0;
      const size = Math.ceil(Math.max(bytes, old * 1.5) / PAGE_BYTES) * PAGE_BYTES;
      this.#memory = null;
      this.#memory = createMemory(size, true);
    }
    let program = this.#programs.get(n);
    if (program === undefined) {
      program = this.pool.load(lstmWasmModule(n, true), this.#memory, [
        "forward_units",
        "backward_units",
      ]);
      this.#programs.set(n, program);
    }
    return { memory: this.#memory, program };
  }

  #unloadAll(): void {
    for (const id of this.#programs.values()) this.pool.unload(id);
    this.#programs.clear();
  }

  close(): void {
    this.#unloadAll();
    this.#memory = null;
    releasePool(this.pool);
  }
}

/**
 * Set the threads of the fused LSTM's `cpu` / `wasm` kernels and the work below which a call
 * stays on one thread (until the next call of this function). Where the pool cannot have
 * Workers (no `SharedArrayBuffer`, a browser's main thread), the kernels run on one thread and
 * the first call warns once with the reason ({@linkcode fusedLstmThreads} returns it too).
 * `threads: 1` releases the pool's Workers.
 *
 * @param options Threads and the work threshold; omitted fields take their defaults.
 * @throws {RangeError} If `threads` is not an integer in [1, 256] or `minWork` is negative.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fusedLstmThreads, setFusedLstmThreads } from "./lstm_pool.ts";
 *
 * setFusedLstmThreads({ threads: 1 });
 * assert.equal(fusedLstmThreads().threads, 1);
 * setFusedLstmThreads({});
 * ```
 */
export function setFusedLstmThreads(options: FusedLstmThreadsOptions = {}): void {
  const t = options.threads;
  if (t !== undefined && !(Number.isInteger(t) && t >= 1 && t <= 256)) {
    throw new RangeError(
      `Cannot set the fused LSTM's threads as 'threads' must be an integer in [1, 256]: ` +
        `current value is ${t}`,
    );
  }
  const m = options.minWork ?? LSTM_POOL_MIN_WORK;
  if (!(m >= 0)) {
    throw new RangeError(
      `Cannot set the fused LSTM's threads as 'minWork' must be a number >= 0: current value ` +
        `is ${m}`,
    );
  }
  state?.close();
  state = null;
  threadsWanted = t;
  minWork = m;
}

function _wanted(): number {
  return threadsWanted ?? ((globalThis.navigator?.hardwareConcurrency) || 1);
}

/**
 * The threads the fused LSTM's `cpu` / `wasm` kernels run on (for calls above the work
 * threshold) and why fewer than asked for, if so.
 *
 * @returns `threads` and `note` (null when the pool has what was asked for).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fusedLstmThreads } from "./lstm_pool.ts";
 *
 * assert.ok(fusedLstmThreads().threads >= 1);
 * ```
 */
export function fusedLstmThreads(): { threads: number; note: string | null } {
  const wanted = _wanted();
  if (wanted === 1) return { threads: 1, note: null };
  const s = _state();
  return { threads: s.pool.threads, note: s.pool.threadsNote };
}

function _state(): _PoolState {
  if (!state) {
    state = new _PoolState(acquirePool({ threads: _wanted() }));
    if (state.pool.threadsNote && !warned) {
      warned = true;
      console.warn(`newbob fused LSTM: ${state.pool.threadsNote}`);
    }
  }
  return state;
}

/**
 * The pool a call of `dims` should run on, or null for the calling thread (one thread wanted
 * or available, or less work than the threshold).
 *
 * @param dims Sequences, frames and units of the call.
 * @returns The pool state, or null.
 */
function _poolFor(dims: { B: number; T: number; n: number }): _PoolState | null {
  if (_wanted() === 1 || dims.B < 2 || dims.B * dims.T * dims.n * 4 * dims.n < minWork) {
    return null;
  }
  const s = _state();
  return s.pool.threads > 1 ? s : null;
}

/**
 * Whether a call of `dims` runs on the pool ({@linkcode setFusedLstmThreads}' threads > 1 and
 * available, at least 2 sequences, and at least `minWork` multiply-adds).
 *
 * @param dims Sequences, frames and units.
 * @returns Whether {@linkcode pooledLstmForward} / {@linkcode pooledLstmBackward} should run it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { usesLstmPool } from "./lstm_pool.ts";
 *
 * assert.equal(usesLstmPool({ B: 10, T: 55, n: 10 }), false); // 12AX: below the threshold
 * ```
 */
export function usesLstmPool(dims: { B: number; T: number; n: number }): boolean {
  return _poolFor(dims) !== null;
}

/** A bump allocator over the pool memory, after the scratch at {@linkcode POOL_DESC}. */
function _planner(scratchBytes: number) {
  let top = POOL_DESC + scratchBytes;
  return (bytes: number) => {
    const p = Math.ceil(top / 64) * 64;
    top = p + bytes;
    return { p, top: () => top };
  };
}

function _ranges(pool: WorkerPool, B: number): number {
  // Two batches per thread balance a busy core; multiples of 4 sequences keep the kernel's
  // 4-row tiles (but at least one batch per thread).
  const b = Math.ceil(Math.ceil(B / (2 * pool.threads)) / 4) * 4;
  return Math.min(b, Math.ceil(B / pool.threads));
}

function _layout(
  scratch: number,
  arrays: readonly { length: number }[],
): { at: number[]; bytes: number } {
  const alloc = _planner(scratch);
  let last = { p: 0, top: () => scratch };
  const at = arrays.map((a) => (last = alloc(a.length * 4)).p);
  return { at, bytes: last.top() };
}

/**
 * One pooled call: lay out the scratch, `ins` and `outs` in the shared memory, copy `ins` in,
 * let `describe` write the kernel's descriptor (from the byte offsets, `ins` first), run export
 * `fn` over batch ranges and copy `outs` back; false when the call belongs on the calling thread.
 */
function _pooledCall(
  dims: { B: number; T: number; n: number },
  scratch: number,
  ins: readonly (Float32Array | Int32Array)[],
  outs: readonly Float32Array[],
  fn: 0 | 1,
  describe: (memory: WebAssembly.Memory, at: number[]) => void,
): boolean {
  const s = _poolFor(dims);
  if (!s) return false;
  const { at, bytes } = _layout(scratch, [...ins, ...outs]);
  const { memory, program } = s.prepare(bytes, dims.n);
  ins.forEach((x, i) => {
    if (x instanceof Int32Array) new Int32Array(memory.buffer, at[i], x.length).set(x);
    else new Float32Array(memory.buffer, at[i], x.length).set(x);
  });
  describe(memory, at);
  s.pool.run([{ program, fn, units: dims.B, batch: _ranges(s.pool, dims.B) }]);
  outs.forEach((o, k) => o.set(new Float32Array(memory.buffer, at[ins.length + k], o.length)));
  return true;
}

/**
 * Run the fused LSTM's forward on the pool: copy `x`, `w`, `lens` into the shared memory, run
 * the kernel over batch ranges, copy `y` and `ws` out.
 *
 * @param dims Sequences, frames and units.
 * @param attrs Direction, gate layout, forget bias.
 * @param a The input views and the output views to fill.
 * @returns false (nothing done) when the call should run on the calling thread
 *   ({@linkcode usesLstmPool}).
 */
export function pooledLstmForward(
  dims: { B: number; T: number; n: number },
  attrs: LstmLayout,
  a: PooledForwardArrays,
): boolean {
  return _pooledCall(
    dims,
    lstmForwardScratchBytes(dims.n, dims.B),
    [a.x, a.w, a.lens],
    [a.y, a.ws],
    0,
    (memory, [x, w, lens, y, ws]) =>
      runLstmForward(memory, dims, { x, w, lens, y, ws, scratch: POOL_DESC }, attrs, []),
  );
}

/**
 * Run the fused LSTM's backward on the pool: copy `dy`, `w`, `lens`, `y`, `ws` in, run the
 * kernel over batch ranges, copy `dz` and `hp` out.
 *
 * @param dims Sequences, frames and units.
 * @param attrs As the forward's.
 * @param a The input views and the output views to fill.
 * @returns false (nothing done) when the call should run on the calling thread.
 */
export function pooledLstmBackward(
  dims: { B: number; T: number; n: number },
  attrs: LstmLayout,
  a: PooledBackwardArrays,
): boolean {
  return _pooledCall(
    dims,
    lstmBackwardScratchBytes(dims.n, dims.B),
    [a.dy, a.w, a.lens, a.y, a.ws],
    [a.dz, a.hp],
    1,
    (memory, [dy, w, lens, y, ws, dz, hp]) =>
      runLstmBackward(memory, dims, { dy, w, lens, y, ws, dz, hp, scratch: POOL_DESC }, attrs, []),
  );
}
