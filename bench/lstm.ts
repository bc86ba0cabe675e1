/**
 * `deno task bench:lstm`: the fused LSTM against its peers, side by side in one run.
 *
 * 1. One LSTM layer, forward + backward (gradients of input and weights), microseconds per
 *    frame (`B * T` frames), on the 12AX demo's shape (batch 10, 55 frames, 9 -> 10 units) and
 *    a bigger one (batch 32, 100 frames, 256 -> 256): newbob's fused op, newbob's reference
 *    composition and tfjs' `tf.layers.lstm` on each tfjs backend asked for, PyTorch's CPU
 *    `nn.LSTM` (`/usr/bin/python3`, 1 thread by default: tfjs' wasm backend and the fused
 *    kernels run on one). {@linkcode lstmOps}; `deno task bench` runs it as its `lstm` section.
 * 2. The 12AX LSTM demo, seconds per training epoch and dev frame error rate: newbob's
 *    trainer on the demo config against a plain PyTorch loop over the same model, batches and
 *    optimizer (`bench/seq_demos.ts`, the `seq` section of `deno task bench`).
 *
 * Options: `--backends wasm,cpu,webgpu` (default `wasm`; the compositions on the big shape run
 * on wasm only), `--reps 5`, `--epochs 5`, `--skip torch,reference,tf.layers,op,epoch,big`
 * (`torch`: the op table's; the epoch table always runs its PyTorch loop where torch imports),
 * `--python /usr/bin/python3`, `--torch-threads 1`, `--fused-threads 2,1` (the fused op's
 * `cpu` / `wasm` kernel threads, a row each; default the cores, then 1), `--json-out FILE` (under `.tmp/`). Ratios
 * are within this run; the machine may be shared, so read ratios, not absolute times.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { loadTfjs } from "../trainer/tfjs_backend.ts";
import type { BackendName } from "../trainer/model_types.ts";
import { summarize, type Summary } from "./_stats.ts";
import { type LayerImpl, type LstmShape, timeLstmLayer } from "./_lstm_ops.ts";
import { formatSeqDemos, seqDemos } from "./seq_demos.ts";
import { MALLOC_ENV } from "./torch_server.ts";
import { setFusedLstmThreads } from "../models/fused/lstm_pool.ts";

const SHAPES: readonly LstmShape[] = [
  { id: "12AX B10 T55 9->10", B: 10, T: 55, nIn: 9, n: 10 },
  { id: "B32 T100 256->256", B: 32, T: 100, nIn: 256, n: 256 },
];

/** The label prefix of the rows that time the recurrence alone (no input projection). */
export const OP_PREFIX = "op alone: ";

/** One row of the op table. */
export interface LstmOpRow {
  /** The shape's label. */
  readonly shape: string;
  /** `fused wasm`, `reference cpu`, `torch nn.LSTM cpu 1t`, ... */
  readonly impl: string;
  /** Microseconds per frame (null: not run). */
  readonly usPerFrame: Summary | null;
  /** Why not run. */
  readonly note?: string;
}

/** Options of {@linkcode lstmOps}. */
export interface LstmOpsOptions {
  /** tfjs backends. @default ["wasm"] */
  readonly backends?: readonly BackendName[];
  /** Timed repetitions (at least 10 on the small shape). @default 5 */
  readonly reps?: number;
  /** Parts to leave out: `torch`, `reference`, `tf.layers`, `op` (the recurrence-alone rows), `big`. @default none */
  readonly skip?: ReadonlySet<string>;
  /** Python with torch. @default "/usr/bin/python3" */
  readonly python?: string;
  /** PyTorch threads. @default 1 */
  readonly torchThreads?: number;
  /**
   * Threads of the fused op's `cpu` / `wasm` kernels, one row each (`setFusedLstmThreads`; the
   * first is the one the other rows are compared with). @default [cores, 1] ([1] on one core)
   */
  readonly fusedThreads?: readonly number[];
  /** Progress lines. @default console.error */
  readonly log?: (line: string) => void;
}

function parse(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      backends: { type: "string", default: "wasm" },
      reps: { type: "string", default: "5" },
      epochs: { type: "string", default: "5" },
      skip: { type: "string", default: "" },
      python: { type: "string", default: "/usr/bin/python3" },
      "torch-threads": { type: "string", default: "1" },
      "fused-threads": { type: "string" },
      "json-out": { type: "string" },
    },
  });
  const skip = new Set(values.skip.split(",").filter(Boolean));
  for (const s of skip) {
    if (!["torch", "reference", "tf.layers", "op", "epoch", "big"].includes(s)) {
      throw new RangeError(
        `Cannot run the LSTM bench as '--skip' takes torch, reference, tf.layers, op, epoch, big: '${s}'`,
      );
    }
  }
  const fusedThreads = values["fused-threads"]?.split(",").filter(Boolean).map(Number);
  for (const t of fusedThreads ?? []) {
    if (!(Number.isInteger(t) && t >= 1 && t <= 256)) {
      throw new RangeError(
        `Cannot run the LSTM bench as '--fused-threads' takes integers in [1, 256]: '${t}'`,
      );
    }
  }
  return {
    backends: values.backends.split(",").filter(Boolean) as BackendName[],
    reps: Number(values.reps),
    epochs: Number(values.epochs),
    skip,
    python: values.python,
    torchThreads: Number(values["torch-threads"]),
    fusedThreads,
    jsonOut: values["json-out"],
  };
}

async function runTorch(
  python: string,
  job: unknown,
): Promise<{ ops: { id: string; seconds: number[] }[]; note: string }> {
  await Deno.mkdir(".tmp", { recursive: true });
  const file = await Deno.makeTempFile({ dir: ".tmp", prefix: "lstm-torch-", suffix: ".json" });
  try {
    await Deno.writeTextFile(file, JSON.stringify(job));
    const script = new URL("./lstm_torch.py", import.meta.url).pathname;
    const out = await new Deno.Command(python, {
      args: [script, file],
      env: { ...MALLOC_ENV, OMP_NUM_THREADS: String((job as { threads: number }).threads) },
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      const err = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-3).join(" | ");
      return { ops: [], note: `PyTorch skipped: ${python} failed: ${err}` };
    }
    const j = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
    if (j.missing) return { ops: [], note: `PyTorch skipped: ${j.missing}` };
    return { ops: j.ops, note: `PyTorch ${j.torch}, ${j.threads} threads` };
  } catch (e) {
    return { ops: [], note: `PyTorch skipped: cannot run ${python}: ${e}` };
  } finally {
    await Deno.remove(file).catch(() => {});
  }
}

const fmt = (s: Summary | null) =>
  s ? `${s.median.toPrecision(3)} (${s.min.toPrecision(3)}-${s.max.toPrecision(3)})` : "-";

/**
 * Time one LSTM layer's forward + backward per frame: the fused op, the reference composition
 * and `tf.layers.lstm` on each backend, and PyTorch's `nn.LSTM`.
 *
 * @param o Backends, repetitions, parts to skip, python.
 * @returns The rows and a note on the PyTorch peer.
 */
export async function lstmOps(
  o: LstmOpsOptions = {},
): Promise<{ rows: LstmOpRow[]; torchNote: string }> {
  const skip = o.skip ?? new Set<string>();
  const log = o.log ?? ((l: string) => console.error(l));
  const reps0 = o.reps ?? 5, threads = o.torchThreads ?? 1;
  const cores = (globalThis.navigator?.hardwareConcurrency) || 1;
  const fusedThreads = o.fusedThreads ?? (cores > 1 ? [cores, 1] : [1]);
  const shapes = SHAPES.filter((s) => !(skip.has("big") && s.B > 10));
  const rows: LstmOpRow[] = [];
  const perFrame = (s: LstmShape, secs: number[]) =>
    summarize(secs.map((x) => (x * 1e6) / (s.B * s.T)));
  for (const backend of o.backends ?? ["wasm"]) {
    const { tf, message } = await loadTfjs(backend);
    log(`# ${message}`);
    for (const s of shapes) {
      const impls: LayerImpl[] = ["fused", "reference", "tf.layers"];
      for (const impl of impls.filter((i) => !skip.has(i))) {
        const big = s.B > 10;
        if (impl !== "fused" && big && backend !== "wasm") {
          rows.push({ shape: s.id, impl: `${impl} ${backend}`, usPerFrame: null, note: "skipped" });
          continue;
        }
        // The compositions dispatch a dozen ops per frame, and tfjs-cpu's GEMM is JavaScript:
        // fewer repetitions on the big shape.
        const reps = big ? (impl === "fused" && backend === "wasm" ? 5 : 2) : Math.max(reps0, 10);
        // The layer, then (wasm, cpu; not tf.layers) the recurrence alone: the op itself.
        const parts = impl !== "tf.layers" && backend !== "webgpu" && !skip.has("op")
          ? ["layer", "op"] as const
          : ["layer"] as const;
        for (const part of parts) {
          for (const t of impl === "fused" && backend !== "webgpu" ? fusedThreads : [0]) {
            const name = t ? `${impl} ${backend} ${t}t` : `${impl} ${backend}`;
            const label = part === "op" ? `${OP_PREFIX}${name}` : name;
            log(`# ${label} ${s.id} ...`);
            if (t) setFusedLstmThreads({ threads: t });
            try {
              const secs = await timeLstmLayer(tf, impl, s, reps, part);
              rows.push({ shape: s.id, impl: label, usPerFrame: perFrame(s, secs) });
            } finally {
              if (t) setFusedLstmThreads();
            }
          }
        }
      }
    }
  }
  let torchNote = "PyTorch skipped (--skip torch)";
  if (!skip.has("torch")) {
    log("# PyTorch nn.LSTM ...");
    const t = await runTorch(o.python ?? "/usr/bin/python3", {
      threads,
      reps: Math.max(reps0, 10),
      ops: shapes.map((s) => ({
        id: s.id,
        B: s.B,
        T: s.T,
        nIn: s.nIn,
        n: s.n,
        reps: s.B > 10 ? 3 : Math.max(reps0, 10),
      })),
    });
    torchNote = t.note;
    for (const op of t.ops) {
      const s = shapes.find((x) => x.id === op.id)!;
      rows.push({
        shape: s.id,
        impl: `torch nn.LSTM cpu ${threads}t`,
        usPerFrame: perFrame(s, op.seconds),
      });
    }
  }
  return { rows, torchNote };
}

/**
 * The op table as Markdown: each row with the fused op's speed-up over it (against the fused
 * op on the same backend; PyTorch's against the fused op on wasm).
 *
 * @param rows From {@linkcode lstmOps}.
 * @param torchNote From {@linkcode lstmOps}.
 * @returns The table text.
 */
export function formatLstmOps(rows: readonly LstmOpRow[], torchNote: string): string {
  const lines = [
    "### Fused LSTM: one layer, forward + backward, microseconds per frame: median (min-max)",
    "",
    "| shape | implementation | us/frame | fused is x faster |",
    "| --- | --- | --- | --- |",
  ];
  const isOp = (x: LstmOpRow) => x.impl.startsWith(OP_PREFIX);
  const name = (x: LstmOpRow) => isOp(x) ? x.impl.slice(OP_PREFIX.length) : x.impl;
  for (const r of rows) {
    const b = r.impl.startsWith("torch") ? "wasm" : name(r).split(" ")[1];
    // The first fused row of the backend (its default threads), layer or op alone as `r`.
    const fused = rows.find((x) =>
      x.shape === r.shape && isOp(x) === isOp(r) &&
      (name(x) === `fused ${b}` || name(x).startsWith(`fused ${b} `))
    );
    const ratio = fused?.usPerFrame && r.usPerFrame
      ? `${(r.usPerFrame.median / fused.usPerFrame.median).toFixed(2)} (vs ${fused.impl})`
      : "-";
    lines.push(`| ${r.shape} | ${r.impl} | ${r.note ?? fmt(r.usPerFrame)} | ${ratio} |`);
  }
  lines.push(
    "",
    `Rows '${OP_PREFIX}...': the recurrence alone (the fused op against the composition of tfjs ` +
      "ops it replaces, on the same pre-activations; gradients of them and of W_re); the other " +
      "rows time the whole layer, input projection (tfjs matMul, the same in both) included.",
  );
  lines.push("", torchNote);
  return lines.join("\n");
}

async function main() {
  const o = parse(Deno.args);
  const ops = await lstmOps(o);
  const out: string[] = [`newbob LSTM benchmark, ${new Date().toISOString()}`, ""];
  out.push(formatLstmOps(ops.rows, ops.torchNote));
  let epochs = null;
  if (!o.skip.has("epoch")) {
    epochs = await seqDemos({
      epochs: o.epochs,
      demos: ["lstm"],
      backends: o.backends,
      python: o.python,
      torchThreads: o.torchThreads,
    });
    out.push("", formatSeqDemos(epochs.rows, epochs.notes));
  }
  console.log(out.join("\n"));
  if (o.jsonOut) await Deno.writeTextFile(o.jsonOut, JSON.stringify({ ...ops, epochs }, null, 2));
}

if (import.meta.main) {
  await main();
  // tfjs and workers may keep the event loop alive.
  Deno.exit(0);
}
