/**
 * The training loop: epochs of mini-batch steps with a persistent `global_train_step`, the
 * learning rate from RETURNN's learning-rate control (fixed at each epoch's start) times the
 * per-step `dynamic_learning_rate` and `learning_rate_multiplier`, the fused optimizer update,
 * per-epoch scores fed back to the control (`train_score`, `train_error`, `dev_score`,
 * `dev_error`), the learning-rate file, atomic checkpoints and exact resume.
 *
 * No TensorFlow.js import here: the model comes from `trainer/wiring.ts`, which loads
 * `trainer/tfjs_*.ts` dynamically.
 *
 * @module
 */

import { join } from "node:path";
import { resolveConfig, type StepContext, type TrainSettings } from "./config.ts";
import type { Config } from "./config_types.ts";
import {
  type CheckpointData,
  CheckpointError,
  loadCheckpoint,
  saveCheckpoint,
} from "./checkpoint.ts";
import { createProgress, type ProgressMode } from "./progress.ts";
import { explainDeviceLoss } from "./device_loss.ts";
import type { BackendName, EvalResult, OutputEval } from "./model_types.ts";
import type { EpochRecord, TrainDeps, Updater } from "./train_deps.ts";
import { flattenScores } from "../control/error_key.ts";

/** Name of the checkpoint file in the output folder. */
export const CHECKPOINT_FILE = "checkpoint.nbck";
/** Name of a one-output model's output layer in score keys (RETURNN's `cost:output`). */
const OUTPUT = "output";
/** Name of the plot in the output folder. */
export const PLOT_FILE = "learning_rates.svg";

/** Options of {@linkcode train}. */
export interface TrainOptions {
  /** Output folder (overrides the config's `output_dir`). */
  outputDir?: string;
  /** Backend (overrides the config's `backend`). */
  backend?: BackendName;
  /**
   * `true`: continue from the checkpoint in the output folder (an error if there is none).
   * `false`/unset: continue when a checkpoint exists (RETURNN does the same), else start fresh.
   */
  resume?: boolean;
  /** Where lines go. @default {console.log} */
  log?: (line: string) => void;
  /** Progress display. @default "bar" on a terminal, else "lines" */
  progress?: ProgressMode;
  /** Stop after this epoch (as if interrupted); the checkpoint allows continuing later. */
  stopAfterEpoch?: number;
  /** Where the config came from (for messages and the default output folder). */
  source?: string;
  /** Default output folder when neither the config nor `outputDir` sets one. */
  defaultOutputDir?: string;
  /** Replace any of the wired pieces (tests use fakes). */
  deps?: Partial<TrainDeps>;
  /** Wall clock in milliseconds (tests pass a fake clock for reproducible meta). */
  now?: () => number;
}

/** What a training run produced. */
export interface TrainResult {
  /** The resolved settings. */
  readonly settings: TrainSettings;
  /** The backend used. */
  readonly backend: BackendName;
  /** Per-epoch records of all epochs done so far (including those before a resume). */
  readonly history: readonly EpochRecord[];
  /** Final parameter values (host copies). */
  readonly parameters: readonly Float32Array[];
  /** Parameter names. */
  readonly parameterNames: readonly string[];
  /** Steps taken in total. */
  readonly globalTrainStep: number;
  /** The epoch the run resumed after (0 for a fresh start). */
  readonly resumedAfterEpoch: number;
  /** The learning-rate file. */
  readonly learningRateFile: string;
  /** The checkpoint file. */
  readonly checkpointFile: string;
}

/**
 * Train a model as a config describes.
 *
 * Per epoch e (RETURNN's TF engine order): the control fixes the rate at the start
 * (`epochStartLearningRate`, pretraining rules included) and gets the meta `global_train_step`
 * and `effective_learning_rate`; every step uses `dynamic_learning_rate` (if set) times
 * `learning_rate_multiplier` on top of it; after the training pass `train_score` (mean mini-batch
 * loss; on `webgpu` the mean of the losses read every `log_every_steps` steps, so the GPU is
 * never awaited per step) and `train_error` (error rate on the training set after the pass) are
 * recorded with the meta `epoch_num_train_steps`, `epoch_train_time_secs` and the file is saved;
 * then `dev_score`/`dev_error` are recorded and the file is saved again; then the checkpoint
 * (parameters, optimizer state, step counter, epoch, history) is written atomically and the plot
 * is redrawn.
 *
 * A model with several outputs (`model.outputs`, RETURNN's output layers) has every score
 * recorded per output, as RETURNN's TF engine passes them (`{train_score: {"cost:output": a,
 * "cost:parity": b}}`), which the control stores as `train_score_output`, `train_score_parity`,
 * `dev_error_parity`, ...; the history's `trainScore`/`devScore` are then the summed loss,
 * `trainError`/`devError` the first output's, and `scores` holds every key.
 *
 * `reset_updater_vars_mod_step` R re-initialises the optimizer state at the start of every
 * epoch e > 1 with `(e - 1) % R == 0` (the RETURNN docs' reading, the default), or, with
 * `reset_updater_vars_unit: "steps"`, before every step s of an epoch with `s % R == 0` (what
 * RETURNN TF's code does).
 *
 * @param config The config (RETURNN key names), e.g. a config module's default export.
 * @param options Output folder, resume, logging, and injected pieces.
 * @returns The history, final parameters and file locations.
 * @throws {ConfigError} when the config is invalid (before any work starts).
 * @throws {CheckpointError} when the checkpoint cannot be used for resuming.
 *
 * @example One epoch of the embedded default job on the cpu backend
 * ```ts
 * import { train } from "./train.ts";
 * import job from "../examples/digits.config.ts";
 * import { ok } from "node:assert/strict";
 *
 * const result = await train({ ...job, num_epochs: 1, backend: "cpu" }, {
 *   outputDir: ".tmp/doc-train",
 *   progress: "none",
 *   log: () => {},
 * });
 * ok(result.history[0].devError < 0.5);
 * ```
 */
export async function train(config: Config, options: TrainOptions = {}): Promise<TrainResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const now = options.now ?? (() => performance.now());
  const deps = await wire(options.deps);
  const settings = resolveConfig(config, {
    source: options.source,
    outputDir: options.outputDir,
    backend: options.backend,
    defaultOutputDir: options.defaultOutputDir,
    implementedTransforms: deps.implementedTransforms,
  });
  for (const note of settings.notes) log(`note: ${note}`);
  const outputDir = settings.outputDir;
  await Deno.mkdir(outputDir, { recursive: true });
  const checkpointFile = join(outputDir, CHECKPOINT_FILE);

  let backend: BackendName;
  if (settings.backend === undefined) {
    backend = await deps.defaultBackend();
    log(`backend: ${backend} (the best available; set 'backend' or --backend to choose)`);
  } else {
    backend = settings.backend;
    log(`backend: ${backend}`);
  }

  const checkpoint = await loadCheckpoint(checkpointFile);
  if (options.resume && checkpoint === undefined) {
    throw new CheckpointError(
      checkpointFile,
      "there is no checkpoint in the output folder; run without --resume to start fresh",
    );
  }
  if (checkpoint === undefined && await exists(settings.learningRateFile)) {
    log(
      `note: ${settings.learningRateFile} exists without a checkpoint: its stored rates and ` +
        "scores are kept, as RETURNN does (delete it to start over)",
    );
  }
  const fingerprint = fingerprintOf(settings);
  if (checkpoint !== undefined) checkFingerprint(checkpointFile, checkpoint, fingerprint);

  const control = await deps.createControl(settings.control, {
    file: settings.learningRateFile,
  });
  const data = await deps.loadData(settings.data, { seed: settings.seed });
  const model = await deps.createModel(settings.model, {
    backend,
    seed: settings.seed,
    inputDim: data.inputDim,
    numClasses: data.numClasses,
    ...(data.outputs !== undefined ? { outputs: data.outputs } : {}),
  });
  let updater: Updater | undefined;
  // Loss reads still in flight: settled before the model is disposed, so an error mid-epoch
  // does not leave a read of a disposed tensor rejecting later (an unhandled rejection).
  const pendingReads: Promise<number>[] = [];
  try {
    // RETURNN's output layers: one (`output`) or several (`dev_score_<name>` keys).
    const outputs = model.outputs ?? [OUTPUT];
    const multi = outputs.length > 1;
    const numParams = model.shapes.reduce((n, sh) => n + sh.reduce((a, b) => a * b, 1), 0);
    const message = (model as { message?: string }).message;
    log(
      `model: ${numParams} parameters in ${model.names.length} tensors; data: ` +
        `${data.train.size} train / ${data.dev.size} dev rows${message ? `; ${message}` : ""}`,
    );
    const dynamic = settings.dynamicLearningRate === undefined
      ? undefined
      : deps.dynamicLearningRate(settings.dynamicLearningRate);
    const stepLearningRate = (epochLr: number, ctx: StepContext) =>
      (dynamic === undefined ? epochLr : dynamic(ctx)) * settings.learningRateMultiplier;

    let globalTrainStep = 0;
    let startEpoch = 1;
    let history: EpochRecord[] = [];
    if (checkpoint !== undefined) {
      if (
        checkpoint.paramNames.length !== model.names.length ||
        checkpoint.paramNames.some((n, i) => n !== model.names[i]) ||
        checkpoint.params.some((p, i) => p.length !== model.shapes[i].reduce((a, b) => a * b, 1))
      ) {
        throw new CheckpointError(
          checkpointFile,
          `its parameters (${checkpoint.paramNames.join(", ")}) do not match the model's ` +
            `(${model.names.join(", ")}); the model changed: use another --output-dir or delete ` +
            "the checkpoint",
        );
      }
      await model.setParameters(checkpoint.params);
    }
    // Created after a resume's setParameters, so it binds to the restored parameters.
    updater = await deps.createUpdater(settings, model);
    if (checkpoint !== undefined) {
      await updater.importState({
        arrays: checkpoint.optimizerArrays,
        meta: checkpoint.optimizerMeta,
      });
      globalTrainStep = checkpoint.globalTrainStep;
      startEpoch = checkpoint.epoch + 1;
      history = Array.isArray(checkpoint.history)
        ? (checkpoint.history as EpochRecord[]).filter((r) =>
          typeof r?.epoch === "number" && r.epoch <= checkpoint.epoch
        )
        : [];
      log(
        `resuming after epoch ${checkpoint.epoch} (global_train_step ${globalTrainStep}) from ` +
          checkpointFile,
      );
    }
    const resumedAfterEpoch = startEpoch - 1;

    const mode = options.progress ??
      (safeIsTerminal() ? "bar" : "lines");
    const progress = createProgress({ mode, log, now });
    const lastEpoch = Math.min(settings.numEpochs, options.stopAfterEpoch ?? Infinity);
    const readEvery = backend === "webgpu" ? settings.logEverySteps : 1;
    const evalBatch = Math.max(256, settings.batchSize);
    const stepsPerEpoch = Math.ceil(data.train.size / settings.batchSize);
    if (startEpoch > settings.numEpochs) {
      log(`nothing to do: all ${settings.numEpochs} epochs are done (see ${outputDir})`);
    }

    for (let epoch = startEpoch; epoch <= lastEpoch; epoch++) {
      const epochLr = control.epochStartLearningRate(epoch);
      const decision = control.explain(epoch);
      const ctx0 = {
        globalTrainStep,
        epoch,
        epochContinuous: epoch - 1,
        learningRate: epochLr,
      };
      control.setEpochMeta(epoch, {
        global_train_step: globalTrainStep,
        effective_learning_rate: stepLearningRate(epochLr, ctx0),
      });
      const reset = settings.resetUpdaterVarsModStep;
      if (
        reset > 0 && settings.resetUpdaterVarsUnit === "epochs" && epoch > 1 &&
        (epoch - 1) % reset === 0
      ) {
        await updater.reset();
      }
      updater.startEpoch(epoch);
      progress.startEpoch(epoch, settings.numEpochs, stepsPerEpoch, epochLr);

      const t0 = now();
      const losses: Promise<number>[] = [];
      const outputLosses: Promise<readonly number[]>[] = [];
      let lastLoss: Promise<number> | undefined;
      let step = 0;
      for (const batch of data.train.batches(epoch, settings.batchSize, settings.seed)) {
        if (reset > 0 && settings.resetUpdaterVarsUnit === "steps" && step % reset === 0) {
          await updater.reset();
        }
        const lr = stepLearningRate(epochLr, {
          globalTrainStep,
          epoch,
          epochContinuous: epoch - 1 + step / stepsPerEpoch,
          learningRate: epochLr,
        });
        const g = model.gradients(batch);
        const readLoss = step % readEvery === 0 || step === stepsPerEpoch - 1;
        if (readLoss) {
          lastLoss = g.loss();
          losses.push(lastLoss);
          pendingReads.push(lastLoss);
          lastLoss.catch(() => {}); // handled where awaited; never an unhandled rejection
          if (multi) outputLosses.push(readOutputLosses(g.outputLosses, outputs));
        }
        await updater.step(g.grads, lr, globalTrainStep);
        g.dispose();
        globalTrainStep++;
        step++;
        if (step % settings.logEverySteps === 0 || step === stepsPerEpoch) {
          progress.update(step, lastLoss === undefined ? undefined : await lastLoss);
        }
      }
      const trainScore = mean(await Promise.all(losses));
      // Per output: the mean of its mini-batch losses (read with the total, no extra sync).
      const perOutput = await Promise.all(outputLosses);
      const trainScores = multi
        ? outputs.map((_, i) => mean(perOutput.map((l) => l[i])))
        : [trainScore];
      pendingReads.length = 0;
      const seconds = (now() - t0) / 1000;
      const trainEval = await model.evaluate(
        data.train.x,
        data.train.y,
        evalBatch,
        data.train.targets,
      );
      // RETURNN TF's score form, one item per output layer: the control stores one output as
      // `train_score` and several as `train_score_<output>`.
      const trainDicts = {
        train_score: perLayer("cost", outputs, (_, i) => trainScores[i]),
        train_error: perLayer("error", outputs, (o) => outputEval(trainEval, o, multi).error),
      };
      control.setEpochError(epoch, trainDicts);
      control.setEpochMeta(epoch, {
        epoch_num_train_steps: step,
        // RETURNN's engines store `round(elapsed)`: whole seconds, ties to even.
        epoch_train_time_secs: pyRound(seconds),
      });
      await control.save();
      const dev = await model.evaluate(data.dev.x, data.dev.y, evalBatch, data.dev.targets);
      const devDicts = {
        dev_score: perLayer("cost", outputs, (o) => outputEval(dev, o, multi).score),
        dev_error: perLayer("error", outputs, (o) => outputEval(dev, o, multi).error),
      };
      control.setEpochError(epoch, devDicts);
      await control.save();

      const record: EpochRecord = {
        epoch,
        learningRate: epochLr,
        trainScore,
        trainError: trainEval.error,
        devScore: dev.score,
        devError: dev.error,
        steps: step,
        seconds,
        decision,
        // Several outputs: every key of the file, for the summary and the plot.
        ...(multi
          ? { scores: Object.fromEntries(flattenScores({ ...trainDicts, ...devDicts })) }
          : {}),
      };
      history = [...history.filter((r) => r.epoch < epoch), record];
      // The plot first: a crash between the two leaves a plot ahead of the checkpoint (redrawn
      // when the epoch is run again), never one missing the last epoch of a finished run.
      await deps.plot(join(outputDir, PLOT_FILE), history);
      const state = await updater.exportState();
      await saveCheckpoint(
        checkpointFile,
        {
          epoch,
          globalTrainStep,
          paramNames: model.names,
          params: await updater.parameters(),
          optimizerArrays: state.arrays,
          optimizerMeta: state.meta,
          rng: { seed: settings.seed, shuffle: "deriveSeed(seed, epoch)" },
          fingerprint,
          history,
        } satisfies CheckpointData,
      );
      progress.endEpoch(record);
    }
    const parameters = await updater.parameters();
    return {
      settings,
      backend,
      history,
      parameters,
      parameterNames: model.names,
      globalTrainStep,
      resumedAfterEpoch,
      learningRateFile: settings.learningRateFile,
      checkpointFile,
    };
  } catch (e) {
    // A lost GPU device surfaces as bare OperationErrors; report it with how to continue.
    throw await explainDeviceLoss(e, (model as { device?: GPUDevice | null }).device);
  } finally {
    await Promise.allSettled(pendingReads);
    updater?.dispose();
    model.dispose();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

function safeIsTerminal(): boolean {
  try {
    return Deno.stdout.isTerminal();
  } catch {
    return false;
  }
}

/** `{"<kind>:<output>": value}` for every output (RETURNN TF's per-layer score dict). */
function perLayer(
  kind: "cost" | "error",
  outputs: readonly string[],
  value: (output: string, i: number) => number,
): Record<string, number> {
  return Object.fromEntries(outputs.map((o, i) => [`${kind}:${o}`, value(o, i)]));
}

/** One output's score and error (the whole result for a one-output model). */
function outputEval(r: EvalResult, output: string, multi: boolean): OutputEval {
  if (!multi) return r;
  const found = r.outputs?.[output];
  if (found === undefined) {
    throw new TypeError(
      `Cannot score the output '${output}': the model's evaluate() gave no result for it ` +
        `(got: ${Object.keys(r.outputs ?? {}).join(", ") || "none"}); return 'outputs' per name`,
    );
  }
  return found;
}

/** The per-output losses of a step of a model with several outputs. */
function readOutputLosses(
  read: (() => Promise<readonly number[]>) | undefined,
  outputs: readonly string[],
): Promise<readonly number[]> {
  if (read === undefined) {
    return Promise.reject(
      new TypeError(
        `Cannot score the outputs ${outputs.join(", ")} separately: the model's gradients() ` +
          "gives no outputLosses(); implement it (one loss per output, in 'outputs' order)",
      ),
    );
  }
  const p = read();
  p.catch(() => {}); // handled where awaited
  return p;
}

/** Python's `round(x)` to an int: the nearest integer, ties to the even one. */
function pyRound(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return xs.length === 0 ? NaN : s / xs.length;
}

/** Settings that must be the same to continue from a checkpoint (JSON, functions as source). */
function fingerprintOf(s: TrainSettings): Record<string, unknown> {
  const skip = new Set([
    "numEpochs",
    "logEverySteps",
    "outputDir",
    "learningRateFile",
    "backend",
    "notes",
  ]);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    if (skip.has(k)) continue;
    out[k] = JSON.parse(
      JSON.stringify(v ?? null, (_key, x) => typeof x === "function" ? `fn:${x.toString()}` : x),
    );
  }
  return out;
}

function checkFingerprint(
  path: string,
  checkpoint: CheckpointData,
  fingerprint: Record<string, unknown>,
): void {
  const old = checkpoint.fingerprint as Record<string, unknown>;
  const keys = new Set([...Object.keys(old), ...Object.keys(fingerprint)]);
  const changed = [...keys].filter((k) =>
    JSON.stringify(old[k]) !== JSON.stringify(fingerprint[k])
  );
  if (changed.length > 0) {
    throw new CheckpointError(
      path,
      `it was written with different settings (${changed.join(", ")} changed); resuming would ` +
        "not continue the same run: restore the old settings, or use another --output-dir " +
        "(or delete the checkpoint and the learning-rate file) to start over",
    );
  }
}

async function wire(overrides: Partial<TrainDeps> | undefined): Promise<TrainDeps> {
  const needed: (keyof TrainDeps)[] = [
    "defaultBackend",
    "loadData",
    "createModel",
    "createUpdater",
    "createControl",
    "dynamicLearningRate",
    "plot",
    "implementedTransforms",
  ];
  if (overrides && needed.every((k) => overrides[k] !== undefined)) {
    return overrides as TrainDeps;
  }
  const { defaultDeps } = await import("./wiring.ts");
  return { ...(await defaultDeps()), ...overrides };
}
