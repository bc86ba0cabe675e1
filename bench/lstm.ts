/**
 * `deno task bench:lstm`: the fused LSTM against its peers, side by side in one run.
 *
 * 1. One LSTM layer, forward + backward (gradients of input and weights), microseconds per
 *    frame (`B * T` frames), on the 12AX demo's shape (batch 10, 55 frames, 9 -> 10 units) and
 *    a bigger one (batch 32, 100 frames, 256 -> 256): newbob's fused op, newbob's reference
 *    composition and tfjs' `tf.layers.lstm` on each tfjs backend asked for, PyTorch's CPU
 *    `nn.LSTM` (`/usr/bin/python3`, 2 threads).
 * 2. The 12AX LSTM demo, seconds per training epoch (100 steps of 10 sequences) and dev frame
 *    error rate per epoch: newbob (its network dict, fused LSTM, its Adam) against a plain
 *    PyTorch loop over the same model, initial weights, batches and optimizer settings.
 *
 * Options: `--backends wasm,cpu,webgpu` (default `wasm`; the compositions on the big shape run
 * on wasm only), `--reps 5`, `--epochs 5`, `--skip torch,reference,tf.layers,epoch,big`,
 * `--python /usr/bin/python3`, `--torch-threads 2`, `--json-out FILE`
 * (under `.tmp/`). Ratios are within this run; the machine may be shared, so read ratios, not
 * absolute times.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { loadTfjs } from "../trainer/tfjs_backend.ts";
import type { BackendName } from "../trainer/model_types.ts";
import { summarize, type Summary } from "./_stats.ts";
import { type LayerImpl, type LstmShape, timeLstmLayer } from "./_lstm_ops.ts";
import { type EpochFigure, trainTwelveAx, twelveAxData } from "./_lstm_epoch.ts";
import { MALLOC_ENV } from "./torch_runner.ts";

const SHAPES: readonly LstmShape[] = [
  { id: "12AX B10 T55 9->10", B: 10, T: 55, nIn: 9, n: 10 },
  { id: "B32 T100 256->256", B: 32, T: 100, nIn: 256, n: 256 },
];

interface OpRow {
  shape: string;
  impl: string;
  usPerFrame: Summary | null;
  note?: string;
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
      "torch-threads": { type: "string", default: "2" },
      "json-out": { type: "string" },
    },
  });
  const skip = new Set(values.skip.split(",").filter(Boolean));
  for (const s of skip) {
    if (!["torch", "reference", "tf.layers", "epoch", "big"].includes(s)) {
      throw new RangeError(
        `Cannot run the LSTM bench as '--skip' takes torch, reference, tf.layers, epoch, big: '${s}'`,
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
    jsonOut: values["json-out"],
  };
}

async function runTorch(
  python: string,
  job: unknown,
): Promise<
  { ops: { id: string; seconds: number[] }[]; epoch: EpochFigure[] | null; note: string }
> {
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
      return { ops: [], epoch: null, note: `PyTorch skipped: ${python} failed: ${err}` };
    }
    const j = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
    if (j.missing) return { ops: [], epoch: null, note: `PyTorch skipped: ${j.missing}` };
    return {
      ops: j.ops,
      epoch: j.epoch?.map((e: { seconds: number; dev_fer: number }) => ({
        seconds: e.seconds,
        devFer: e.dev_fer,
      })) ?? null,
      note: `PyTorch ${j.torch}, ${j.threads} threads`,
    };
  } catch (e) {
    return { ops: [], epoch: null, note: `PyTorch skipped: cannot run ${python}: ${e}` };
  } finally {
    await Deno.remove(file).catch(() => {});
  }
}

const fmt = (s: Summary | null) =>
  s ? `${s.median.toPrecision(3)} (${s.min.toPrecision(3)}-${s.max.toPrecision(3)})` : "-";

async function main() {
  const o = parse(Deno.args);
  const shapes = SHAPES.filter((s) => !(o.skip.has("big") && s.B > 10));
  const rows: OpRow[] = [];
  const perFrame = (s: LstmShape, secs: number[]) =>
    summarize(secs.map((x) => (x * 1e6) / (s.B * s.T)));
  for (const backend of o.backends) {
    const { tf, message } = await loadTfjs(backend);
    console.error(`# ${message}`);
    for (const s of shapes) {
      const impls: LayerImpl[] = ["fused", "reference", "tf.layers"];
      for (const impl of impls.filter((i) => !o.skip.has(i))) {
        const big = s.B > 10;
        if (impl !== "fused" && big && backend !== "wasm") {
          rows.push({ shape: s.id, impl: `${impl} ${backend}`, usPerFrame: null, note: "skipped" });
          continue;
        }
        // The compositions dispatch a dozen ops per frame, and tfjs-cpu's GEMM is JavaScript:
        // fewer repetitions on the big shape.
        const reps = big ? (impl === "fused" && backend === "wasm" ? 5 : 2) : Math.max(o.reps, 10);
        console.error(`# ${backend} ${impl} ${s.id} ...`);
        const secs = await timeLstmLayer(tf, impl, s, reps);
        rows.push({ shape: s.id, impl: `${impl} ${backend}`, usPerFrame: perFrame(s, secs) });
      }
    }
  }

  let epochNewbob: EpochFigure[] | null = null;
  let data: ReturnType<typeof twelveAxData> | null = null;
  let init: Record<string, number[]> | null = null;
  if (!o.skip.has("epoch")) {
    const { tf, message } = await loadTfjs("wasm");
    console.error(`# 12AX epochs on ${message} ...`);
    data = twelveAxData(1);
    const r = await trainTwelveAx(tf, data, o.epochs);
    epochNewbob = r.epochs;
    init = r.init;
  }

  let torchNote = "PyTorch skipped (--skip torch)";
  let epochTorch: EpochFigure[] | null = null;
  if (!o.skip.has("torch")) {
    console.error("# PyTorch ...");
    const t = await runTorch(o.python, {
      threads: o.torchThreads,
      reps: Math.max(o.reps, 10),
      ops: shapes.map((s) => ({
        id: s.id,
        B: s.B,
        T: s.T,
        nIn: s.nIn,
        n: s.n,
        reps: s.B > 10 ? 3 : Math.max(o.reps, 10),
      })),
      epoch: data && init
        ? {
          lr: 0.01,
          eps: 1e-8,
          epochs: o.epochs,
          dropout: 0.1,
          init,
          train: data.trainIds,
          dev: data.devIds,
        }
        : null,
    });
    torchNote = t.note;
    for (const op of t.ops) {
      const s = shapes.find((x) => x.id === op.id)!;
      rows.push({
        shape: s.id,
        impl: `torch nn.LSTM cpu ${o.torchThreads}t`,
        usPerFrame: perFrame(s, op.seconds),
      });
    }
    epochTorch = t.epoch;
  }

  const lines: string[] = [];
  lines.push(`newbob LSTM benchmark, ${new Date().toISOString()}; ${torchNote}`, "");
  lines.push("One LSTM layer, forward + backward, microseconds per frame: median (min-max)", "");
  lines.push("| shape | implementation | us/frame | fused is x faster |");
  lines.push("| --- | --- | --- | --- |");
  for (const r of rows) {
    const b = r.impl.startsWith("torch") ? "wasm" : r.impl.split(" ")[1];
    const fused = rows.find((x) => x.shape === r.shape && x.impl === `fused ${b}`);
    const ratio = fused?.usPerFrame && r.usPerFrame
      ? `${(r.usPerFrame.median / fused.usPerFrame.median).toFixed(2)} (vs ${fused.impl})`
      : "-";
    lines.push(`| ${r.shape} | ${r.impl} | ${r.note ?? fmt(r.usPerFrame)} | ${ratio} |`);
  }
  if (epochNewbob) {
    lines.push("", "12AX LSTM demo (100 steps/epoch, batch 10, Adam 0.01), per epoch:", "");
    lines.push(
      "| epoch | newbob wasm s | torch cpu s | torch / newbob | newbob dev FER | torch dev FER |",
    );
    lines.push("| --- | --- | --- | --- | --- | --- |");
    epochNewbob.forEach((e, i) => {
      const t = epochTorch?.[i];
      lines.push(
        `| ${i + 1} | ${e.seconds.toFixed(3)} | ${t ? t.seconds.toFixed(3) : "-"} | ${
          t ? (t.seconds / e.seconds).toFixed(2) : "-"
        } | ${e.devFer.toFixed(4)} | ${t ? t.devFer.toFixed(4) : "-"} |`,
      );
    });
  }
  console.log(lines.join("\n"));
  if (o.jsonOut) {
    await Deno.writeTextFile(
      o.jsonOut,
      JSON.stringify({ rows, epochNewbob, epochTorch, torchNote }, null, 2),
    );
  }
}

if (import.meta.main) await main();
