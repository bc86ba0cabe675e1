/// <reference lib="dom" />
/**
 * A dedicated Worker of the wasm Worker page (`wasm_worker_page.ts`; bundled by
 * `wasm_worker_test.ts`), where `Atomics.wait` is allowed: loads `newbob.js` (the bundle of
 * `mod.ts`, beside this script) and runs every PyTorch optimizer case on the `wasm` backend with
 * `wasm: { threads: 2, inlineBelow: 0 }` (`_optimizer_cases.ts`, the cases and tolerances of the
 * page's own wasm run). It counts the Workers started from here (the pool's, nested in this one)
 * by their names (`newbob wasm <i>`, i = 1 .. threads - 1), keeps each generation's control
 * buffer (sent in their `init` message) to count the commands the pool gave them, and keeps the
 * backend's one-thread notice if it prints one; on a page that is not cross-origin isolated there
 * is no `SharedArrayBuffer`, so the pool runs on this one thread and says so.
 *
 * A nested Worker comes up only once this thread returns to its event loop (the pool starts them
 * without waiting and runs on this thread alone until they answer), so after each optimizer's
 * `init` this Worker yields until the pool's Workers have answered (at most 10 s), as a training
 * loop that awaits its data does.
 *
 * Posts `{ kind: "log", line }` per case, then `{ kind: "report", report }` =
 * {@linkcode WorkerReport}.
 *
 * @module
 */

import { type CaseReport, type Newbob, optimizerCases } from "./_optimizer_cases.ts";

/** What the Worker reports. */
export interface WorkerReport {
  /** `crossOriginIsolated` in this Worker. */
  crossOriginIsolated: boolean;
  /** Whether `SharedArrayBuffer` exists here. */
  sharedArrayBuffer: boolean;
  /** Whether this thread may block in `Atomics.wait` (a Worker may; a page's main thread not). */
  canWait: boolean;
  /** The wasm backend's one-thread notice (console.warn), or null when it printed none. */
  oneThreadNote: string | null;
  /** Names of the Workers started from this Worker (by the wasm pool), in order. */
  workersStarted: string[];
  /** Threads the pool ran on, as its Workers' names say (1 + the highest index; 1 if none). */
  poolThreads: number;
  /**
   * Commands the pool gave its Workers, all generations together (the `seq` word of each
   * control buffer: one per multi-threaded run, plus one per program unload and one to stop).
   */
  workerCommands: number;
  /** Backends the optimizers really ran on. */
  backends: string[];
  cases: CaseReport[];
  seconds: number;
  error?: string;
}

const post = (m: unknown) =>
  (globalThis as unknown as { postMessage(m: unknown): void }).postMessage(m);

function _canWait(): boolean {
  if (typeof SharedArrayBuffer === "undefined") return false;
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Note the Workers started from this Worker (the pool's nested Workers) and the control buffer
 * of each generation (`ctrl` of their `init` message).
 */
function _spyWorkers(started: string[], controls: Int32Array[]): void {
  const Native = globalThis.Worker;
  if (typeof Native !== "function") return;
  globalThis.Worker = class extends Native {
    constructor(url: string | URL, options?: WorkerOptions) {
      super(url, options);
      started.push(options?.name ?? String(url));
    }
    override postMessage(message: unknown, options?: unknown): void {
      const m = message as { kind?: string; ctrl?: SharedArrayBuffer };
      if (m?.kind === "init" && m.ctrl) controls.push(new Int32Array(m.ctrl));
      super.postMessage(message, options as StructuredSerializeOptions);
    }
  };
}

/** Yield until the newest generation of pool Workers has answered (`done`, word 2), ≤ 10 s. */
async function _poolUp(controls: Int32Array[]): Promise<void> {
  const ctrl = controls.at(-1);
  for (let i = 0; ctrl && i < 1000 && Atomics.load(ctrl, 2) < 1; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function main(): Promise<WorkerReport> {
  const t0 = performance.now();
  const workersStarted: string[] = [];
  const controls: Int32Array[] = [];
  const report: WorkerReport = {
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    sharedArrayBuffer: typeof SharedArrayBuffer !== "undefined",
    canWait: _canWait(),
    oneThreadNote: null,
    workersStarted,
    poolThreads: 1,
    workerCommands: 0,
    backends: [],
    cases: [],
    seconds: 0,
  };
  const warn = console.warn;
  try {
    _spyWorkers(workersStarted, controls);
    console.warn = (...a: unknown[]) => {
      const text = a.map(String).join(" ");
      if (text.startsWith("newbob wasm backend:")) report.oneThreadNote = text;
      warn(...a);
    };
    const nb: Newbob = await import(new URL("./newbob.js", import.meta.url).href);
    const backends = new Set<string>();
    report.cases = await optimizerCases(nb, {
      device: null,
      flushes: false,
      backends,
      suite: "optimizers_wasm_worker",
      log: (line) => post({ kind: "log", line }),
      afterInit: () => _poolUp(controls),
    });
    report.backends = [...backends];
  } catch (e) {
    report.error = `${(e as Error)?.name}: ${(e as Error)?.message}\n${(e as Error)?.stack}`;
  } finally {
    console.warn = warn;
  }
  const indices = workersStarted.map((n) => Number(/^newbob wasm (\d+)$/.exec(n)?.[1] ?? NaN));
  report.poolThreads = 1 + Math.max(0, ...indices.filter(Number.isInteger));
  report.workerCommands = controls.reduce((a, c) => a + Atomics.load(c, 0), 0);
  report.seconds = (performance.now() - t0) / 1000;
  return report;
}

post({ kind: "report", report: await main() });
