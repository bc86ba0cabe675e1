/// <reference lib="dom" />
/**
 * The wasm Worker page's script (bundled by `wasm_worker_test.ts`): starts `wasm_worker.js` (a
 * module Worker beside this script), which runs the optimizer fixtures on the wasm backend with
 * 2 threads, shows its lines and keeps its report.
 *
 * Result: `window.__wasmWorker` = {@linkcode WasmWorkerPageReport}.
 *
 * @module
 */

import type { WorkerReport } from "./wasm_worker.ts";

/** What the page reports. */
export interface WasmWorkerPageReport {
  /** `crossOriginIsolated` on the page. */
  crossOriginIsolated: boolean;
  /** The Worker's report, or null when it failed to start or threw. */
  worker: WorkerReport | null;
  error?: string;
}

const log = (line: string) => {
  document.getElementById("log")!.textContent += line + "\n";
  console.log(line);
};

function run(): Promise<WasmWorkerPageReport> {
  const crossOriginIsolated = globalThis.crossOriginIsolated === true;
  return new Promise((resolve) => {
    const worker = new Worker(new URL("./wasm_worker.js", import.meta.url), {
      type: "module",
      name: "newbob conformance",
    });
    worker.onmessage = (e: MessageEvent) => {
      if (e.data.kind === "log") log(e.data.line);
      else if (e.data.kind === "report") {
        worker.terminate();
        resolve({ crossOriginIsolated, worker: e.data.report });
      }
    };
    worker.onerror = (e: ErrorEvent) => {
      worker.terminate();
      resolve({
        crossOriginIsolated,
        worker: null,
        error: `the Worker failed: ${e.message || "it did not load (see the console)"}`,
      });
    };
  });
}

(globalThis as { __wasmWorker?: WasmWorkerPageReport }).__wasmWorker = await run();
