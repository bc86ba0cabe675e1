/**
 * `deno task bench`: optimizer-step throughput of newbob (webgpu, wasm and cpu backends) against
 * TensorFlow.js 4.22 (cpu, wasm, webgpu), PyTorch on the CPU and the measured roofline, plus the
 * end-to-end demo against tfjs `model.fit`, all in one run. Prints Markdown tables, or JSON with
 * `--json`.
 *
 * Options: `--json`, `--sizes 1,4,16` (single-tensor sizes in units of 2^20 floats),
 * `--no-many` (skip the ~150-tensor case), `--optimizers adam,lion,...`, `--reps 7`,
 * `--skip tfjs,torch,cpu,wasm,e2e,roofline,host,webgpu` (any of them), `--wg 64 --ept 4` (kernel shape),
 * `--tune` (sweep kernel shapes on Adam instead), `--python /usr/bin/python3`,
 * `--torch-device cuda`, `--torch-fused` (`Adam(fused=True)`), `--json-out .tmp/bench.json` (also
 * write the JSON; the task may write under `.tmp/` only), `--budget 32` (millions of
 * parameter updates per timed repetition; raise it on a real GPU).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { acquireGpu } from "../gpu/mod.ts";
import { summarize } from "./_stats.ts";
import { OPTIMIZER_CASES } from "./cases.ts";
import { type Prepared, timeInterleaved } from "./interleave.ts";
import { makeShapeData, prepareNewbob, releaseShapeData, timeNewbob } from "./newbob_runner.ts";
import { type BenchReport, fmtRate, formatReport } from "./report.ts";
import type { BandwidthResult, EndToEndResult, RateResult } from "./results.ts";
import { cpuBandwidth, gpuBandwidth, wasmInPlaceBandwidth } from "./roofline.ts";
import { shapeCases } from "./shapes.ts";
import { runTorch } from "./torch_runner.ts";

const SKIPPABLE = ["tfjs", "torch", "cpu", "wasm", "e2e", "roofline", "host", "webgpu"] as const;

/** Largest single-tensor size (in 2^20 floats) timed on the slow tfjs cpu backend. */
const TFJS_CPU_MAX = 1;

function machine(description: string, cpu: string): Record<string, string | number> {
  return {
    cpu,
    cores: navigator.hardwareConcurrency ?? 0,
    adapter: description,
    deno: Deno.version.deno,
    tfjs: "4.22.0",
  };
}

function parse(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      json: { type: "boolean", default: false },
      sizes: { type: "string", default: "1,4,16" },
      "no-many": { type: "boolean", default: false },
      optimizers: { type: "string", default: OPTIMIZER_CASES.map((c) => c.id).join(",") },
      reps: { type: "string", default: "7" },
      skip: { type: "string", default: "" },
      wg: { type: "string" },
      ept: { type: "string" },
      tune: { type: "boolean", default: false },
      python: { type: "string", default: "/usr/bin/python3" },
      budget: { type: "string", default: "32" },
      "json-out": { type: "string" },
      "torch-fused": { type: "boolean", default: false },
      "torch-device": { type: "string", default: "cpu" },
      help: { type: "boolean", default: false },
    },
  });
  const num = (name: string, v: string) => {
    const x = Number(v);
    if (!(Number.isFinite(x) && x > 0)) {
      throw new RangeError(`Cannot run the bench as '--${name}' must be a positive number: '${v}'`);
    }
    return x;
  };
  const sizes = values.sizes.split(",").filter(Boolean).map((s) => num("sizes", s));
  const ids = values.optimizers.split(",").filter(Boolean);
  for (const id of ids) {
    if (!OPTIMIZER_CASES.some((c) => c.id === id)) {
      throw new RangeError(
        `Cannot run the bench for optimizer '${id}': known ids are ${
          OPTIMIZER_CASES.map((c) => c.id).join(", ")
        }`,
      );
    }
  }
  const skip = new Set(values.skip.split(",").filter(Boolean));
  for (const s of skip) {
    if (!(SKIPPABLE as readonly string[]).includes(s)) {
      throw new RangeError(
        `Cannot skip '${s}': choose from ${SKIPPABLE.join(", ")} (comma-separated)`,
      );
    }
  }
  return {
    json: values.json,
    help: values.help,
    sizes,
    many: !values["no-many"],
    cases: OPTIMIZER_CASES.filter((c) => ids.includes(c.id)),
    reps: Math.round(num("reps", values.reps)),
    skip,
    shape: {
      ...(values.wg ? { workgroupSize: num("wg", values.wg) } : {}),
      ...(values.ept ? { elementsPerThread: num("ept", values.ept) } : {}),
    },
    tune: values.tune,
    budget: Math.round(num("budget", values.budget) * 2 ** 20),
    torchFused: values["torch-fused"],
    jsonOut: values["json-out"],
    python: values.python,
    torchDevice: values["torch-device"],
  };
}

/** Sweep kernel shapes for Adam, interleaved so that load changes hit every shape alike. */
async function tune(
  sizes: number[],
  reps: number,
  budget: number,
  log: (s: string) => void,
): Promise<void> {
  const [adam] = OPTIMIZER_CASES;
  const shapes: [number, number][] = [];
  for (const wg of [32, 64, 128, 256]) for (const ept of [1, 2, 4, 8, 16]) shapes.push([wg, ept]);
  for (const shape of shapeCases(sizes, false)) {
    const data = makeShapeData(shape);
    const runs = new Map<string, number[]>();
    const cpuRuns = new Map<string, number[]>();
    for (let round = 0; round < reps; round++) {
      for (const [wg, ept] of shapes) {
        const r = await timeNewbob(adam, data, {
          backend: "webgpu",
          reps: 1,
          budget,
          webgpu: { workgroupSize: wg, elementsPerThread: ept },
        });
        const key = `WG ${wg}, ${ept} vec4/thread`;
        runs.set(key, [...runs.get(key) ?? [], r.rate!.median]);
        cpuRuns.set(key, [...cpuRuns.get(key) ?? [], r.cpuRate!.median]);
      }
    }
    const rows = [...runs].map(([k, v]) => [k, summarize(v), summarize(cpuRuns.get(k)!)] as const)
      .sort((a, b) => b[2].median - a[2].median);
    log(
      `Adam ${shape.name}, webgpu, M params/s per wall-second and per CPU-second of the process ` +
        `(median (min-max) of ${reps} interleaved rounds), best CPU efficiency first:`,
    );
    for (const [k, s, c] of rows) log(`  ${k.padEnd(22)} ${fmtRate(s).padEnd(20)} ${fmtRate(c)}`);
    releaseShapeData(data);
  }
}

async function run(argv: string[]): Promise<void> {
  const o = parse(argv);
  const log = o.json ? (s: string) => console.error(s) : (s: string) => console.error(s);
  if (o.help) {
    console.log(
      "deno task bench [--json] [--sizes 1,4,16] [--no-many] [--optimizers adam,...] " +
        "[--reps 7] [--skip tfjs,torch,cpu,wasm,e2e,roofline,host,webgpu] [--wg N --ept N] " +
        "[--tune] " +
        "[--python PATH] [--torch-device cpu|cuda] [--torch-fused] [--budget M] [--json-out FILE]",
    );
    return;
  }
  const t0 = performance.now();
  if (o.tune) return await tune(o.sizes, o.reps, o.budget, (s) => console.log(s));
  const gpu = o.skip.has("webgpu") ? null : await acquireGpu();
  const rates: RateResult[] = [];
  const bandwidth: BandwidthResult[] = [];
  const e2e: EndToEndResult[] = [];
  const notes: string[] = [];
  const add = (r: RateResult) => {
    rates.push(r);
    log(
      `  ${r.optimizer.padEnd(16)} ${r.shape.padEnd(9)} ${r.impl.padEnd(26)} ${
        r.rate ? fmtRate(r.rate) + " M/s" : r.note ?? "-"
      }`,
    );
  };
  if (!o.skip.has("roofline")) {
    log("roofline ...");
    if (gpu) {
      const cap = Math.floor(gpu.device.limits.maxStorageBufferBindingSize / 16) * 4;
      const floats = Math.min(
        cap,
        Math.max(1 << 24, ...o.sizes.map((m) => Math.round(m * 2 ** 20))),
      );
      bandwidth.push(...await gpuBandwidth({ reps: o.reps, floats }));
    }
    bandwidth.push(await cpuBandwidth({ reps: o.reps }));
    bandwidth.push(wasmInPlaceBandwidth({ reps: o.reps }));
  }
  // TensorFlow.js (npm) is loaded only when used, so `--skip tfjs,e2e` runs without node_modules.
  const tfjs = o.skip.has("tfjs") ? null : await import("./tfjs_runner.ts");
  const shapes = shapeCases(o.sizes, o.many);
  for (const shape of shapes) {
    const data = makeShapeData(shape);
    for (const c of o.cases) {
      // newbob (both backends) and tfjs wasm take turns, one repetition each per round.
      const items: Prepared[] = [];
      if (gpu) {
        const wgpu = {
          backend: "webgpu",
          reps: o.reps,
          budget: o.budget,
          webgpu: o.shape,
        } as const;
        items.push(await prepareNewbob(c, data, wgpu));
      }
      if (!o.skip.has("wasm")) {
        const wasm = { backend: "wasm", reps: o.reps, budget: o.budget } as const;
        items.push(await prepareNewbob(c, data, wasm));
        items.push(await prepareNewbob(c, data, { ...wasm, inPlace: true }));
      }
      if (!o.skip.has("cpu")) {
        items.push(await prepareNewbob(c, data, { backend: "cpu", reps: 3, budget: 16 << 20 }));
      }
      if (tfjs) {
        const w = await tfjs.prepareTfjs(c, data, {
          backend: "wasm",
          reps: o.reps,
          budget: o.budget,
        });
        if ("once" in w) items.push(w);
        else add(w);
      }
      for (const r of await timeInterleaved(items)) add(r);
      // Host-uploaded gradients on their own: wgpu frees each step's 64 MiB upload staging later,
      // which would land in the next interleaved item's time.
      if (gpu && c.id === "adam" && !o.skip.has("host")) {
        add(
          await timeNewbob(c, data, {
            backend: "webgpu",
            reps: o.reps,
            budget: o.budget,
            webgpu: o.shape,
            hostGrads: true,
          }),
        );
      }
      // The other tfjs backends on their own (one tfjs backend is active at a time).
      if (tfjs) {
        if (shape.total <= TFJS_CPU_MAX << 20) {
          add(await tfjs.timeTfjs(c, data, { backend: "cpu", reps: 3, budget: 2 << 20 }));
        }
        if (gpu) {
          add(await tfjs.timeTfjs(c, data, { backend: "webgpu", reps: 3, budget: 16 << 20 }));
        }
      }
    }
    releaseShapeData(data);
  }
  if (!o.skip.has("tfjs")) {
    notes.push(
      `tfjs cpu (~${TFJS_CPU_MAX <= 1 ? "a few" : ""} M params/s) is timed only up to ` +
        `${TFJS_CPU_MAX}M parameters with 3 repetitions, so the whole bench stays within 10 minutes`,
    );
  }
  let cpuModel = "unknown";
  if (!o.skip.has("torch")) {
    log("PyTorch ...");
    const t = await runTorch({
      python: o.python,
      sizes: o.sizes,
      many: o.many,
      optimizers: o.cases.map((c) => c.id),
      reps: o.reps,
      device: o.torchDevice,
      fused: o.torchFused,
      budget: o.budget,
    });
    for (const r of t.rates) add(r);
    if (t.triad) bandwidth.push(t.triad);
    if (t.cpu) cpuModel = t.cpu;
    notes.push(t.note);
  }
  if (!o.skip.has("e2e")) {
    const { endToEnd } = await import("./e2e.ts");
    for (const backend of gpu ? ["wasm", "webgpu"] as const : ["wasm"] as const) {
      log(`end to end (${backend}) ...`);
      try {
        e2e.push(...await endToEnd({ backend, scratch: ".tmp" }));
      } catch (e) {
        notes.push(`end to end on ${backend} failed: ${(e as Error).message}`);
      }
    }
  }
  const report: BenchReport = {
    date: new Date().toISOString(),
    machine: machine(gpu?.description ?? "none", cpuModel),
    rates,
    bandwidth,
    e2e,
    notes,
    seconds: (performance.now() - t0) / 1000,
  };
  if (o.json) console.log(JSON.stringify(report, null, 2));
  else console.log(formatReport(report, OPTIMIZER_CASES));
  if (o.jsonOut) await Deno.writeTextFile(o.jsonOut, JSON.stringify(report, null, 2) + "\n");
}

if (import.meta.main) {
  await run(Deno.args);
  // tfjs and workers may keep the event loop alive.
  Deno.exit(0);
}
