/**
 * The browser bench: newbob's Adam throughput (one tensor of 2^20 floats, host gradients) in a
 * headless Chromium page through `newbob.js` on the browser's WebGPU adapter and on newbob's CPU
 * engine, beside the same code in Deno (source modules, Deno's adapter). Here Chromium's adapter
 * is SwiftShader, a software renderer: its figures only show that nothing is pathological in the
 * browser path (bundle, device, kernels), never what a GPU does.
 *
 * Run: `deno task bench:browser` (Markdown on stdout; `--json` for JSON).
 *
 * @module
 */

import { type ThroughputResult, timeAdam } from "./_browser_timing.ts";
import { bundle, chromium, drive } from "../tests/browser/_browser.ts";
import * as newbob from "../mod.ts";

const PARAMS = 1 << 20;

function fmt(r: ThroughputResult | undefined): string {
  if (!r) return "-";
  const f = (x: number) => x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
  return `${f(r.median)} (${f(r.min)}-${f(r.max)})`;
}

const deno: ThroughputResult[] = [];
let denoAdapter = "none";
try {
  const gpu = await newbob.acquireGpu();
  denoAdapter = gpu.description;
  deno.push(await timeAdam(newbob, "webgpu", PARAMS, 5, 8));
} catch (e) {
  denoAdapter = `none (${(e as Error).message.slice(0, 80)})`;
}
deno.push(await timeAdam(newbob, "cpu", PARAMS, 5, 2));

let page: { adapter: string | null; results: ThroughputResult[]; error?: string } | undefined;
let note = "";
if (chromium === undefined) {
  note = "no Chromium installed: the browser column is empty (apt-get install -y chromium)";
} else {
  await Deno.mkdir(".tmp", { recursive: true });
  const dir = await Deno.makeTempDir({ dir: ".tmp", prefix: "bench-browser-" });
  await bundle("mod.ts", `${dir}/newbob.js`);
  await bundle("bench/browser_page.ts", `${dir}/bench.js`, ["--external", "./newbob.js"]);
  await Deno.writeTextFile(
    `${dir}/bench.html`,
    '<!doctype html><meta charset="utf-8"><title>newbob bench</title>' +
      '<script type="module" src="./bench.js"></script>',
  );
  const r = await drive<{ value?: typeof page; error?: string }>(
    chromium,
    ["page", `/${dir}/bench.html?params=${PARAMS}`, "__bench", "300", "webgpu"],
    dir,
  );
  page = r.value;
  if (!page) note = `the page gave no result: ${r.error}`;
  else if (page.error) note = `the page failed: ${page.error}`;
  await Deno.remove(dir, { recursive: true });
}

const report = {
  date: new Date().toISOString(),
  params: PARAMS,
  deno: { adapter: denoAdapter, results: deno },
  browser: page ?? null,
  note,
};
if (Deno.args.includes("--json")) {
  console.log(JSON.stringify(report, null, 2));
} else {
  const by = (rs: ThroughputResult[] | undefined, b: string) => rs?.find((r) => r.backend === b);
  console.log(
    `newbob in the browser, Adam on 1 tensor of ${PARAMS} floats (host gradients), ` +
      `${report.date}\n\nMillions of parameters per second, median (min-max) of 5 repetitions ` +
      "after a warm-up. Browser: headless Chromium, `newbob.js`; " +
      `its adapter: ${page?.adapter ?? "none"} (a software renderer: a pathology check, not a ` +
      `GPU figure). Deno: the source modules; its adapter: ${denoAdapter}.\n\n` +
      "| where | newbob webgpu | newbob cpu |\n| --- | --- | --- |\n" +
      `| Chromium page | ${fmt(by(page?.results, "webgpu"))} | ${
        fmt(by(page?.results, "cpu"))
      } |\n` +
      `| Deno | ${fmt(by(deno, "webgpu"))} | ${fmt(by(deno, "cpu"))} |` +
      (note ? `\n\nnote: ${note}` : ""),
  );
}
