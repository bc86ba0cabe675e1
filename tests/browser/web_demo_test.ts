/**
 * The web demo (`examples/web/`, served as by `deno task web`) in headless Chromium: with WebGPU
 * (SwiftShader here) it trains the default config to the stated dev accuracy with tfjs' webgpu
 * backend on newbob's device and newbob's kernels; the downloaded learning-rate file parses with
 * newbob's own parser and holds every epoch's rate; a bad pasted config shows the CLI's message;
 * a lost device is reported; the screenshot is not blank. Without WebGPU the page says where
 * WebGPU is available and trains on tfjs wasm with newbob's CPU engine.
 *
 * @module
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { tempDir } from "../_gpu.ts";
import { browserTest, bundle, drive } from "./_browser.ts";
import { pngStats } from "./_png.ts";
import { parseLearningRateFile } from "../../control/lr_file.ts";
import { main } from "../../cli.ts";

/** The dev accuracy the README states for the demo's default config. */
const STATED_ACCURACY = 0.9;

interface WebReport {
  error?: string;
  done?: { ok: boolean; error?: string };
  seconds?: number;
  state?: {
    backend: string;
    optimizerBackend: string;
    epochs: { epoch: number; learningRate: number; kind: string; devError: number }[];
    loggedSteps: number;
    backendText: string;
    status: string;
    learningRateFile: string;
  };
  download?: string;
  downloadText?: string;
  badConfig?: string;
  lostDevice?: string | null;
  console: { type: string; text: string }[];
}

async function runDemo(chromium: string, webgpu: boolean): Promise<[WebReport, string]> {
  const dir = await tempDir("web-");
  await bundle("examples/web/app.ts", `${dir}/app.js`);
  const r = await drive<WebReport>(
    chromium,
    [
      "web",
      "/examples/web/index.html",
      "480",
      webgpu ? "webgpu" : "nowebgpu",
      `--mount=/examples/web/app.js=${dir}/app.js`,
    ],
    dir,
  );
  ok(
    r.done?.ok,
    `the page did not train: ${r.error ?? r.done?.error}\n` +
      r.console.map((l) => `${l.type}: ${l.text}`).join("\n").slice(-4000),
  );
  return [r, dir];
}

function checkTrained(r: WebReport) {
  const s = r.state!;
  equal(s.epochs.length, 12);
  const last = s.epochs.at(-1)!;
  ok(1 - last.devError >= STATED_ACCURACY, `dev accuracy ${1 - last.devError}`);
  // The downloaded file is the page's learning-rate file, and newbob's parser reads it.
  equal(r.download, "learning_rates");
  equal(r.downloadText, s.learningRateFile);
  const data = parseLearningRateFile(r.downloadText!, "learning_rates");
  deepEqual([...data.keys()], s.epochs.map((e) => e.epoch));
  deepEqual([...data.values()].map((d) => d.learningRate), s.epochs.map((e) => e.learningRate));
  ok([...data.values()].every((d) => typeof d.error.get("dev_score") === "number"));
  deepEqual(s.epochs.slice(0, 3).map((e) => e.kind), ["seed", "seed", "seed"]);
  ok(s.loggedSteps > 0);
}

browserTest(
  "web demo: trains on WebGPU, downloads its learning-rate file, reports errors",
  async (chromium) => {
    const [r, dir] = await runDemo(chromium, true);
    checkTrained(r);
    equal(r.state!.backend, "webgpu");
    equal(r.state!.optimizerBackend, "webgpu");
    ok(r.state!.backendText.includes("shared GPUDevice"), r.state!.backendText);
    // The CLI's message for the same text in a file of the same name.
    const bad = '{"learning_rte": 0.01, "num_epochs": "3"}';
    await Deno.writeTextFile(join(dir, "pasted.json"), bad);
    const err: string[] = [];
    equal(
      await main(["train", join(dir, "pasted.json")], { out: () => {}, err: (l) => err.push(l) }),
      2,
    );
    equal(
      r.badConfig,
      err.join("\n").replace(` in ${join(dir, "pasted.json")}:`, " in pasted.json:"),
    );
    ok(r.lostDevice?.startsWith("The WebGPU device was lost (destroyed"), r.lostDevice ?? "");
    const png = await pngStats(await Deno.readFile(join(dir, "screenshot.png")));
    ok(png.width >= 800 && png.colours >= 30 && png.foreground >= 0.05, JSON.stringify(png));
    console.log(
      `web demo on WebGPU: dev accuracy ${
        (100 * (1 - r.state!.epochs.at(-1)!.devError)).toFixed(1)
      }% ` +
        `after 12 epochs, ${r.seconds!.toFixed(1)} s (page), screenshot ${JSON.stringify(png)}`,
    );
    await Deno.remove(dir, { recursive: true });
  },
);

browserTest(
  "web demo: without WebGPU, says where to get it and trains on wasm + newbob's CPU engine",
  async (chromium) => {
    const [r, dir] = await runDemo(chromium, false);
    checkTrained(r);
    equal(r.state!.backend, "wasm");
    equal(r.state!.optimizerBackend, "cpu");
    ok(r.state!.backendText.includes("chrome://flags/#enable-unsafe-webgpu"), r.state!.backendText);
    console.log(
      `web demo without WebGPU: dev accuracy ${
        (100 * (1 - r.state!.epochs.at(-1)!.devError)).toFixed(1)
      }%, ` +
        `${r.seconds!.toFixed(1)} s; ${r.state!.backendText.slice(0, 60)}`,
    );
    await Deno.remove(dir, { recursive: true });
  },
);
