/**
 * The wasm backend multi-threaded in a browser: `wasm_worker.html` starts a dedicated Worker
 * (`wasm_worker.ts`) that loads `newbob.js` (the bundle of `mod.ts`) and runs every PyTorch
 * optimizer fixture case on `wasm` with `threads: 2` and no inline cut-off, the same cases and
 * tolerances as the conformance page's main-thread wasm run (`_optimizer_cases.ts`).
 *
 * - Served cross-origin isolated (COOP/COEP, CORP on every file): the Worker has
 *   `SharedArrayBuffer` and may `Atomics.wait`, so the pool starts its own Worker ("newbob wasm
 *   1", nested in the page's Worker, from a `blob:` URL) and runs on 2 threads, printing no
 *   one-thread notice; every case passes.
 * - Served without COOP/COEP: no `SharedArrayBuffer`, so the pool runs on the Worker's one thread,
 *   starts no Worker, and its notice says why (SharedArrayBuffer, cross-origin isolation and the
 *   headers to send); every case still passes.
 *
 * @module
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { tempDir } from "../_gpu.ts";
import { browserTest, bundle, drive } from "./_browser.ts";
import type { WasmWorkerPageReport } from "./wasm_worker_page.ts";
import type { WorkerReport } from "./wasm_worker.ts";

async function runPage(chromium: string, isolated: boolean): Promise<WorkerReport> {
  const dir = await tempDir("wasm-worker-");
  await bundle("mod.ts", `${dir}/newbob.js`);
  await bundle("tests/browser/wasm_worker_page.ts", `${dir}/wasm_worker_page.js`);
  await bundle("tests/browser/wasm_worker.ts", `${dir}/wasm_worker.js`);
  await Deno.copyFile("tests/browser/wasm_worker.html", `${dir}/wasm_worker.html`);
  const r = await drive<{ value?: WasmWorkerPageReport; error?: string; console: unknown[] }>(
    chromium,
    [
      "page",
      `/${dir}/wasm_worker.html`,
      "__wasmWorker",
      "480",
      "nowebgpu",
      ...(isolated ? [] : ["--not-isolated"]),
    ],
    dir,
  );
  const page = r.value;
  const trace = JSON.stringify(r.console).slice(-3000);
  ok(page, `no report: ${r.error}\n${trace}`);
  equal(page.error, undefined, trace);
  equal(page.crossOriginIsolated, isolated);
  const w = page.worker!;
  equal(w.error, undefined, trace);
  const failed = w.cases.filter((c) => !c.pass);
  console.log(
    `wasm in a browser Worker (${isolated ? "" : "not "}cross-origin isolated): ` +
      `${w.poolThreads} thread(s), ${w.workersStarted.length} pool Worker generation(s) ` +
      `(${
        JSON.stringify([...new Set(w.workersStarted)])
      }), ${w.workerCommands} commands to them, ` +
      `${w.cases.length - failed.length}/${w.cases.length} optimizer cases passed in ` +
      `${w.seconds.toFixed(1)} s${w.oneThreadNote ? `; notice: ${w.oneThreadNote}` : ""}`,
  );
  deepEqual(failed.map((c) => `${c.id}: ${c.messages.join("; ")}`), []);
  equal(w.cases.length, 56);
  deepEqual(w.backends, ["wasm"]);
  equal(w.crossOriginIsolated, isolated);
  equal(w.sharedArrayBuffer, isolated);
  await Deno.remove(dir, { recursive: true });
  return w;
}

browserTest(
  "wasm in a Worker of a cross-origin isolated page: 2 threads (a nested pool Worker), 56 torch cases",
  async (chromium) => {
    const w = await runPage(chromium, true);
    equal(w.canWait, true);
    equal(w.oneThreadNote, null);
    ok(w.workersStarted.length >= 1, "the pool started no Worker");
    // One Worker per generation (the pool ends idle Workers and starts them again): 2 threads.
    deepEqual([...new Set(w.workersStarted)], ["newbob wasm 1"]);
    equal(w.poolThreads, 2);
    // Every case's steps ran on both threads: per generation at least one run besides the
    // unload and the stop (a run waits for the Worker's answer, or fails after 30 s).
    ok(
      w.workerCommands >= 3 * w.workersStarted.length && w.workersStarted.length >= w.cases.length,
      `${w.workerCommands} commands to ${w.workersStarted.length} Workers`,
    );
  },
);

browserTest(
  "wasm in a Worker of a page that is not cross-origin isolated: one thread, saying why",
  async (chromium) => {
    const w = await runPage(chromium, false);
    deepEqual(w.workersStarted, []);
    equal(w.workerCommands, 0);
    equal(w.poolThreads, 1);
    match(
      w.oneThreadNote ?? "",
      /^newbob wasm backend: running on one thread: SharedArrayBuffer is not available \(in a browser: serve the page cross-origin isolated, with COOP: same-origin and COEP: require-corp\)$/,
    );
  },
);
