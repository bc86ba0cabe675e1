/// <reference lib="dom" />
/**
 * The browser bench page's script (bundled by `browser.ts`): times Adam through `newbob.js`
 * (beside it) on the page's WebGPU adapter and on newbob's CPU engine. Result:
 * `window.__bench`.
 *
 * @module
 */

import { type ThroughputResult, timeAdam } from "./_browser_timing.ts";

type Newbob = typeof import("../mod.ts");

const size = Number(new URLSearchParams(location.search).get("params") ?? 1 << 20);
const out: { adapter: string | null; results: ThroughputResult[]; error?: string } = {
  adapter: null,
  results: [],
};
try {
  // Beside this script in the served folder (left out of its bundle: --external).
  const nb: Newbob = await import("./newbob.js");
  const adapter = await navigator.gpu?.requestAdapter();
  if (adapter) {
    out.adapter = [adapter.info.vendor, adapter.info.architecture, adapter.info.description]
      .filter((s) => s).join(" ");
    out.results.push(await timeAdam(nb, "webgpu", size, 5, 8));
  }
  out.results.push(await timeAdam(nb, "cpu", size, 5, 2));
} catch (e) {
  out.error = `${(e as Error).name}: ${(e as Error).message}`;
}
(globalThis as Record<string, unknown>).__bench = out;
