/**
 * Training progress output: a redrawn progress bar per epoch on a terminal (steps/s, loss),
 * plain lines when the output is not a terminal, and a per-epoch summary.
 *
 * @module
 */

import type { EpochRecord } from "./train_deps.ts";
import { isErrorKey } from "../control/error_key.ts";

/** How progress is shown. */
export type ProgressMode = "bar" | "lines" | "none";

/** Options of {@linkcode createProgress}. */
export interface ProgressOptions {
  /** `bar` (terminal), `lines` (logs, pipes) or `none`. */
  mode: ProgressMode;
  /** Where summary and plain lines go. */
  log: (line: string) => void;
  /** Where the bar is redrawn (no newline). @default writes to stderr */
  write?: (text: string) => void;
  /** Clock in milliseconds. @default {performance.now} */
  now?: () => number;
}

/** A progress reporter for one training run. */
export interface Progress {
  /** An epoch starts. */
  startEpoch(epoch: number, numEpochs: number, totalSteps: number, learningRate: number): void;
  /** `step` steps of the epoch are done; `loss` is the latest loss read, if any. */
  update(step: number, loss: number | undefined): void;
  /** The epoch ended: print its summary. */
  endEpoch(record: EpochRecord): void;
}

/**
 * Create a progress reporter.
 *
 * @param options Mode and sinks.
 * @returns The reporter.
 *
 * @example Plain lines
 * ```ts
 * import { createProgress } from "./progress.ts";
 * import { equal } from "node:assert/strict";
 *
 * const lines: string[] = [];
 * const p = createProgress({ mode: "lines", log: (l) => lines.push(l), now: () => 0 });
 * p.startEpoch(1, 2, 10, 0.001);
 * p.update(10, 0.5);
 * equal(lines.length, 2);
 * ```
 */
export function createProgress(options: ProgressOptions): Progress {
  const now = options.now ?? (() => performance.now());
  const write = options.write ??
    ((text: string) => Deno.stderr.writeSync(new TextEncoder().encode(text)));
  let epoch = 0;
  let total = 0;
  let started = 0;
  let lastDraw = -Infinity;
  let lastLoss: number | undefined;
  let numEpochs = 0;
  let nextLine = 0;
  return {
    startEpoch(e, n, totalSteps, learningRate) {
      epoch = e;
      numEpochs = n;
      total = totalSteps;
      started = now();
      lastDraw = -Infinity;
      lastLoss = undefined;
      nextLine = Math.max(1, Math.ceil(totalSteps / 4));
      if (options.mode !== "none") {
        options.log(`epoch ${e}/${n}: learning rate ${fmt(learningRate)}, ${totalSteps} steps`);
      }
    },
    update(step, loss) {
      if (loss !== undefined) lastLoss = loss;
      if (options.mode === "none") return;
      const t = now();
      const rate = step / Math.max(1e-9, (t - started) / 1000);
      const lossText = lastLoss === undefined ? "" : `  loss ${lastLoss.toFixed(4)}`;
      if (options.mode === "bar") {
        if (t - lastDraw < 100 && step < total) return;
        lastDraw = t;
        const width = 30;
        const done = Math.round((width * step) / Math.max(1, total));
        write(
          `\r  [${"#".repeat(done)}${".".repeat(width - done)}] ${step}/${total}  ` +
            `${rate.toFixed(0)} steps/s${lossText}\x1b[K`,
        );
        if (step >= total) write("\r\x1b[K");
      } else if (step >= total || step >= nextLine) {
        nextLine = step + Math.max(1, Math.ceil(total / 4));
        options.log(
          `  epoch ${epoch} step ${step}/${total}  ${rate.toFixed(0)} steps/s${lossText}`,
        );
      }
    },
    endEpoch(r) {
      if (options.mode === "none") return;
      // Several outputs: every key of the learning-rate file (dev_score_parity, ...).
      const scores = r.scores === undefined
        ? `train_score ${r.trainScore.toFixed(4)}  train_error ${pct(r.trainError)}  ` +
          `dev_score ${r.devScore.toFixed(4)}  dev_error ${pct(r.devError)}`
        : Object.entries(r.scores).map(([k, v]) => `${k} ${isErrorKey(k) ? pct(v) : v.toFixed(4)}`)
          .join("  ");
      options.log(
        `epoch ${r.epoch}/${numEpochs} done in ${r.seconds.toFixed(2)}s: ${scores}  ` +
          `lr ${fmt(r.learningRate)}`,
      );
      if (r.decision) options.log(`  learning rate: ${r.decision}`);
    },
  };
}

function fmt(x: number): string {
  return Number(x.toPrecision(6)).toString();
}

function pct(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}
