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
import { type CheckpointData, saveCheckpoint } from "./checkpoint.ts";
import { createProgress, type ProgressMode } from "./progress.ts";
import { explainDeviceLoss } from "./device_loss.ts";
import type { BackendName, Batch, TrainModel } from "./model_types.ts";
import type { Dataset, EpochControl, EpochRecord, TrainDeps } from "./train_deps.ts";
import { type EpochRun, runEpoch } from "./epoch.ts";
import { fingerprintOf, openCheckpoint, restoreCheckpoint, type Restored } from "./restore.ts";

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
  /** The SVG plot of the learning rates and scores. */
  readonly plotFile: string;
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
  const deps = await wire(options.deps);
  const setup = await setUp(config, options, deps, log);
  const { settings, model, files } = setup;
  let run: EpochRun<Batch> | undefined;
  // Loss reads still in flight: settled before the model is disposed, so an error mid-epoch
  // does not leave a read of a disposed tensor rejecting later (an unhandled rejection).
  const pendingReads: Promise<unknown>[] = [];
  try {
    log(describeRun(model, setup.data));
    const restored = await restoreCheckpoint(
      setup.checkpoint,
      files.checkpoint,
      model,
      () => deps.createUpdater(settings, model),
      log,
    );
    run = epochRun(setup, deps, restored, { ...options, log, pendingReads });
    const lastEpoch = Math.min(settings.numEpochs, options.stopAfterEpoch ?? Infinity);
    if (restored.startEpoch > settings.numEpochs) {
      log(`nothing to do: all ${settings.numEpochs} epochs are done (see ${settings.outputDir})`);
    }
    let history = restored.history;
    for (let epoch = restored.startEpoch; epoch <= lastEpoch; epoch++) {
      const record = await runEpoch(run, epoch);
      history = [...history.filter((r) => r.epoch < epoch), record];
      await saveEpoch(run, deps, files, history, model.names);
      run.progress.endEpoch(record);
    }
    return {
      settings,
      backend: setup.backend,
      history,
      parameters: await run.updater.parameters(),
      parameterNames: model.names,
      globalTrainStep: run.globalTrainStep,
      resumedAfterEpoch: restored.startEpoch - 1,
      learningRateFile: settings.learningRateFile,
      checkpointFile: files.checkpoint,
      plotFile: files.plot,
    };
  } catch (e) {
    // A lost GPU device surfaces as bare OperationErrors; report it with how to continue.
    throw await explainDeviceLoss(e, model.device);
  } finally {
    await Promise.allSettled(pendingReads);
    run?.updater.dispose();
    model.dispose();
  }
}

/** What a run is set up from, before its first epoch. */
interface Setup {
  readonly settings: TrainSettings;
  readonly files: { readonly checkpoint: string; readonly plot: string };
  readonly backend: BackendName;
  readonly checkpoint: CheckpointData | undefined;
  readonly control: EpochControl;
  readonly data: Dataset;
  readonly model: TrainModel;
}

/**
 * Check the config, then find the checkpoint (refusing one of other settings) before the
 * control, the data and the model are made: every check that can fail comes before the work.
 */
async function setUp(
  config: Config,
  options: TrainOptions,
  deps: TrainDeps,
  log: (line: string) => void,
): Promise<Setup> {
  const settings = resolveConfig(config, {
    source: options.source,
    outputDir: options.outputDir,
    backend: options.backend,
    defaultOutputDir: options.defaultOutputDir,
  });
  for (const note of settings.notes) log(`note: ${note}`);
  await Deno.mkdir(settings.outputDir, { recursive: true });
  const files = {
    checkpoint: join(settings.outputDir, CHECKPOINT_FILE),
    plot: join(settings.outputDir, PLOT_FILE),
  };
  const backend = await chooseBackend(settings, deps, log);
  const checkpoint = await openCheckpoint(files.checkpoint, settings, {
    resume: options.resume,
    log,
  });
  const control = await deps.createControl(settings.control, { file: settings.learningRateFile });
  const data = await deps.loadData(settings.data, { seed: settings.seed });
  const model = await deps.createModel(settings.model, {
    backend,
    seed: settings.seed,
    inputDim: data.inputDim,
    numClasses: data.numClasses,
    ...(data.outputs !== undefined ? { outputs: data.outputs } : {}),
  });
  return { settings, files, backend, checkpoint, control, data, model };
}

/** What the epochs run on: the digits' batches and the model's step. */
function epochRun(
  setup: Setup,
  deps: TrainDeps,
  restored: Restored,
  o: TrainOptions & { log: (line: string) => void; pendingReads: Promise<unknown>[] },
): EpochRun<Batch> {
  const { settings, model, data } = setup;
  const now = o.now ?? (() => performance.now());
  return {
    settings,
    control: setup.control,
    updater: restored.updater,
    model,
    train: batchSource(data, settings),
    evaluate: evaluator(model, data, settings),
    outputs: model.outputs ?? [OUTPUT],
    progress: createProgress({ mode: o.progress ?? defaultMode(), log: o.log, now }),
    now,
    readEvery: setup.backend === "webgpu" ? settings.logEverySteps : 1,
    stepLearningRate: stepLearningRate(settings, deps),
    pendingReads: o.pendingReads,
    globalTrainStep: restored.globalTrainStep,
  };
}

/** The backend the settings name, or the best available one (said in the log). */
async function chooseBackend(
  settings: TrainSettings,
  deps: TrainDeps,
  log: (line: string) => void,
): Promise<BackendName> {
  if (settings.backend !== undefined) {
    log(`backend: ${settings.backend}`);
    return settings.backend;
  }
  const backend = await deps.defaultBackend();
  log(`backend: ${backend} (the best available; set 'backend' or --backend to choose)`);
  return backend;
}

/** The line about the model and the data. */
function describeRun(model: TrainModel, data: Dataset): string {
  const numParams = model.shapes.reduce((n, sh) => n + sh.reduce((a, b) => a * b, 1), 0);
  return `model: ${numParams} parameters in ${model.names.length} tensors; data: ` +
    `${data.train.size} train / ${data.dev.size} dev rows` +
    (model.message ? `; ${model.message}` : "");
}

/** The training split's seeded mini-batches. */
function batchSource(data: Dataset, s: TrainSettings): EpochRun<Batch>["train"] {
  return {
    stepsPerEpoch: Math.ceil(data.train.size / s.batchSize),
    batches: (epoch) => data.train.batches(epoch, s.batchSize, s.seed),
  };
}

/** Scores of a whole split, evaluated in batches of at least 256 rows. */
function evaluator(
  model: TrainModel,
  data: Dataset,
  s: TrainSettings,
): EpochRun<Batch>["evaluate"] {
  const batch = Math.max(256, s.batchSize);
  return (split) => {
    const part = data[split];
    return model.evaluate(part.x, part.y, batch, part.targets);
  };
}

/** The rate of a step: `dynamic_learning_rate` (if set) times `learning_rate_multiplier`. */
function stepLearningRate(s: TrainSettings, deps: TrainDeps): EpochRun<Batch>["stepLearningRate"] {
  const dynamic = s.dynamicLearningRate === undefined
    ? undefined
    : deps.dynamicLearningRate(s.dynamicLearningRate);
  return (epochLr: number, ctx: StepContext) =>
    (dynamic === undefined ? epochLr : dynamic(ctx)) * s.learningRateMultiplier;
}

/**
 * After an epoch: the plot, then the checkpoint (parameters, optimizer state, step counter,
 * history), written atomically.
 */
async function saveEpoch(
  run: EpochRun<Batch>,
  deps: TrainDeps,
  files: { checkpoint: string; plot: string },
  history: readonly EpochRecord[],
  paramNames: readonly string[],
): Promise<void> {
  // The plot first: a crash between the two leaves a plot ahead of the checkpoint (redrawn
  // when the epoch is run again), never one missing the last epoch of a finished run.
  await deps.plot(files.plot, history);
  const state = await run.updater.exportState();
  const s = run.settings;
  await saveCheckpoint(
    files.checkpoint,
    {
      epoch: history[history.length - 1].epoch,
      globalTrainStep: run.globalTrainStep,
      paramNames,
      params: await run.updater.parameters(),
      optimizerArrays: state.arrays,
      optimizerMeta: state.meta,
      rng: { seed: s.seed, shuffle: "deriveSeed(seed, epoch)" },
      fingerprint: fingerprintOf(s),
      history,
    } satisfies CheckpointData,
  );
}

function defaultMode(): ProgressMode {
  try {
    return Deno.stdout.isTerminal() ? "bar" : "lines";
  } catch {
    return "lines";
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
  ];
  if (overrides && needed.every((k) => overrides[k] !== undefined)) {
    return overrides as TrainDeps;
  }
  const { defaultDeps } = await import("./wiring.ts");
  return { ...(await defaultDeps()), ...overrides };
}
