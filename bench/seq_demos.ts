/**
 * Sequence training end to end: seconds per training epoch and dev frame error of RETURNN's
 * 12AX demos (`examples/demo-tf-native-lstm.12ax.config.ts`, the conv model of
 * `examples/demo-torch.config.ts`) trained by newbob's `train` on each tfjs backend, beside a
 * plain PyTorch loop (`bench/torch_seq.py`, `/usr/bin/python3`, one thread by default, as tfjs'
 * wasm backend runs: on a busy 2-core machine two OpenMP threads run 10x slower) over the same model,
 * the same batches (exported from newbob's datasets) and the same optimizer. RETURNN's own
 * PyTorch engine was measured at under 1 s per epoch of either demo on the 2-core machine.
 *
 * Run alone: `deno run --allow-read=. --allow-write=.tmp --allow-run=/usr/bin/python3
 * --allow-env=XDG_RUNTIME_DIR,DENO_WEBGPU_BACKEND bench/seq_demos.ts [--epochs 5]
 * [--backends wasm,cpu,webgpu] [--demos lstm,conv] [--torch-threads 1]`. `deno task bench` runs it with one epoch
 * (the timing); `--epochs 5` gives the demos' dev FER after 5 epochs (RETURNN's CI thresholds:
 * LSTM < 0.015, conv < 0.02).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { train } from "../trainer/train.ts";
import type { Config } from "../trainer/config_types.ts";
import type { BackendName } from "../trainer/model_types.ts";
import { checkDataConfig, createDataset, type DatasetSpec } from "../datasets/mod.ts";
import lstmDemo from "../examples/demo-tf-native-lstm.12ax.config.ts";
import convDemo from "../examples/demo-torch.config.ts";

/** The demos by short name. */
export const SEQ_DEMOS: Readonly<
  Record<string, { config: Config; torch: string; eps: number; ferTarget: number }>
> = {
  lstm: { config: lstmDemo as Config, torch: "lstm", eps: 1e-16, ferTarget: 0.015 },
  conv: { config: convDemo as unknown as Config, torch: "conv", eps: 1e-16, ferTarget: 0.02 },
};

/**
 * Training seconds until the dev FER first falls below `target` (the sum of the epochs up to and
 * including that one), and that epoch; null when no epoch gets there.
 *
 * @param row A measured row.
 * @param target The dev FER to reach.
 * @returns Seconds and epoch, or null.
 * @example Usage
 * ```ts
 * import { timeToFer } from "./seq_demos.ts";
 * import { deepEqual } from "node:assert/strict";
 * const row = { demo: "lstm", impl: "x", secondsPerEpoch: [1, 2, 4], devFer: [0.1, 0.01, 0.001] };
 * deepEqual(timeToFer(row, 0.015), { seconds: 3, epoch: 2 });
 * deepEqual(timeToFer(row, 0.0001), null);
 * ```
 */
export function timeToFer(
  row: SeqDemoRow,
  target: number,
): { seconds: number; epoch: number } | null {
  let seconds = 0;
  for (let e = 0; e < row.devFer.length; e++) {
    seconds += row.secondsPerEpoch[e];
    if (row.devFer[e] < target) return { seconds, epoch: e + 1 };
  }
  return null;
}

/** One measured row. */
export interface SeqDemoRow {
  /** `lstm` or `conv`. */
  readonly demo: string;
  /** `newbob <backend>` or `torch cpu`. */
  readonly impl: string;
  /** Seconds of each training pass (dev evaluation excluded). */
  readonly secondsPerEpoch: readonly number[];
  /** Dev frame error after each epoch. */
  readonly devFer: readonly number[];
}

/** Options of {@linkcode seqDemos}. */
export interface SeqDemoOptions {
  /** Epochs per run. @default 1 */
  readonly epochs?: number;
  /** newbob backends. @default ["wasm"] */
  readonly backends?: readonly BackendName[];
  /** Demos. @default ["lstm", "conv"] */
  readonly demos?: readonly string[];
  /** Python with torch. @default "/usr/bin/python3" */
  readonly python?: string;
  /** PyTorch threads. @default 1 */
  readonly torchThreads?: number;
  /** Scratch folder. @default ".tmp" */
  readonly scratch?: string;
  /** Progress lines. @default console.error */
  readonly log?: (line: string) => void;
}

/**
 * Measure the demos.
 *
 * @param o Epochs, backends, demos, python.
 * @returns The rows and notes (why a peer was skipped).
 */
export async function seqDemos(
  o: SeqDemoOptions = {},
): Promise<{ rows: SeqDemoRow[]; notes: string[] }> {
  const epochs = o.epochs ?? 1;
  const scratch = o.scratch ?? ".tmp";
  const log = o.log ?? ((l: string) => console.error(l));
  const rows: SeqDemoRow[] = [];
  const notes: string[] = [];
  await Deno.mkdir(scratch, { recursive: true });
  for (const demo of o.demos ?? ["lstm", "conv"]) {
    const { config, torch, eps } = SEQ_DEMOS[demo];
    for (const backend of o.backends ?? ["wasm"]) {
      log(`seq demo ${demo} on ${backend}: ${epochs} epoch(s) ...`);
      const dir = `${scratch}/seq-bench-${demo}-${backend}`;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      try {
        const r = await train({ ...config, num_epochs: epochs }, {
          outputDir: dir,
          backend,
          progress: "none",
          log: () => {},
        });
        rows.push({
          demo,
          impl: `newbob ${backend}`,
          secondsPerEpoch: r.history.map((h) => h.seconds),
          devFer: r.history.map((h) => h.devError),
        });
      } catch (e) {
        notes.push(`newbob ${demo} on ${backend} failed: ${(e as Error).message}`);
      }
    }
    log(`seq demo ${demo}: PyTorch loop ...`);
    const batches = `${scratch}/seq-bench-${demo}-batches.json`;
    await Deno.writeTextFile(batches, JSON.stringify(await exportBatches(config, epochs)));
    const threads = o.torchThreads ?? 1;
    const t = await runTorchLoop(
      o.python ?? "/usr/bin/python3",
      batches,
      torch,
      epochs,
      eps,
      threads,
    );
    if ("note" in t) notes.push(t.note);
    else {rows.push({
        demo,
        impl: `torch cpu (${t.threads} thread${t.threads === 1 ? "" : "s"})`,
        ...t.row,
      });}
  }
  return { rows, notes };
}

/** The train batches of epochs 1..E and the dev batches, as class indices with lengths. */
async function exportBatches(config: Config, epochs: number) {
  const { data } = checkDataConfig(config as Record<string, unknown>);
  const used = { used_data_keys: ["data", "classes"] };
  const read = async (spec: DatasetSpec, epoch: number) => {
    const ds = await createDataset(spec.dict, { name: spec.name });
    await ds.initSeqOrder(epoch);
    const out = [];
    for await (const b of ds.batches({ ...spec.batching, ...used }, () => {})) {
      const x = b.get("data"), y = b.get("classes");
      const [B, T, F] = x.shape;
      const idx = (i: number, t: number) => {
        let best = 0;
        for (let f = 1; f < F; f++) {
          if (x.data[(i * T + t) * F + f] > x.data[(i * T + t) * F + best]) best = f;
        }
        return best;
      };
      out.push({
        lens: Array.from(x.seqLens),
        x: Array.from({ length: B }, (_, i) => Array.from({ length: T }, (_, t) => idx(i, t))),
        y: Array.from({ length: B }, (_, i) => Array.from(y.data.subarray(i * T, i * T + T))),
      });
    }
    await ds.close();
    return out;
  };
  const train = [];
  for (let e = 1; e <= epochs; e++) train.push(await read(data.train!, e));
  return { epochs: train, dev: await read(data.eval[0], 1) };
}

async function runTorchLoop(
  python: string,
  batches: string,
  model: string,
  epochs: number,
  eps: number,
  threads: number,
): Promise<{ row: Omit<SeqDemoRow, "demo" | "impl">; threads: number } | { note: string }> {
  const script = new URL("./torch_seq.py", import.meta.url).pathname;
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(python, {
      args: [script, batches, model, String(epochs), "0.01", String(eps), String(threads)],
      env: { OMP_NUM_THREADS: String(threads) },
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (e) {
    return { note: `PyTorch loop skipped: cannot run ${python}: ${e}` };
  }
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-3).join(" | ");
    return { note: `PyTorch loop skipped: ${python} failed: ${err}` };
  }
  const j = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
  if (j.missing) return { note: `PyTorch loop skipped: ${j.missing}` };
  return { row: { secondsPerEpoch: j.seconds, devFer: j.dev_fer }, threads: j.threads };
}

/**
 * The rows as a Markdown table (median seconds per epoch, the last epoch's dev FER).
 *
 * @param rows The rows.
 * @param notes The notes.
 * @returns The table text.
 */
export function formatSeqDemos(rows: readonly SeqDemoRow[], notes: readonly string[]): string {
  const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const reach = (r: SeqDemoRow) => {
    const target = SEQ_DEMOS[r.demo]?.ferTarget;
    const t = target === undefined ? null : timeToFer(r, target);
    return t ? `${t.seconds.toFixed(2)} (epoch ${t.epoch})` : "not reached";
  };
  const lines = [
    "### Sequence demos (12AX): seconds per training epoch and dev frame error",
    "",
    "| demo | implementation | s / epoch | epochs | dev FER per epoch | s to RETURNN's dev FER threshold |",
    "| ---- | -------------- | --------- | ------ | ----------------- | -------------------------------- |",
    ...rows.map((r) =>
      `| ${r.demo} | ${r.impl} | ${median(r.secondsPerEpoch).toFixed(2)} | ` +
      `${r.secondsPerEpoch.length} | ${r.devFer.map((x) => x.toFixed(4)).join(", ")} | ` +
      `${reach(r)} |`
    ),
    "",
    "s / epoch: the median training pass (dev evaluation excluded). The last column compares at the " +
    "same dev FER: training seconds until the dev FER first falls below RETURNN's CI threshold " +
    `(${Object.entries(SEQ_DEMOS).map(([k, d]) => `${k} < ${d.ferTarget}`).join(", ")}). ` +
    "RETURNN's PyTorch engine: under 1 s per epoch of either demo on the 2-core machine.",
    ...notes.map((n) => `- ${n}`),
  ];
  return lines.join("\n");
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      epochs: { type: "string", default: "1" },
      backends: { type: "string", default: "wasm" },
      demos: { type: "string", default: "lstm,conv" },
      python: { type: "string", default: "/usr/bin/python3" },
      "torch-threads": { type: "string", default: "1" },
      json: { type: "boolean", default: false },
    },
  });
  const r = await seqDemos({
    epochs: Number(values.epochs),
    backends: values.backends.split(",") as BackendName[],
    demos: values.demos.split(","),
    python: values.python,
    torchThreads: Number(values["torch-threads"]),
  });
  console.log(values.json ? JSON.stringify(r, null, 2) : formatSeqDemos(r.rows, r.notes));
  Deno.exit(0);
}
