/**
 * The benchmark report: a throughput table (median, min, max per implementation), a ratio table
 * (newbob against each peer and against the roofline, all from the same run), the roofline
 * bandwidths and the end-to-end comparison; plus the JSON form.
 *
 * @module
 */

import type { SeqDemoRow } from "./seq_demos.ts";
import type { LstmOpRow } from "./lstm.ts";
import type { Summary } from "./_stats.ts";
import type { OptimizerCase } from "./cases.ts";
import { isTargetShape } from "./shapes.ts";
import {
  type BandwidthResult,
  type EndToEndResult,
  type RateResult,
  REFERENCE_ENGINE_IMPL,
  ROOFLINE_IMPL,
} from "./results.ts";

/** Everything one run measured. */
export interface BenchReport {
  /** ISO date of the run. */
  readonly date: string;
  /** Machine, runtime and adapter description. */
  readonly machine: Readonly<Record<string, string | number>>;
  /** Optimizer throughput. */
  readonly rates: readonly RateResult[];
  /** Bandwidths (roofline). */
  readonly bandwidth: readonly BandwidthResult[];
  /** End to end. */
  readonly e2e: readonly EndToEndResult[];
  /** Notes (skipped peers, reduced repetitions). */
  readonly notes: readonly string[];
  /** Wall time of the run in seconds (the optimizer part, before `seq` and `lstm`). */
  readonly seconds: number;
  /** The 12AX demos end to end (`bench/seq_demos.ts`), when run. */
  seq?: { readonly rows: readonly SeqDemoRow[]; readonly notes: readonly string[] };
  /** The fused LSTM op per frame (`bench/lstm.ts`), when run. */
  lstm?: { readonly rows: readonly LstmOpRow[]; readonly torchNote: string };
}

const fmtM = (x: number) => {
  const m = x / 1e6;
  return m >= 100 ? m.toFixed(0) : m >= 10 ? m.toFixed(1) : m.toFixed(2);
};

/** `median (min-max)` in millions. */
export function fmtRate(s: Summary | null | undefined): string {
  if (!s) return "-";
  return `${fmtM(s.median)} (${fmtM(s.min)}-${fmtM(s.max)})`;
}

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => "| " + r.map((c, i) => c.padEnd(w[i])).join(" | ") + " |";
  return [line(head), "|" + w.map((n) => "-".repeat(n + 2)).join("|") + "|", ...rows.map(line)]
    .join("\n");
}

/** Best bandwidth of a `where` prefix (`webgpu` or `cpu`), read-only streams left out. */
export function bestBandwidth(b: readonly BandwidthResult[], where: string): number | null {
  const m = b.filter((x) => x.where.startsWith(where) && x.role !== "read")
    .map((x) => x.bytesPerSecond.median);
  return m.length ? Math.max(...m) : null;
}

/** Lookups over one report. */
class View {
  readonly impls: string[];
  readonly keys: string[];
  readonly shapes: string[];
  readonly gpuBw: number | null;
  readonly cpuBw: number | null;
  readonly torchImpl: string | undefined;
  readonly tfjsImpls: string[];

  constructor(readonly r: BenchReport, readonly cases: readonly OptimizerCase[]) {
    this.impls = [...new Set(r.rates.map((x) => x.impl))];
    this.keys = [...new Set(r.rates.map((x) => `${x.optimizer}\t${x.shape}`))];
    this.shapes = [...new Set(r.rates.map((x) => x.shape))];
    this.gpuBw = bestBandwidth(r.bandwidth, "webgpu");
    this.cpuBw = bestBandwidth(r.bandwidth, "cpu");
    this.torchImpl = this.impls.find((i) => i.startsWith("torch"));
    this.tfjsImpls = this.impls.filter((i) => i.startsWith("tfjs"));
  }
  get(opt: string, shape: string, impl: string): RateResult | undefined {
    return this.r.rates.find((x) => x.optimizer === opt && x.shape === shape && x.impl === impl);
  }
  med(opt: string, shape: string, impl: string | undefined): number | null {
    return impl ? this.get(opt, shape, impl)?.rate?.median ?? null : null;
  }
  bytes(opt: string): number {
    return this.cases.find((c) => c.id === opt)?.bytesPerParam ?? NaN;
  }
  cpuRoof(opt: string): number | null {
    return this.cpuBw ? this.cpuBw / this.bytes(opt) : null;
  }
  /**
   * The CPU roofline of `opt` on `shape` in parameters per second: the in-place kernel's turns
   * in that case's round-robin where measured, else the run's best CPU bandwidth.
   */
  cpuRoofAt(opt: string, shape: string): number | null {
    return this.med(opt, shape, ROOFLINE_IMPL) ?? this.cpuRoof(opt);
  }

  bestTfjs(opt: string, shape: string): number | null {
    const tf = this.tfjsImpls.map((i) => this.med(opt, shape, i)).filter((x) => x !== null);
    return tf.length ? Math.max(...tf as number[]) : null;
  }
}

const ratio = (a: number | null, b: number | null) => a && b ? `${(a / b).toFixed(2)}x` : "-";
const pct = (a: number | null, b: number | null) => a && b ? `${((100 * a) / b).toFixed(0)}%` : "-";

/** The throughput table. */
function throughputSection(v: View): string[] {
  const { r } = v;
  return [
    `newbob optimizer benchmark, ${r.date}, ${r.seconds.toFixed(0)} s`,
    "",
    `Machine: ${Object.entries(r.machine).map(([k, x]) => `${k}: ${x}`).join("; ")}`,
    "",
    "Parameters per second, millions: median (min-max) over repeated runs after warm-up. " +
    "newbob webgpu (gradients in GPU buffers), newbob wasm (gradients in place: written once " +
    "into the backend's gradientArrays, so a step copies nothing, as PyTorch's; 'host grads': " +
    "copied in from Float32Arrays every step, as the trainer does with tfjs's), newbob cpu " +
    "(the TypeScript reference) and tfjs wasm take turns (one repetition each per round); " +
    "the other tfjs backends and PyTorch run on their own. " +
    "Roofline = best measured copy/triad bandwidth / the optimizer's bytes per parameter.",
    "",
    table(
      ["optimizer", "shape", ...v.impls, "roofline gpu", "roofline cpu"],
      v.keys.map((k) => {
        const [opt, shape] = k.split("\t");
        return [
          opt,
          shape,
          ...v.impls.map((i) => fmtRate(v.get(opt, shape, i)?.rate)),
          v.gpuBw ? fmtM(v.gpuBw / v.bytes(opt)) : "-",
          v.cpuBw ? fmtM(v.cpuBw / v.bytes(opt)) : "-",
        ];
      }),
    ),
  ];
}

/** Ratios within the run: newbob against the peers and the rooflines. */
function ratioSection(v: View): string[] {
  const rows = v.keys.map((k) => {
    const [opt, shape] = k.split("\t");
    const gpu = v.med(opt, shape, "newbob webgpu");
    const wasm = v.med(opt, shape, "newbob wasm");
    const torch = v.med(opt, shape, v.torchImpl);
    const g = v.get(opt, shape, "newbob webgpu");
    return [
      opt,
      shape,
      ratio(gpu, v.bestTfjs(opt, shape)),
      ratio(gpu, torch),
      pct(gpu, v.gpuBw ? v.gpuBw / v.bytes(opt) : null),
      ratio(wasm, v.bestTfjs(opt, shape)),
      ratio(wasm, torch),
      pct(wasm, v.cpuRoofAt(opt, shape)),
      pct(v.med(opt, shape, "newbob wasm (host grads)"), v.cpuRoofAt(opt, shape)),
      ratio(wasm, v.med(opt, shape, "newbob cpu")),
      g?.dispatchesPerStep !== undefined ? String(g.dispatchesPerStep) : "-",
    ];
  });
  return [
    "",
    "Ratios (same run): newbob webgpu and wasm against the best tfjs backend and PyTorch, the " +
    "share of the roofline reached (cpu roofline: the best CPU bandwidth, the in-place kernel " +
    "included), and wasm against the cpu reference.",
    "",
    table([
      "optimizer",
      "shape",
      "webgpu/best tfjs",
      "webgpu/torch",
      "webgpu % roofline",
      "wasm/best tfjs",
      "wasm/torch",
      "wasm % roofline",
      "wasm host grads % roofline",
      "wasm/cpu",
      "dispatches/step",
    ], rows),
  ];
}

/** The optimizers and shapes issue 13 sets targets for. */
const TARGET_OPTIMIZERS = ["adam", "adamw", "sgd_momentum", "lion", "adagrad", "rmsprop"];

/** Issue 13's targets for the wasm backend, met or not in this run. */
function targetSection(v: View): string[] {
  const shapes = v.shapes.filter(isTargetShape);
  const rows: string[][] = [];
  const met = (ok: boolean | null) => ok === null ? "-" : ok ? "yes" : "no";
  for (const shape of shapes) {
    for (const opt of TARGET_OPTIMIZERS) {
      const wasm = v.med(opt, shape, "newbob wasm");
      if (wasm === null) continue;
      const torch = v.med(opt, shape, v.torchImpl);
      const roof = v.cpuRoofAt(opt, shape);
      rows.push([
        opt,
        shape,
        ratio(wasm, torch),
        met(torch ? wasm / torch >= 2 : null),
        ratio(roof, torch),
        pct(wasm, roof),
        met(roof ? wasm / roof >= 0.85 : null),
      ]);
    }
    const plain = v.med("adam", shape, "newbob wasm");
    const chain = v.med("clip_noise_adam", shape, "newbob wasm");
    if (plain && chain) {
      rows.push([
        "clip_noise_adam",
        shape,
        `time ${(plain / chain).toFixed(2)}x Adam's`,
        met(plain / chain <= 1.5),
        "",
        "",
        "",
      ]);
    }
  }
  if (!rows.length) return [];
  return [
    "",
    "Issue 13 targets, newbob wasm (gradients in place): at least 2x PyTorch's CPU optimizer " +
    "and 85% of the CPU roofline at 16M and 16M x150; clip + noise + Adam within 1.5x of " +
    "plain Adam's time. 'roofline/torch': the most any implementation could reach against " +
    "this run's PyTorch at this run's measured bandwidth and the optimizer's minimal bytes per " +
    "parameter (below 2x where PyTorch itself runs near the bandwidth).",
    "",
    table(
      ["optimizer", "shape", "wasm/torch", ">= 2x", "roofline/torch", "% roofline", ">= 85%"],
      rows,
    ),
  ];
}

/** The parts of the clip + noise + Adam chain against plain Adam. */
const CHAIN_PARTS = ["clip_adam", "noise_adam", "clip_noise_adam"] as const;

/**
 * clip + noise + Adam against plain Adam, per backend, with its two parts alone (the global
 * norm's extra pass, the noise draw) and, for wasm, the floor of the norm pass: one more read of
 * the gradients at the read-only bandwidth of this run.
 */
function chainSection(v: View, r: BenchReport): string[] {
  const impls = ["newbob webgpu", "newbob wasm", "newbob cpu", v.torchImpl ?? ""];
  const rows = v.shapes.flatMap((shape) =>
    impls.flatMap((impl) => {
      const plain = v.med("adam", shape, impl);
      const row = CHAIN_PARTS.map((id) => ratio(plain, v.med(id, shape, impl)));
      return row.some((c) => c !== "-") ? [[shape, impl, ...row]] : [];
    })
  );
  if (!rows.length) return [];
  const read = r.bandwidth.find((b) => b.role === "read")?.bytesPerSecond.median;
  const floors = v.shapes.filter(isTargetShape).flatMap((shape) => {
    const plain = v.med("adam", shape, "newbob wasm");
    if (!read || !plain) return [];
    const params = parseFloat(shape) * 2 ** 20;
    const norm = (4 * params) / read, step = params / plain;
    return [
      `${shape}: Adam's step ${(step * 1e3).toFixed(1)} ms; the norm's read of the gradients ` +
      `at ${(read / 1e9).toFixed(1)} GB/s at least ${(norm * 1e3).toFixed(1)} ms ` +
      `(${(norm / step).toFixed(2)}x Adam's step), leaving ${
        ((0.5 * step - norm) * 1e3).toFixed(1)
      } ms ` +
      "of the 1.5x for the noise draw",
    ];
  });
  return [
    "",
    "clip + noise + Adam and its parts: time per step / plain Adam's (target for wasm: " +
    "clip + noise + Adam <= 1.5).",
    "",
    table(["shape", "impl", "clip + Adam", "noise + Adam", "clip + noise + Adam"], rows),
    ...(floors.length
      ? [
        "",
        "The floor of the global norm's pass on wasm (a read-only stream of the gradients, " +
        "measured below):",
        "",
        ...floors.map((x) => `- ${x}`),
      ]
      : []),
  ];
}

/** Many tensors against one tensor of the same total. */
function manySection(v: View): string[] {
  const many = v.shapes.find((s) => s.includes("x"));
  if (!many) return [];
  const single = many.split(" ")[0];
  const cpuMed = (opt: string, shape: string, impl: string) =>
    v.get(opt, shape, impl)?.cpuRate?.median ?? null;
  const q = (a: number | null, b: number | null) => a && b ? `${(a / b).toFixed(2)}` : "-";
  const rows = [...new Set(v.r.rates.map((x) => x.optimizer))].map((opt) => [
    opt,
    ...["newbob webgpu", "newbob wasm", "newbob cpu"].flatMap((i) => [
      q(v.med(opt, single, i), v.med(opt, many, i)),
      q(cpuMed(opt, single, i), cpuMed(opt, many, i)),
    ]),
  ]);
  return [
    "",
    `Many tensors: time per parameter of '${many}' / '${single}' (target <= 1.3), in wall time ` +
    "and in CPU time of the process (insensitive to other load; on llvmpipe the GPU work " +
    "runs in-process).",
    "",
    table(
      ["optimizer", "webgpu wall", "webgpu CPU", "wasm wall", "wasm CPU", "cpu wall", "cpu CPU"],
      rows,
    ),
  ];
}

/** The bandwidths measured. */
function bandwidthSection(r: BenchReport): string[] {
  const gb = (x: number) => (x / 1e9).toFixed(1);
  return [
    "",
    "Memory bandwidth (roofline), GB/s: median (min-max).",
    "",
    table(
      ["where", "kernel", "GB/s"],
      r.bandwidth.map((b) => {
        const s = b.bytesPerSecond;
        return [b.where, b.kernel, `${gb(s.median)} (${gb(s.min)}-${gb(s.max)})`];
      }),
    ),
  ];
}

/** The demo trained end to end. */
function endToEndSection(r: BenchReport): string[] {
  if (!r.e2e.length) return [];
  const fmtS = (s: Summary | null) =>
    s ? `${s.median.toFixed(3)} (${s.min.toFixed(3)}-${s.max.toFixed(3)})` : "-";
  const backends = [...new Set(r.e2e.map((e) => e.backend))];
  const rows = r.e2e.map((e) => {
    const fit = r.e2e.find((x) => x.backend === e.backend && x.impl === "tfjs model.fit");
    return [
      e.backend,
      e.impl,
      String(e.epochs),
      fmtS(e.epochSeconds),
      e.devAccuracy === null ? "-" : `${(100 * e.devAccuracy).toFixed(2)}%`,
      e.updaterStepMicros ? e.updaterStepMicros.median.toFixed(0) : "-",
      fit && e !== fit && fit.epochSeconds && e.epochSeconds
        ? `${(fit.epochSeconds.median / e.epochSeconds.median).toFixed(2)}x`
        : "",
    ];
  });
  // Issue 13: the demo's epoch with the wasm engine no slower than with the TypeScript reference.
  const engineLines = backends.flatMap((b) => {
    const wasm = r.e2e.find((x) => x.backend === b && x.impl === "newbob train");
    const ref = r.e2e.find((x) => x.backend === b && x.impl === REFERENCE_ENGINE_IMPL);
    if (!wasm?.epochSeconds || !ref?.epochSeconds) return [];
    const ratio = wasm.epochSeconds.median / ref.epochSeconds.median;
    const us = (x: EndToEndResult) => x.updaterStepMicros?.median;
    const steps = us(wasm) && us(ref)
      ? `; the updater's step in the same runs: ${us(wasm)!.toFixed(0)} µs against ` +
        `${us(ref)!.toFixed(0)} µs (${(us(wasm)! / us(ref)!).toFixed(2)}), the rest of the ` +
        "epoch being tfjs's forward and backward passes"
      : "";
    return [
      `- tfjs ${b}: epoch with the wasm optimizer engine / with the TypeScript reference: ` +
      `${ratio.toFixed(2)} (target <= 1: ${ratio <= 1 ? "met" : "not met"})${steps}`,
    ];
  });
  return [
    "",
    `End to end: the demo (examples/digits.config.ts), seconds per epoch (training pass, ` +
    `median (min-max) over epochs 2..n), final dev accuracy and newbob's updater step (median ` +
    `µs: the optimizer step, the parameters read back, checked and handed to tfjs); backends ` +
    `${backends.join(", ")}.`,
    "",
    table(
      ["backend", "impl", "epochs", "s/epoch", "dev acc", "updater step µs", "speed-up vs fit"],
      rows,
    ),
    ...(engineLines.length ? ["", ...engineLines] : []),
  ];
}

/** Notes of the run and of the peers that have no figure. */
function notesSection(r: BenchReport): string[] {
  const rows = [
    ...r.notes,
    ...r.rates.filter((x) => x.note && !x.rate).map((x) =>
      `${x.impl.split(" ")[0]} ${x.optimizer}: ${x.note}`
    ),
  ];
  const uniq = [...new Set(rows)];
  return uniq.length ? ["", "Notes:", ...uniq.map((n) => `- ${n}`)] : [];
}

/**
 * Format the report as Markdown tables.
 *
 * @param r The report.
 * @param cases The optimizer cases (for bytes per parameter).
 * @returns Text for the terminal and `bench/README.md`.
 */
export function formatReport(r: BenchReport, cases: readonly OptimizerCase[]): string {
  const v = new View(r, cases);
  return [
    ...throughputSection(v),
    ...ratioSection(v),
    ...targetSection(v),
    ...chainSection(v, r),
    ...manySection(v),
    ...bandwidthSection(r),
    ...endToEndSection(r),
    ...notesSection(r),
  ].join("\n");
}
