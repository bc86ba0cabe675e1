/**
 * A pool of Workers running WebAssembly kernels over shared memories: the calling thread and
 * `threads - 1` Workers split each run into batches of work units, claimed with `Atomics.add`,
 * so results never depend on which thread ran what. Meant for any kernel family (the optimizer
 * engine's, fused recurrent kernels): a *program* is a compiled module bound to one
 * `WebAssembly.Memory`; a *task* names a program, one of its exports `fn(begin, end)` and a
 * count of work units; {@linkcode WorkerPool.run} runs tasks in order and returns when all are
 * done (the calling thread blocks: `Atomics.wait` where allowed, a spin on `Atomics.load` on a
 * browser's main thread).
 *
 * Workers are made from a `blob:` URL of {@linkcode WORKER_SOURCE} (no file access, no
 * permission needed) and live as long as a program is loaded; an idle pool ends them after
 * `idleMs` (they would keep a Deno process alive) and starts them again on the next run. Where
 * `SharedArrayBuffer` or `Worker` is missing (a page that is not cross-origin isolated), or the
 * calling thread cannot block (a browser's main thread), the pool runs everything on the calling
 * thread and `threadsNote` says why. In a browser's Worker (where a nested Worker comes up only
 * when its parent returns to its event loop), the Workers are started without waiting when a
 * program is loaded or a run needs them, and runs use the calling thread alone until every Worker
 * has answered.
 *
 * See `wasm/README.md` for a whole kernel: `acquirePool()`, `pool.load(module, memory,
 * exports)`, `pool.run(tasks)`, `pool.unload(id)`, `releasePool(pool)`.
 *
 * @module
 */

import { CTRL_WORDS } from "./_worker_layout.ts";
import { WORKER_SOURCE } from "./_worker_source.ts";

const CTRL = CTRL_WORDS;
const TASK_WORDS = CTRL_WORDS.taskWords;
const MAX_TASKS = 64;

/** One task of a run. */
export interface PoolTask {
  /** Program id from {@linkcode WorkerPool.load}. */
  readonly program: number;
  /** Index of the export in the program's export list. */
  readonly fn: number;
  /** Work units: the export is called as `fn(begin, end)` on `[0, units)` in batches. */
  readonly units: number;
  /** Units per call. */
  readonly batch: number;
}

/** Options of {@linkcode acquirePool}. */
export interface PoolOptions {
  /** Threads, the calling one included. @default {navigator.hardwareConcurrency} */
  threads?: number;
  /** End idle Workers after this long. @default {2000} */
  idleMs?: number;
}

type Kernel = (begin: number, end: number) => void;

interface Program {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly exports: readonly string[];
  readonly fns: Kernel[];
}

/**
 * Whether a Worker started from this thread comes up while the thread blocks: in Deno, yes; in a
 * browser's Worker, no (a nested Worker starts only once its parent returns to its event loop).
 */
const STARTS_WHILE_BLOCKED = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";

/** Whether this thread may block in `Atomics.wait` (not a browser's main thread). */
function canBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/** Why the pool cannot use Workers here, or null when it can. */
function singleThreadReason(): string | null {
  if (typeof SharedArrayBuffer === "undefined") {
    return "SharedArrayBuffer is not available (in a browser: serve the page cross-origin " +
      "isolated, with COOP: same-origin and COEP: require-corp)";
  }
  if (!canBlock()) {
    // A browser's main thread: the Workers would start only after it returns, and it waits
    // for them synchronously (a deadlock).
    return "this thread cannot wait in Atomics.wait (a browser's main thread): create the " +
      "optimizer inside a Worker for more threads";
  }
  if (typeof Worker === "undefined") return "Workers are not available";
  if (typeof Blob === "undefined" || typeof URL?.createObjectURL !== "function") {
    return "blob: URLs are not available for the Workers";
  }
  return null;
}

/** Run the tasks of the control buffer on this thread (shared by the calling thread). */
function runTasks(ctrl: Int32Array, programs: ReadonlyMap<number, Program>): void {
  const n = Atomics.load(ctrl, CTRL.tasks);
  for (let t = 0; t < n; t++) {
    const w = CTRL.taskBase + t * TASK_WORDS;
    const fn = programs.get(ctrl[w])!.fns[ctrl[w + 1]];
    const units = ctrl[w + 2], batch = ctrl[w + 3];
    for (;;) {
      const b = Atomics.add(ctrl, w + 4, batch);
      if (b >= units) break;
      fn(b, Math.min(units, b + batch));
    }
  }
}

/**
 * A pool of Workers (see the module doc).
 *
 * @example Usage
 * ```ts
 * import { WorkerPool } from "./pool.ts";
 * import { equal } from "node:assert/strict";
 * const pool = new WorkerPool({ threads: 1 });
 * equal(pool.shared, false); // one thread: no Workers, no shared memory needed
 * ```
 */
export class WorkerPool {
  /** Threads that run kernels, the calling one included (1 without Workers). */
  readonly threads: number;
  /** Why the pool runs on one thread although more were asked for, or null. */
  readonly threadsNote: string | null;
  #ctrl: Int32Array;
  readonly #programs = new Map<number, Program>();
  readonly #idleMs: number;
  readonly #block = canBlock();
  #workers: Worker[] = [];
  #url: string | null = null;
  #nextId = 1;
  #idleTimer: number | null = null;
  #users = 0;
  /** Workers started without waiting (a browser's Worker) that have not all answered yet. */
  #pending = false;

  /**
   * A pool of `threads` threads (the calling one included).
   *
   * @param options Threads and idle time.
   */
  constructor(options: PoolOptions = {}) {
    const wanted = options.threads ?? ((globalThis.navigator?.hardwareConcurrency) || 1);
    if (!(Number.isInteger(wanted) && wanted >= 1 && wanted <= 256)) {
      throw new RangeError(
        `Cannot create the worker pool as 'threads' must be an integer in [1, 256]: current ` +
          `value is ${wanted}`,
      );
    }
    const reason = wanted > 1 ? singleThreadReason() : null;
    this.threads = reason ? 1 : wanted;
    this.threadsNote = reason ? `running on one thread: ${reason}` : null;
    this.#ctrl = WorkerPool.#control();
    this.#idleMs = options.idleMs ?? 2000;
  }

  /** A fresh control buffer (each generation of Workers gets its own). */
  static #control(): Int32Array {
    const bytes = (CTRL.taskBase + MAX_TASKS * TASK_WORDS) * 4;
    return new Int32Array(
      typeof SharedArrayBuffer === "undefined"
        ? new ArrayBuffer(bytes)
        : new SharedArrayBuffer(bytes),
    );
  }

  /** Whether memories must be shared (the pool has Workers). */
  get shared(): boolean {
    return this.threads > 1;
  }

  /** Count one more user (a state); see {@linkcode releasePool}. */
  retain(): void {
    this.#users++;
  }

  /** Count one user less; returns the users left. */
  release(): number {
    this.#users = Math.max(0, this.#users - 1);
    if (this.#users === 0) this.#stopWorkers();
    return this.#users;
  }

  /**
   * Load a program: `module` instantiated on `memory` (imported as `env.memory`) on every
   * thread. Returns its id.
   */
  load(module: WebAssembly.Module, memory: WebAssembly.Memory, exports: readonly string[]): number {
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    const fns = exports.map((name) => {
      const fn = instance.exports[name];
      if (typeof fn !== "function") throw new TypeError(`internal: no export '${name}'`);
      return fn as Kernel;
    });
    const id = this.#nextId++;
    this.#programs.set(id, { module, memory, exports, fns });
    if (this.#workers.length && this.#ready()) {
      this.#message({ kind: "load", id, module, memory, exports });
    } else if (this.#workers.length) this.#stopWorkers(); // still starting: restart with it
    // Where Workers come up only while this thread yields, start them now (without waiting).
    if (!STARTS_WHILE_BLOCKED) this.#startWorkers();
    return id;
  }

  /** Unload a program. */
  unload(id: number): void {
    if (!this.#programs.delete(id)) return;
    if (this.#workers.length && this.#ready()) this.#message({ kind: "unload", id });
    else if (this.#workers.length) this.#stopWorkers(); // still starting: the next run restarts
  }

  /**
   * Run `tasks` in order on every thread; returns when all are done.
   *
   * @param tasks The tasks (at most 64).
   * @param inline Run on the calling thread only (small runs: no wake-up cost).
   * @throws {Error} when a kernel threw on some thread.
   */
  run(tasks: readonly PoolTask[], inline = false): void {
    if (tasks.length > MAX_TASKS) throw new RangeError("internal: too many pool tasks");
    let multi = !inline && this.threads > 1;
    if (multi) {
      this.#startWorkers();
      multi = this.#ready();
    }
    const ctrl = this.#ctrl;
    tasks.forEach((t, i) => {
      ctrl.set([t.program, t.fn, t.units, Math.max(1, t.batch), 0], CTRL.taskBase + i * TASK_WORDS);
    });
    Atomics.store(ctrl, CTRL.tasks, tasks.length);
    Atomics.store(ctrl, CTRL.failed, 0);
    if (!multi) {
      runTasks(ctrl, this.#programs);
      if (this.#workers.length) this.#armIdle();
      return;
    }
    this.#command(1, () => runTasks(ctrl, this.#programs));
    if (Atomics.load(ctrl, CTRL.failed)) {
      throw new Error("internal: a WebAssembly kernel failed on a worker thread (see its error)");
    }
    this.#armIdle();
  }

  /** Wake the Workers with `cmd`, do `own` here, wait until every Worker is done. */
  #command(cmd: number, own: () => void): void {
    const ctrl = this.#ctrl;
    Atomics.store(ctrl, CTRL.done, 0);
    Atomics.store(ctrl, CTRL.cmd, cmd);
    Atomics.add(ctrl, CTRL.seq, 1);
    Atomics.notify(ctrl, CTRL.seq);
    let error: unknown = null;
    try {
      own();
    } catch (e) {
      error = e;
    }
    const n = this.#workers.length;
    for (;;) {
      const d = Atomics.load(ctrl, CTRL.done);
      if (d >= n) break;
      if (this.#block) Atomics.wait(ctrl, CTRL.done, d, 50);
    }
    if (error) throw error;
  }

  /**
   * Send a message to every Worker: they are first told to return to their message loop (a
   * Worker waiting in `Atomics.wait` handles no message), then handle it, acknowledge and wait
   * for commands again.
   */
  #message(msg: Record<string, unknown>): void {
    this.#command(2, () => {});
    Atomics.store(this.#ctrl, CTRL.done, 0);
    for (const w of this.#workers) w.postMessage(msg);
    this.#ackWait(this.#workers.length);
  }

  #ackWait(n: number): void {
    const ctrl = this.#ctrl;
    const until = Date.now() + 30_000;
    for (;;) {
      const d = Atomics.load(ctrl, CTRL.done);
      if (d >= n) return;
      if (Date.now() > until) {
        throw new Error("Cannot start the wasm worker pool: its Workers did not answer in 30 s");
      }
      if (this.#block) Atomics.wait(ctrl, CTRL.done, d, 50);
    }
  }

  #startWorkers(): void {
    if (this.#workers.length || this.threads === 1) return;
    this.#url ??= URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));
    const ctrl = this.#ctrl = WorkerPool.#control();
    const programs = [...this.#programs].map(([id, p]) => ({
      id,
      module: p.module,
      memory: p.memory,
      exports: p.exports,
    }));
    for (let i = 1; i < this.threads; i++) {
      const w = new Worker(this.#url, { type: "module", name: `newbob wasm ${i}` });
      w.postMessage({ kind: "init", ctrl: ctrl.buffer, programs });
      this.#workers.push(w);
    }
    // Each Worker acknowledges once it has loaded every program and waits for commands; where
    // they cannot come up while this thread blocks, runs check for that instead (#ready).
    if (STARTS_WHILE_BLOCKED) this.#ackWait(this.#workers.length);
    else this.#pending = true;
  }

  /** Whether the Workers have all answered (always, once started where they start blocked). */
  #ready(): boolean {
    if (this.#pending && Atomics.load(this.#ctrl, CTRL.done) >= this.#workers.length) {
      this.#pending = false;
    }
    return !this.#pending;
  }

  #stopWorkers(): void {
    if (this.#idleTimer !== null) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
    if (this.#workers.length) {
      // Wake them to close themselves (a Worker blocked in Atomics.wait may outlive terminate()).
      Atomics.store(this.#ctrl, CTRL.cmd, 3);
      Atomics.add(this.#ctrl, CTRL.seq, 1);
      Atomics.notify(this.#ctrl, CTRL.seq);
    }
    for (const w of this.#workers) w.terminate();
    this.#workers = [];
    this.#pending = false;
  }

  #armIdle(): void {
    if (this.#idleTimer !== null) clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = null;
      this.#stopWorkers();
    }, this.#idleMs) as unknown as number;
    // Do not keep a Deno process alive for the timer (the Workers would, until it fires).
    (globalThis as { Deno?: { unrefTimer(id: number): void } }).Deno?.unrefTimer(this.#idleTimer);
  }

  /** End the Workers now (they start again on the next multi-threaded run). */
  stop(): void {
    this.#stopWorkers();
  }
}

const pools = new Map<number, WorkerPool>();

/**
 * The process's pool of `threads` threads (shared by every state asking for that many), counted
 * as used until {@linkcode releasePool}.
 *
 * @example Usage
 * ```ts
 * import { acquirePool, releasePool } from "./pool.ts";
 * import { equal } from "node:assert/strict";
 * const pool = acquirePool({ threads: 1 });
 * equal(pool.threads, 1);
 * releasePool(pool);
 * ```
 */
export function acquirePool(options: PoolOptions = {}): WorkerPool {
  const threads = options.threads ?? ((globalThis.navigator?.hardwareConcurrency) || 1);
  let pool = pools.get(threads);
  if (!pool) {
    pool = new WorkerPool({ ...options, threads });
    pools.set(threads, pool);
  }
  pool.retain();
  return pool;
}

/**
 * Stop using a pool from {@linkcode acquirePool}; its Workers end when it has no users left.
 *
 * @example Usage
 * ```ts
 * import { acquirePool, releasePool } from "./pool.ts";
 * import { equal } from "node:assert/strict";
 * const pool = acquirePool({ threads: 2 });
 * equal(releasePool(pool), 0);
 * ```
 */
export function releasePool(pool: WorkerPool): number {
  return pool.release();
}
