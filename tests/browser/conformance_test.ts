/**
 * Browser conformance: `dist/newbob.js` (the `bundle` task's output, made here into `.tmp/`)
 * loaded by a page in headless Chromium, which runs every PyTorch optimizer and transform
 * fixture through `createOptimizer` on the browser's WebGPU adapter (and every optimizer fixture
 * on the `wasm` backend, which says it runs on one thread on a page's main thread) and every
 * RETURNN control
 * fixture through `createLearningRateControl` (`conformance_page.ts`). Fails unless every case
 * passes and the adapter really was WebGPU (an adapter, and every optimizer on `webgpu`). On an
 * adapter that flushes subnormals (SwiftShader here) the subnormal Adam case is held to the
 * documented deviation (`_subnormal_deviation.ts`), not skipped.
 *
 * @module
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { tempDir } from "../_gpu.ts";
import { browserTest, bundle, drive } from "./_browser.ts";
import type { ConformanceReport } from "./conformance_page.ts";

browserTest(
  "conformance: torch + RETURNN fixtures through newbob.js on WebGPU",
  async (chromium) => {
    const dir = await tempDir("conformance-");
    const task = JSON.parse(await Deno.readTextFile("deno.json")).tasks.bundle as string;
    equal(task, "deno bundle --platform browser -o dist/newbob.js mod.ts");
    await bundle("mod.ts", `${dir}/newbob.js`);
    await bundle("tests/browser/conformance_page.ts", `${dir}/conformance.js`);
    await Deno.copyFile("tests/browser/conformance.html", `${dir}/conformance.html`);
    const r = await drive<{ value?: ConformanceReport; error?: string; console: unknown[] }>(
      chromium,
      ["page", `/${dir}/conformance.html`, "__conformance", "480", "webgpu"],
      dir,
    );
    const report = r.value;
    ok(report, `no report: ${r.error}\n${JSON.stringify(r.console).slice(0, 3000)}`);
    equal(report.error, undefined);
    ok(report.adapter, "the page had no WebGPU adapter");
    deepEqual(report.backends, ["webgpu"]);
    const count = (suite: string) => report.cases.filter((c) => c.suite === suite).length;
    const failed = report.cases.filter((c) => !c.pass);
    const deviations = report.cases.filter((c) => c.deviation);
    console.log(
      `browser conformance on ${report.adapter.vendor} ${report.adapter.architecture} ` +
        `${report.adapter.description} (subnormals: ${JSON.stringify(report.subnormals)}): ` +
        `${report.cases.length - failed.length}/${report.cases.length} passed ` +
        `(${count("optimizers")} optimizer, ${count("transforms")} transform, ${
          count("returnn")
        } ` +
        `RETURNN cases) in ${report.seconds.toFixed(1)} s` +
        deviations.map((c) =>
          `\n  ${c.id}: documented deviation (${c.deviation!.why}); ${
            c.deviation!.worstHistVsTorch.toFixed(0)
          } ε32 from torch ` +
          `(${c.deviation!.driverHist.toFixed(0)} ε32 as the fixture driver counts, with the FTZ ` +
          `replay's slack), ` +
          `${c.deviation!.elementStepsBeyondTolerance} element-steps beyond torch's tolerance; ` +
          `matches the flushed kernel within ${c.worstHist!.toFixed(2)} ε32`
        ).join(""),
    );
    deepEqual(failed.map((c) => `${c.suite} ${c.id}: ${c.messages.join("; ")}`), []);
    equal(count("optimizers"), 56);
    // The wasm backend: every case. The page is cross-origin isolated, but its main thread
    // cannot block, so the backend runs on one thread there and says so.
    equal(count("optimizers_wasm"), 56);
    equal(report.wasm?.crossOriginIsolated, true);
    match(report.wasm?.oneThreadNote ?? "", /one thread: this thread cannot wait in Atomics/);
    equal(count("transforms"), 18);
    equal(count("returnn"), 60);
    const flushes = report.subnormals!.flushesInputs || report.subnormals!.flushesResults;
    deepEqual(deviations.map((c) => c.id), flushes ? ["adam_eps1e-16_subnormal_v"] : []);
    await Deno.remove(dir, { recursive: true });
  },
);
