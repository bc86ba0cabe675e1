/**
 * newbob's command line: argument parsing and printing only; the work is done by `trainer/`
 * and `control/`.
 *
 * ```
 * deno run --allow-read=. --allow-write=out cli.ts train [CONFIG] [--resume] [--backend B] [--output-dir D]
 * deno run --allow-read=. --allow-write=. cli.ts lr ...
 * deno run --allow-read=. --allow-env=XDG_RUNTIME_DIR,DENO_WEBGPU_BACKEND cli.ts info
 * ```
 *
 * Least privilege: no command needs network access or `-A`. `train` reads the project (config,
 * data, TensorFlow.js in `node_modules`) and writes only its output folder; grant
 * `--allow-write=<output folder>` for another `--output-dir`. On `webgpu` add
 * `--allow-env=XDG_RUNTIME_DIR,DENO_WEBGPU_BACKEND` (read by the WebGPU adapter setup).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { train } from "./trainer/train.ts";
import { ConfigError } from "./trainer/config_error.ts";
import { CheckpointError } from "./trainer/checkpoint.ts";
import { configStem, readConfigFile, resolveConfig } from "./trainer/config.ts";
import type { Config } from "./trainer/config_types.ts";
import type { BackendName } from "./trainer/model_types.ts";
import digitsJob from "./examples/digits.config.ts";

/** Minimal permission flags per command (printed by `--help`). */
export const PERMISSIONS: Readonly<Record<string, string>> = Object.freeze({
  train: "--allow-read=. --allow-write=out --allow-env=XDG_RUNTIME_DIR,DENO_WEBGPU_BACKEND",
  lr: "--allow-read=. --allow-write=<folder of --plot, only with --plot>",
  info: "--allow-read=. --allow-env=XDG_RUNTIME_DIR,DENO_WEBGPU_BACKEND",
});

const MAIN_HELP =
  `newbob: optimizers as fused WebGPU kernels, RETURNN's learning-rate control, a trainer

Usage: deno run <permissions> cli.ts <command> [options]

Commands:
  train [CONFIG]   train as CONFIG (.ts module or .json) says; without CONFIG the embedded
                   default job (examples/digits.config.ts: MLP on digits, Adam, newbob)
  lr ...           inspect, explain and plot learning-rate files (RETURNN format)
  info             WebGPU adapter, limits, TensorFlow.js backends available

Run 'cli.ts <command> --help' for the command's options and its minimal permissions.
`;

const TRAIN_HELP = `Usage: cli.ts train [CONFIG] [--resume] [--backend B] [--output-dir D]

Train as CONFIG says: a TypeScript module ('export default { ... } satisfies Config') or a JSON
file, with RETURNN's key names: RETURNN's train/dev dataset dicts with a 'network' dict (or
get_model/train_step in a TypeScript config), or the built-in digits job. Without CONFIG: the
embedded default job (examples/digits.config.ts). The config is checked completely before any
work starts.

Options:
  --resume           continue from the checkpoint in the output folder (an error if there is
                     none). Without it, an existing checkpoint is continued as well (like
                     RETURNN); delete the output folder to start over.
  --backend B        cpu | wasm | webgpu (default: the config's 'backend', else the best
                     available)
  --output-dir D     output folder (default: the config's 'output_dir', else out/<config name>):
                     learning_rates (the learning-rate file), checkpoint.nbck (the last
                     saved epoch, for resuming), model.<epoch>.nbck, learning_rates.svg
  --stop-after E     stop after epoch E (continue later with --resume)
  -h, --help         this help

Minimal permissions:
  deno run ${PERMISSIONS.train} cli.ts train [CONFIG]
  (--allow-write must name the output folder; the env names are only read on webgpu)
`;

const INFO_HELP = `Usage: cli.ts info

Print the WebGPU adapter (description, features, limits), the TensorFlow.js backends that load
here, and the backend 'train' chooses by default.

Minimal permissions:
  deno run ${PERMISSIONS.info} cli.ts info
`;

/** Output sinks of {@linkcode main} (tests capture them). */
export interface CliIo {
  /** Normal output. */
  out(line: string): void;
  /** Errors and notices. */
  err(line: string): void;
}

const consoleIo: CliIo = {
  out: (l) => console.log(l),
  err: (l) => console.error(l),
};

/**
 * Run the command line.
 *
 * @param args Arguments after the script name.
 * @param io Output sinks.
 * @returns The exit code (0 success, 1 failure, 2 usage or config error).
 *
 * @example Usage
 * ```ts
 * import { main } from "./cli.ts";
 * import { equal } from "node:assert/strict";
 *
 * const lines: string[] = [];
 * equal(await main(["train", "--help"], { out: (l) => lines.push(l), err: (l) => lines.push(l) }), 0);
 * equal(lines[0].startsWith("Usage: cli.ts train"), true);
 * ```
 */
export async function main(args: readonly string[], io: CliIo = consoleIo): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined || command === "-h" || command === "--help" || command === "help") {
    io.out(MAIN_HELP);
    return command === undefined ? 2 : 0;
  }
  try {
    switch (command) {
      case "train":
        return await trainCommand(rest, io);
      case "lr":
        return await lrCommandDelegate(rest, io);
      case "info":
        return await infoCommand(rest, io);
      default:
        io.err(
          `unknown command '${command}': use train, lr or info (see 'cli.ts --help')`,
        );
        return 2;
    }
  } catch (e) {
    if (e instanceof ConfigError) {
      io.err(e.message);
      return 2;
    }
    if (e instanceof CheckpointError) {
      io.err(e.message);
      return 1;
    }
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      io.err(
        `${(e as Error).message}\nnewbob runs with least privilege: grant the permission named ` +
          `above (see 'cli.ts ${command} --help' for the flags)`,
      );
      return 1;
    }
    if (e instanceof Error && REPORTED_ERRORS.has(e.name)) {
      io.err(`${e.name}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

/**
 * Errors whose message already says what is wrong and how to fix it: printed without a stack.
 */
const REPORTED_ERRORS = new Set([
  "LearningRateFileError",
  "LearningRateControlError",
  "GpuUnavailableError",
  "GpuDeviceLostError",
  "InvalidGradientError",
  "SaveError",
  "NonFiniteParameterError",
  "NonFiniteScoreError",
]);

async function trainCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: {
      resume: { type: "boolean" },
      backend: { type: "string" },
      "output-dir": { type: "string" },
      "stop-after": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    io.out(TRAIN_HELP);
    return 0;
  }
  if (positionals.length > 1) {
    io.err(`train takes one CONFIG, got ${positionals.length}: ${positionals.join(" ")}`);
    return 2;
  }
  const backend = values.backend;
  if (backend !== undefined && !["cpu", "wasm", "webgpu"].includes(backend)) {
    io.err(`--backend must be cpu, wasm or webgpu: got '${backend}'`);
    return 2;
  }
  let stopAfter: number | undefined;
  if (values["stop-after"] !== undefined) {
    stopAfter = Number(values["stop-after"]);
    if (!Number.isInteger(stopAfter) || stopAfter < 1) {
      io.err(`--stop-after must be an epoch number >= 1: got '${values["stop-after"]}'`);
      return 2;
    }
  }
  const path = positionals[0];
  let config: Config;
  let source: string;
  if (path === undefined) {
    config = digitsJob;
    source = "examples/digits.config.ts (embedded default)";
    io.out(`no CONFIG given: running the embedded default job ${source}`);
  } else {
    config = await readConfigFile(path) as Config;
    source = path;
  }
  const stem = path === undefined ? "digits" : configStem(path);
  const t0 = performance.now();
  const result = await train(config, {
    source,
    outputDir: values["output-dir"],
    backend: backend as BackendName | undefined,
    resume: values.resume,
    stopAfterEpoch: stopAfter,
    defaultOutputDir: `out/${stem}`,
    log: io.out,
  });
  const last = result.history.at(-1);
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  if (last !== undefined) {
    // A sequence config: its evaluation scores by RETURNN's names; the digits job: accuracy.
    const evals = result.settings.sequence === undefined
      ? `dev accuracy ${(100 * (1 - last.devError)).toFixed(2)}%`
      : Object.entries(last.scores ?? {}).filter(([k]) => !k.startsWith("train_"))
        .map(([k, v]) => `${k} ${fmt(v)}`).join(", ") || "no dev/eval datasets";
    io.out(
      `done in ${secs}s: ${result.history.length} epochs, ${evals}, learning rates ${
        result.history.map((h) => fmt(h.learningRate)).join(" ")
      }`,
    );
  }
  io.out(
    `learning-rate file: ${result.learningRateFile}\ncheckpoint: ${result.checkpointFile}\n` +
      `plot: ${result.plotFile}`,
  );
  return 0;
}

function fmt(x: number): string {
  return Number(x.toPrecision(4)).toString();
}

async function lrCommandDelegate(args: readonly string[], io: CliIo): Promise<number> {
  const { lrCommand } = await import("./cli/lr_command.ts");
  // A TypeScript/JavaScript config is loaded here (the lr command itself reads JSON only).
  const argv = [...args];
  const i = argv.findIndex((a) => a === "--config" || a === "-c");
  let config: Record<string, unknown> | undefined;
  if (i >= 0 && i + 1 < argv.length && /\.(ts|js|mjs)$/.test(argv[i + 1])) {
    const path = argv[i + 1];
    config = await readConfigFile(path) as Record<string, unknown>;
    argv.splice(i, 2);
    if (config.learning_rate_file === undefined) {
      // The trainer's default: <output_dir>/learning_rates.
      const { learningRateFile } = resolveConfig(config, {
        defaultOutputDir: `out/${configStem(path)}`,
      });
      config = { ...config, learning_rate_file: learningRateFile };
    }
  }
  const code = await lrCommand(argv, { log: io.out, error: io.err }, config ? { config } : {});
  if (argv.includes("--help") || argv.includes("-h")) {
    io.out(
      `\nA TypeScript config (--config job.config.ts) works too; its learning-rate file defaults ` +
        `to <output_dir>/learning_rates.\n\nMinimal permissions:\n  deno run ${PERMISSIONS.lr} ` +
        "cli.ts lr --config CONFIG [--plot OUT.svg]",
    );
  }
  return code;
}

async function infoCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    strict: true,
    options: { help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    io.out(INFO_HELP);
    return 0;
  }
  const { gpuInfo, formatGpuInfo } = await import("./gpu/mod.ts");
  const info = await gpuInfo();
  io.out(formatGpuInfo(info));
  const { loadTfjs, defaultBackend } = await import("./trainer/tfjs_backend.ts");
  io.out("TensorFlow.js backends:");
  for (const b of ["cpu", "wasm", "webgpu"] as const) {
    if (b === "webgpu" && !info.available) {
      io.out(`  webgpu: not available (no WebGPU adapter)`);
      continue;
    }
    try {
      const loaded = await loadTfjs(b);
      io.out(`  ${b}: ${loaded.message}`);
    } catch (e) {
      io.out(`  ${b}: not available: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  io.out(`default backend for 'train': ${await defaultBackend()}`);
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
