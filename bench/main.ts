/**
 * `deno task bench`: optimizer-step throughput of newbob (webgpu, wasm and cpu backends) against
 * TensorFlow.js 4.22 (cpu, wasm, webgpu), PyTorch on the CPU and the measured roofline, plus the
 * end-to-end demo against tfjs `model.fit`, all in one run. Prints Markdown tables, or JSON with
 * `--json`.
 *
 * Options: `--json`, `--sizes 1,4,16` (single-tensor sizes in units of 2^20 floats),
 * `--no-many` (skip the ~150-tensor case), `--optimizers adam,lion,...`, `--reps 7`,
 * `--seq-epochs 5` (epochs of each 12AX demo in the `seq` section),
 * `--skip tfjs,torch,cpu,wasm,e2e,roofline,host,webgpu,seq,lstm` (any of them; `seq`: the 12AX demos,
 * `bench/seq_demos.ts`; `lstm`: the fused LSTM op per frame, `bench/lstm.ts`), `--wg 64 --ept 4` (kernel shape),
 * `--tune` (sweep kernel shapes on Adam instead), `--python /usr/bin/python3`,
 * `--torch-device cuda`, `--torch-fused` (`Adam(fused=True)`), `--json-out .tmp/bench.json` (also
 * write the JSON; the task may write under `.tmp/` only), `--budget 32` (millions of
 * parameter updates per timed repetition; raise it on a real GPU).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { acquireGpu, type GpuContext } from "../gpu/mod.ts";
import { summarize } from "./_stats.ts";
import { OPTIMIZER_CASES, type OptimizerCase } from "./cases.ts";
import { type Prepared, timeInterleaved } from "./interleave.ts";
import {
  makeShapeData,
  prepareNewbob,
  releaseShapeData,
  type ShapeData,
  timeNewbob,
} from "./newbob_runner.ts";
import { type BenchReport, fmtRate, formatReport } from "./report.ts";
import {
  type BandwidthResult,
  type EndToEndResult,
  type RateResult,
  ROOFLINE_IMPL,
} from "./results.ts";
import {
  cpuBandwidth,
  gpuBandwidth,
  type InPlaceKernel,
  prepareInPlace,
  wasmInPlaceBandwidth,
  wasmReadBandwidth,
} from "./roofline.ts";
import { isTargetShape, shapeCases } from "./shapes.ts";
import { TorchServer } from "./torch_server.ts";

const SKIPPABLE = [
  "tfjs",
  "torch",
  "cpu",
  "wasm",
  "e2e",
  "roofline",
  "host",
  "webgpu",
  "seq",
  "lstm",
] as const;

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
      "seq-epochs": { type: "string", default: "5" },
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
    seqEpochs: Math.round(num("seq-epochs", values["seq-epochs"])),
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

type Options = ReturnType<typeof parse>;
type Log = (s: string) => void;

/** What a run collects. */
interface Collected {
  readonly rates: RateResult[];
  readonly bandwidth: BandwidthResult[];
  readonly e2e: EndToEndResult[];
  readonly notes: string[];
  /** Record a rate and print it. */
  add(r: RateResult): void;
}

/**
 * The roofline bandwidths: WGSL copy/triad, JavaScript triad, the wasm in-place kernel; and the
 * wasm read-only stream (a norm pass's floor, not a roofline).
 */
async function measureRoofline(
  o: Options,
  gpu: GpuContext | null,
  out: Collected,
  log: Log,
): Promise<number> {
  log("roofline ...");
  if (gpu) {
    const cap = Math.floor(gpu.device.limits.maxStorageBufferBindingSize / 16) * 4;
    const floats = Math.min(cap, Math.max(1 << 24, ...o.sizes.map((m) => Math.round(m * 2 ** 20))));
    out.bandwidth.push(...await gpuBandwidth({ reps: o.reps, floats }));
  }
  out.bandwidth.push(await cpuBandwidth({ reps: o.reps }));
  const inPlace = wasmInPlaceBandwidth({ reps: o.reps });
  out.bandwidth.push(inPlace);
  out.bandwidth.push(wasmReadBandwidth({ reps: o.reps }));
  return inPlace.streams ?? 4;
}

/**
 * The in-place kernel as one more implementation of a case: its repetitions take turns with the
 * optimizers', so each case's share of the roofline compares measurements seconds apart. Its rate
 * is the bandwidth in the case's parameters per second (bytes / the case's bytes per parameter).
 */
function rooflineTurns(
  k: InPlaceKernel,
  c: OptimizerCase,
  data: ShapeData,
  reps: number,
): Prepared {
  return {
    impl: ROOFLINE_IMPL,
    optimizer: c.id,
    shape: data.shape.name,
    work: k.bytes / c.bytesPerParam,
    steps: 1,
    reps,
    once: () => Promise.resolve(k.once()),
    dispose: () => {}, // shared by every case: freed at the end of the run
  };
}

/**
 * One optimizer on one shape: newbob webgpu, wasm (gradients in place; for Adam also copied
 * from the host), cpu, tfjs wasm and PyTorch take turns; webgpu host uploads and the other tfjs
 * backends run on their own.
 */
async function timeCase(
  o: Options,
  c: OptimizerCase,
  data: ShapeData,
  gpu: GpuContext | null,
  tfjs: typeof import("./tfjs_runner.ts") | null,
  torch: TorchServer | null,
  roof: InPlaceKernel | null,
  out: Collected,
): Promise<void> {
  const items: Prepared[] = [];
  const host = c.id === "adam" && !o.skip.has("host");
  if (gpu) {
    items.push(await prepareNewbob(c, data, webgpuRun(o)));
  }
  if (!o.skip.has("wasm")) {
    const wasm = { backend: "wasm", reps: o.reps, budget: o.budget } as const;
    items.push(await prepareNewbob(c, data, wasm));
    if (host) items.push(await prepareNewbob(c, data, { ...wasm, hostGrads: true }));
  }
  if (!o.skip.has("cpu")) {
    items.push(await prepareNewbob(c, data, { backend: "cpu", reps: 3, budget: 16 << 20 }));
  }
  if (tfjs) {
    const w = await tfjs.prepareTfjs(c, data, { backend: "wasm", reps: o.reps, budget: o.budget });
    if ("once" in w) items.push(w);
    else out.add(w);
  }
  if (roof && isTargetShape(data.shape.name)) items.push(rooflineTurns(roof, c, data, o.reps));
  if (torch && typeof c.torch === "string") {
    const t = await torch.prepare(c.id, data.shape.name, data.shape.sizes, o.reps);
    if ("once" in t) items.push(t);
    else out.add(t);
  }
  for (const r of await timeInterleaved(items)) out.add(r);
  // Host-uploaded gradients on their own: wgpu frees each step's 64 MiB upload staging later,
  // which would land in the next interleaved item's time.
  if (gpu && host) out.add(await timeNewbob(c, data, { ...webgpuRun(o), hostGrads: true }));
  // The other tfjs backends on their own (one tfjs backend is active at a time).
  if (tfjs) {
    if (data.shape.total <= TFJS_CPU_MAX << 20) {
      out.add(await tfjs.timeTfjs(c, data, { backend: "cpu", reps: 3, budget: 2 << 20 }));
    }
    if (gpu) {
      out.add(await tfjs.timeTfjs(c, data, { backend: "webgpu", reps: 3, budget: 16 << 20 }));
    }
  }
}

/** The timing options of newbob webgpu in this run. */
function webgpuRun(o: Options) {
  return { backend: "webgpu", reps: o.reps, budget: o.budget, webgpu: o.shape } as const;
}

/** PyTorch taking turns with newbob (a subprocess), or why it is skipped (a note). */
async function startTorch(o: Options, out: Collected, log: Log): Promise<TorchServer | null> {
  log("PyTorch ...");
  const t = await TorchServer.start({
    python: o.python,
    device: o.torchDevice,
    fused: o.torchFused,
    budget: o.budget,
  });
  if (t instanceof TorchServer) return t;
  out.notes.push(t.skipped);
  return null;
}

/** The demo trained by newbob and by tfjs `model.fit`, per backend. */
async function measureEndToEnd(gpu: GpuContext | null, out: Collected, log: Log) {
  const { endToEnd } = await import("./e2e.ts");
  for (const backend of gpu ? ["wasm", "webgpu"] as const : ["wasm"] as const) {
    log(`end to end (${backend}) ...`);
    try {
      out.e2e.push(...await endToEnd({ backend, scratch: ".tmp" }));
    } catch (e) {
      out.notes.push(`end to end on ${backend} failed: ${(e as Error).message}`);
    }
  }
}

async function run(argv: string[]): Promise<void> {
  const o = parse(argv);
  const log: Log = (s) => console.error(s);
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
  const out: Collected = {
    rates: [],
    bandwidth: [],
    e2e: [],
    notes: [],
    add(r) {
      this.rates.push(r);
      const rate = r.rate ? fmtRate(r.rate) + " M/s" : r.note ?? "-";
      log(`  ${r.optimizer.padEnd(16)} ${r.shape.padEnd(9)} ${r.impl.padEnd(26)} ${rate}`);
    },
  };
  const streams = o.skip.has("roofline") ? null : await measureRoofline(o, gpu, out, log);
  const roof = streams !== null && !o.skip.has("wasm") ? prepareInPlace(streams) : null;
  // TensorFlow.js (npm) is loaded only when used, so `--skip tfjs,e2e` runs without node_modules.
  const tfjs = o.skip.has("tfjs") ? null : await import("./tfjs_runner.ts");
  const torch = o.skip.has("torch") ? null : await startTorch(o, out, log);
  for (const shape of shapeCases(o.sizes, o.many)) {
    const data = makeShapeData(shape);
    for (const c of o.cases) await timeCase(o, c, data, gpu, tfjs, torch, roof, out);
    releaseShapeData(data);
  }
  roof?.dispose();
  if (torch) {
    out.bandwidth.push(await torch.triad(o.reps));
    out.notes.push(torch.note);
    await torch.close();
  }
  if (tfjs) {
    out.notes.push(
      `tfjs cpu (~${TFJS_CPU_MAX <= 1 ? "a few" : ""} M params/s) is timed only up to ` +
        `${TFJS_CPU_MAX}M parameters with 3 repetitions, so the whole bench stays within 10 minutes`,
    );
  }
  const cpuModel = torch?.cpu ?? "unknown";
  if (!o.skip.has("e2e")) await measureEndToEnd(gpu, out, log);
  const report: BenchReport = {
    date: new Date().toISOString(),
    machine: machine(gpu?.description ?? "none", cpuModel),
    rates: out.rates,
    bandwidth: out.bandwidth,
    e2e: out.e2e,
    notes: out.notes,
    seconds: (performance.now() - t0) / 1000,
  };
  if (o.json) console.log(JSON.stringify(report, null, 2));
  else console.log(formatReport(report, OPTIMIZER_CASES));
  // Sequence training end to end (bench/seq_demos.ts): its own table.
  if (!o.skip.has("seq")) {
    const { seqDemos, formatSeqDemos } = await import("./seq_demos.ts");
    const seq = await seqDemos({ python: o.python, backends: ["wasm"], epochs: o.seqEpochs, log });
    report.seq = seq;
    console.log(o.json ? JSON.stringify(seq, null, 2) : "\n" + formatSeqDemos(seq.rows, seq.notes));
  }
  // The fused LSTM op against the tfjs compositions and torch nn.LSTM (bench/lstm.ts).
  if (!o.skip.has("lstm")) {
    const { lstmOps, formatLstmOps } = await import("./lstm.ts");
    const r = await lstmOps({ python: o.python, log });
    report.lstm = r;
    console.log(o.json ? JSON.stringify(r, null, 2) : "\n" + formatLstmOps(r.rows, r.torchNote));
  }
  if (o.jsonOut) await Deno.writeTextFile(o.jsonOut, JSON.stringify(report, null, 2) + "\n");
}

if (import.meta.main) {
  await run(Deno.args);
  // tfjs and workers may keep the event loop alive.
  Deno.exit(0);
}
