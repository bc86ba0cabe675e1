/**
 * The CLI's `lr` command (`deno run cli.ts lr`): replay a learning-rate file's recorded scores through the configured
 * control and compare the rates (like RETURNN's `learning_rate_control.py` demo with
 * `check_learning_rates`).
 *
 * @module
 */

import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { resolveControlSettings } from "../control/config.ts";
import { sameRate } from "../control/decision.ts";
import { LearningRateControlError, LearningRateFileError } from "../control/errors.ts";
import {
  LearningRateControl,
  type LearningRateDecision,
} from "../control/learning_rate_control.ts";
import { epochViews } from "../control/epoch_view.ts";
import { loadLearningRateFile } from "../control/lr_file_io.ts";
import { plotEpochsSvg } from "../control/plot_svg.ts";
import { pyFloatRepr } from "../control/py_float_repr.ts";

/** Where the command prints. */
export interface LrCommandIo {
  /** Normal output. */
  log(line: string): void;
  /** Errors and disagreements. */
  error(line: string): void;
}

/** Options for calling {@linkcode lrCommand} from code. */
export interface LrCommandOptions {
  /** A config object to use instead of `--config FILE`. */
  config?: Record<string, unknown>;
}

const USAGE = `Usage: lr --config CONFIG.json [--file LEARNING_RATE_FILE] [--check] [--plot OUT.svg]

Replays the scores recorded in a learning-rate file through the learning-rate control of the
config and prints, per epoch, the stored rate, the recomputed rate, the error key and the
relative error(s) the decision looked at.

Options:
  -c, --config FILE   config as JSON (learning_rate_control, learning_rate, newbob_* ...)
  -f, --file FILE     the learning-rate file (default: the config's learning_rate_file)
      --check         exit with status 1 at the first epoch whose rates disagree
      --plot FILE     write an SVG plot of the learning rate and the scores per epoch
  -h, --help          show this help

Exit status: 0 ok, 1 a disagreement (with --check) or a decision that fails, 2 bad usage or
unreadable input.`;

function _detail(d: LearningRateDecision): string {
  const f = (
    x: number | null | undefined,
  ) => (x === null || x === undefined ? "-" : pyFloatRepr(x));
  if (d.relativeErrors !== undefined) {
    return `rel=[${d.relativeErrors.map(f).join(", ")}] mean=${f(d.meanRelativeError)}`;
  }
  if (d.relativeError !== undefined) return `rel=${f(d.relativeError)}`;
  if (d.errorDiff !== undefined) return `diff=${f(d.errorDiff)}`;
  if (d.metric !== undefined) return `metric=${f(d.metric)}`;
  return "-";
}

/**
 * Run the `lr` command.
 *
 * @param argv The arguments after `lr` (e.g. `["--config", "c.json", "--check"]`).
 * @param io Where to print (default: the console).
 * @param options A config object instead of `--config`.
 * @returns The exit status: 0 ok, 1 disagreement (with `--check`) or a failing decision, 2 bad
 * usage or unreadable input.
 *
 * @example Usage
 * ```ts
 * import { type LrCommandIo, type LrCommandOptions, lrCommand } from "./lr_command.ts";
 * import { equal, match } from "node:assert/strict";
 * const lines: string[] = [];
 * const io: LrCommandIo = { log: (l) => lines.push(l), error: (l) => lines.push(l) };
 * const options: LrCommandOptions = { config: { learning_rate_control: "newbob" } };
 * equal(await lrCommand(["--help"], io, options), 0);
 * match(lines[0], /^Usage: lr/);
 * ```
 */
export async function lrCommand(
  argv: string[],
  io: LrCommandIo = { log: console.log, error: console.error },
  options: LrCommandOptions = {},
): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        config: { type: "string", short: "c" },
        file: { type: "string", short: "f" },
        check: { type: "boolean", default: false },
        plot: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      allowPositionals: false,
      strict: true,
    }).values;
  } catch (e) {
    io.error(`lr: ${(e as Error).message}`);
    io.error(USAGE);
    return 2;
  }
  if (args.help) {
    io.log(USAGE);
    return 0;
  }
  let config = options.config;
  if (config === undefined) {
    if (args.config === undefined) {
      io.error("lr: missing --config CONFIG.json (a JSON object with the learning-rate settings)");
      return 2;
    }
    try {
      config = JSON.parse(await Deno.readTextFile(args.config));
    } catch (e) {
      io.error(`lr: cannot read the config ${args.config}: ${(e as Error).message}`);
      return 2;
    }
    if (config === null || typeof config !== "object" || Array.isArray(config)) {
      io.error(`lr: the config ${args.config} must hold a JSON object`);
      return 2;
    }
  }
  let settings;
  try {
    settings = resolveControlSettings(config);
  } catch (e) {
    io.error(`lr: ${(e as Error).message}`);
    return 2;
  }
  const file = args.file ?? settings.learningRateFile;
  if (!file) {
    io.error("lr: missing --file LEARNING_RATE_FILE (the config has no learning_rate_file)");
    return 2;
  }
  let data;
  try {
    data = await loadLearningRateFile(file);
  } catch (e) {
    const why = e instanceof LearningRateFileError
      ? e.message
      : `cannot read ${file}: ${(e as Error).message}`;
    io.error(`lr: ${why}`);
    return 2;
  }
  if (data === undefined) {
    io.error(`lr: cannot read ${file}: there is no such file (check the path or --file)`);
    return 2;
  }

  const replay = new LearningRateControl(settings, { file: null });
  io.log(
    ["epoch", "stored_lr", "recomputed_lr", "error_key", "decision", "relative_error(s)"].join(
      "\t",
    ),
  );
  let mismatches = 0;
  for (const epoch of [...data.keys()].sort((a, b) => a - b)) {
    const rec = data.get(epoch)!;
    let recomputed: number;
    let decision: LearningRateDecision;
    try {
      replay.epochStartLearningRate(epoch);
      recomputed = replay.learningRateForEpoch(epoch);
      decision = replay.explain(epoch);
      replay.mergeStoredScores(epoch, rec.error);
    } catch (e) {
      if (!(e instanceof LearningRateControlError)) throw e;
      io.error(`lr: epoch ${epoch}: ${e.message}`);
      return 1;
    }
    const same = sameRate(rec.learningRate, recomputed);
    io.log([
      epoch,
      pyFloatRepr(rec.learningRate),
      pyFloatRepr(recomputed),
      replay.errorKey(epoch) ?? "-",
      decision.kind,
      _detail(decision) + (same ? "" : "\tMISMATCH"),
    ].join("\t"));
    if (!same) {
      const msg = `lr: epoch ${epoch}: the file has ${pyFloatRepr(rec.learningRate)} but the ` +
        `${settings.typeName} control computes ${pyFloatRepr(recomputed)} (${decision.text})`;
      if (args.check) {
        io.error(msg);
        return 1;
      }
      mismatches++;
    }
  }
  io.log(mismatches === 0 ? "all epochs agree" : `${mismatches} epoch(s) disagree`);
  if (args.plot !== undefined) {
    try {
      const dir = dirname(args.plot);
      if (dir !== "" && dir !== ".") await Deno.mkdir(dir, { recursive: true });
      await Deno.writeTextFile(args.plot, plotEpochsSvg(epochViews(data)));
    } catch (e) {
      io.error(`lr: cannot write the plot ${args.plot}: ${(e as Error).message}`);
      return 2;
    }
    io.log(`plot written to ${args.plot}`);
  }
  return 0;
}
