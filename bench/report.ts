/**
 * The benchmark report: a throughput table (median, min, max per implementation), a ratio table
 * (newbob against each peer and against the roofline, all from the same run), the roofline
 * bandwidths and the end-to-end comparison; plus the JSON form.
 *
 * @module
 */

import type { Summary } from "./_stats.ts";
import type { OptimizerCase } from "./cases.ts";
import type { BandwidthResult, EndToEndResult, RateResult } from "./results.ts";

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
  /** Wall time of the run in seconds. */
  readonly seconds: number;
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

/** Best bandwidth of a `where` prefix (`webgpu` or `cpu`). */
export function bestBandwidth(b: readonly BandwidthResult[], where: string): number | null {
  const m = b.filter((x) => x.where.startsWith(where)).map((x) => x.bytesPerSecond.median);
  return m.length ? Math.max(...m) : null;
}

/**
 * Format the report as Markdown tables.
 *
 * @param r The report.
 * @param cases The optimizer cases (for bytes per parameter).
 * @returns Text for the terminal and `bench/README.md`.
 */
export function formatReport(r: BenchReport, cases: readonly OptimizerCase[]): string {
  const impls = [...new Set(r.rates.map((x) => x.impl))];
  const keys = [...new Set(r.rates.map((x) => `${x.optimizer}\t${x.shape}`))];
  const get = (opt: string, shape: string, impl: string) =>
    r.rates.find((x) => x.optimizer === opt && x.shape === shape && x.impl === impl);
  const gpuBw = bestBandwidth(r.bandwidth, "webgpu");
  const cpuBw = bestBandwidth(r.bandwidth, "cpu");
  const bytes = (opt: string) => cases.find((c) => c.id === opt)?.bytesPerParam ?? NaN;
  const out: string[] = [];
  out.push(
    `newbob optimizer benchmark, ${r.date}, ${r.seconds.toFixed(0)} s`,
    "",
    `Machine: ${Object.entries(r.machine).map(([k, v]) => `${k}: ${v}`).join("; ")}`,
    "",
    "Parameters per second, millions: median (min-max) over repeated runs after warm-up. " +
      "newbob webgpu, newbob wasm (host gradients copied in every step, as the trainer does; " +
      "'grads in place': written once into the backend's gradientArrays, no copy), newbob cpu " +
      "(the TypeScript reference) and tfjs wasm take turns (one repetition each per round); " +
      "the other tfjs backends and PyTorch run on their own. " +
      "Roofline = best measured copy/triad bandwidth / the optimizer's bytes per parameter.",
    "",
  );
  out.push(table(
    ["optimizer", "shape", ...impls, "roofline gpu", "roofline cpu"],
    keys.map((k) => {
      const [opt, shape] = k.split("\t");
      return [
        opt,
        shape,
        ...impls.map((i) => fmtRate(get(opt, shape, i)?.rate)),
        gpuBw ? fmtM(gpuBw / bytes(opt)) : "-",
        cpuBw ? fmtM(cpuBw / bytes(opt)) : "-",
      ];
    }),
  ));
  // Ratios within this run.
  const med = (opt: string, shape: string, impl: string) =>
    get(opt, shape, impl)?.rate?.median ?? null;
  const ratio = (a: number | null, b: number | null) => a && b ? `${(a / b).toFixed(2)}x` : "-";
  const pct = (a: number | null, b: number | null) =>
    a && b ? `${((100 * a) / b).toFixed(0)}%` : "-";
  const tfjsImpls = impls.filter((i) => i.startsWith("tfjs"));
  const torchImpl = impls.find((i) => i.startsWith("torch"));
  const ratioRows = keys.map((k) => {
    const [opt, shape] = k.split("\t");
    const gpu = med(opt, shape, "newbob webgpu");
    const wasm = med(opt, shape, "newbob wasm");
    const inPlace = med(opt, shape, "newbob wasm (grads in place)");
    const tf = tfjsImpls.map((i) => med(opt, shape, i)).filter((x): x is number => x !== null);
    const bestTf = tf.length ? Math.max(...tf) : null;
    const torch = torchImpl ? med(opt, shape, torchImpl) : null;
    const g = get(opt, shape, "newbob webgpu");
    const cpuRoof = cpuBw ? cpuBw / bytes(opt) : null;
    return [
      opt,
      shape,
      ratio(gpu, bestTf),
      ratio(gpu, torch),
      pct(gpu, gpuBw ? gpuBw / bytes(opt) : null),
      ratio(wasm, bestTf),
      ratio(wasm, torch),
      ratio(inPlace, torch),
      pct(wasm, cpuRoof),
      pct(inPlace, cpuRoof),
      ratio(wasm, med(opt, shape, "newbob cpu")),
      g?.dispatchesPerStep !== undefined ? String(g.dispatchesPerStep) : "-",
    ];
  });
  out.push(
    "",
    "Ratios (same run): newbob webgpu and wasm against the best tfjs backend and PyTorch, the " +
      "share of the roofline reached (cpu roofline: the best CPU bandwidth, the in-place kernel " +
      "included), and wasm against the cpu reference. Targets (issue 13): wasm >= 2x torch and " +
      ">= 85% of the roofline for adam, adamw, sgd_momentum, lion, adagrad, rmsprop at 16M and " +
      "16M x150.",
    "",
    table([
      "optimizer",
      "shape",
      "webgpu/best tfjs",
      "webgpu/torch",
      "webgpu % roofline",
      "wasm/best tfjs",
      "wasm/torch",
      "wasm in place/torch",
      "wasm % roofline",
      "wasm in place % roofline",
      "wasm/cpu",
      "dispatches/step",
    ], ratioRows),
  );
  const chainRows = [...new Set(r.rates.map((x) => x.shape))].flatMap((shape) => {
    const row = ["newbob webgpu", "newbob wasm", "newbob wasm (grads in place)", torchImpl ?? ""]
      .map((i) => ratio(med("adam", shape, i), med("clip_noise_adam", shape, i)));
    return row.some((c) => c !== "-") ? [[shape, ...row]] : [];
  });
  if (chainRows.length) {
    out.push(
      "",
      "clip + noise + Adam: its time per step / plain Adam's (target for wasm: <= 1.5).",
      "",
      table(["shape", "webgpu", "wasm", "wasm in place", "torch"], chainRows),
    );
  }
  // Many tensors vs one tensor.
  const many = [...new Set(r.rates.map((x) => x.shape))].find((s) => s.includes("x"));
  if (many) {
    const single = many.split(" ")[0];
    const cpuMed = (opt: string, shape: string, impl: string) =>
      get(opt, shape, impl)?.cpuRate?.median ?? null;
    const q = (a: number | null, b: number | null) => a && b ? `${(a / b).toFixed(2)}` : "-";
    const rows = [...new Set(r.rates.map((x) => x.optimizer))].map((opt) => [
      opt,
      ...["newbob webgpu", "newbob wasm", "newbob cpu"].flatMap((i) => [
        q(med(opt, single, i), med(opt, many, i)),
        q(cpuMed(opt, single, i), cpuMed(opt, many, i)),
      ]),
    ]);
    out.push(
      "",
      `Many tensors: time per parameter of '${many}' / '${single}' (target <= 1.3), in wall time ` +
        "and in CPU time of the process (insensitive to other load; on llvmpipe the GPU work " +
        "runs in-process).",
      "",
      table(
        ["optimizer", "webgpu wall", "webgpu CPU", "wasm wall", "wasm CPU", "cpu wall", "cpu CPU"],
        rows,
      ),
    );
  }
  out.push(
    "",
    "Memory bandwidth (roofline), GB/s: median (min-max).",
    "",
    table(
      ["where", "kernel", "GB/s"],
      r.bandwidth.map((b) => [
        b.where,
        b.kernel,
        `${(b.bytesPerSecond.median / 1e9).toFixed(1)} (${
          (b.bytesPerSecond.min / 1e9).toFixed(1)
        }-${(b.bytesPerSecond.max / 1e9).toFixed(1)})`,
      ]),
    ),
  );
  if (r.e2e.length) {
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
        fit && e !== fit && fit.epochSeconds && e.epochSeconds
          ? `${(fit.epochSeconds.median / e.epochSeconds.median).toFixed(2)}x`
          : "",
      ];
    });
    out.push(
      "",
      `End to end: the demo (examples/digits.config.ts), seconds per epoch (training pass, ` +
        `median (min-max) over epochs 2..n) and final dev accuracy; backends ${
          backends.join(", ")
        }.`,
      "",
      table(["backend", "impl", "epochs", "s/epoch", "dev acc", "speed-up vs fit"], rows),
    );
  }
  const noteRows = [
    ...r.notes,
    ...r.rates.filter((x) => x.note && !x.rate).map((x) =>
      `${x.impl.split(" ")[0]} ${x.optimizer}: ${x.note}`
    ),
  ];
  const uniq = [...new Set(noteRows)];
  if (uniq.length) out.push("", "Notes:", ...uniq.map((n) => `- ${n}`));
  return out.join("\n");
}
