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
import { type CheckpointData, encodeCheckpoint } from "./checkpoint.ts";
import { ConfigError } from "./config_error.ts";
import { createProgress, type ProgressMode } from "./progress.ts";
import { explainDeviceLoss } from "./device_loss.ts";
import type { BackendName } from "./model_types.ts";
import type { EpochControl, EpochRecord, TrainDeps } from "./train_deps.ts";
import { type EpochRun, runEpoch } from "./epoch.ts";
import { fingerprintOf, openCheckpoint, restoreCheckpoint, type Restored } from "./restore.ts";
import type { TrainJob } from "./job.ts";
import { digitsJob } from "./digits_job.ts";
import { datasetKeyProblems, sequenceJob } from "./seq_job.ts";
import { epochsToDelete } from "./cleanup_models.ts";
import { writeFileAtomic } from "../_util/atomic_write.ts";

/** Name of the checkpoint file in the output folder. */
export const CHECKPOINT_FILE = "checkpoint.nbck";
/**
 * The name of an epoch's model file in the output folder (RETURNN's `model.<epoch:03d>`): a
 * full checkpoint of that epoch (copy it to `checkpoint.nbck` to continue from it).
 *
 * @param epoch The epoch.
 * @returns The file name.
 *
 * @example
 * ```ts
 * import { epochModelFile } from "./train.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(epochModelFile(7), "model.007.nbck");
 * ```
 */
export function epochModelFile(epoch: number): string {
  return `model.${String(epoch).padStart(3, "0")}.nbck`;
}
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
  const { settings, job, files } = setup;
  const model = job.model;
  let run: EpochRun<unknown> | undefined;
  // Loss reads still in flight: settled before the model is disposed, so an error mid-epoch
  // does not leave a read of a disposed tensor rejecting later (an unhandled rejection).
  const pendingReads: Promise<unknown>[] = [];
  try {
    log(job.description);
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
      await saveEpoch(run, deps, setup, history, epoch === lastEpoch, log);
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
    await job.close();
  }
}

/** What a run is set up from, before its first epoch. */
interface Setup {
  readonly settings: TrainSettings;
  readonly files: { readonly checkpoint: string; readonly plot: string };
  readonly backend: BackendName;
  readonly checkpoint: CheckpointData | undefined;
  readonly control: EpochControl;
  readonly job: TrainJob<unknown>;
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
  const job = settings.sequence === undefined
    ? await digitsSetUp(settings, deps, backend)
    : await sequenceSetUp(settings, deps, backend, checkpoint, options.source, log);
  return { settings, files, backend, checkpoint, control, job };
}

/** The digits job: its data and its MLP. */
async function digitsSetUp(
  settings: TrainSettings,
  deps: TrainDeps,
  backend: BackendName,
): Promise<TrainJob<unknown>> {
  const data = await deps.loadData(settings.data, { seed: settings.seed });
  const model = await deps.createModel(settings.model, {
    backend,
    seed: settings.seed,
    inputDim: data.inputDim,
    numClasses: data.numClasses,
    ...(data.outputs !== undefined ? { outputs: data.outputs } : {}),
  });
  return digitsJob(settings, model, data) as TrainJob<unknown>;
}

/**
 * A sequence config's job: its datasets, its model, and the check that they fit (the data
 * keys the model reads, their dims), reported as config problems before any training.
 */
async function sequenceSetUp(
  settings: TrainSettings,
  deps: TrainDeps,
  backend: BackendName,
  checkpoint: CheckpointData | undefined,
  source: string | undefined,
  log: (line: string) => void,
): Promise<TrainJob<unknown>> {
  const spec = settings.sequence!;
  const real = deps.createSequenceModel && deps.openDatasets
    ? undefined
    : await (await import("./wiring.ts")).defaultDeps();
  const open = deps.openDatasets ?? real!.openDatasets!;
  const create = deps.createSequenceModel ?? real!.createSequenceModel!;
  const data = await open(spec.data);
  let model;
  try {
    model = await create(spec, {
      backend,
      seed: settings.seed,
      ...(checkpoint
        ? { start: { epoch: checkpoint.epoch + 1, step: checkpoint.globalTrainStep } }
        : {}),
    });
  } catch (e) {
    await data.close();
    throw e;
  }
  const problems = datasetKeyProblems(data, model);
  if (problems.length > 0) {
    model.dispose();
    await data.close();
    throw new ConfigError(problems, source);
  }
  return sequenceJob(spec, data, model, log) as TrainJob<unknown>;
}

/** What the epochs run on: the job's batches, step and scores. */
function epochRun(
  setup: Setup,
  deps: TrainDeps,
  restored: Restored,
  o: TrainOptions & { log: (line: string) => void; pendingReads: Promise<unknown>[] },
): EpochRun<unknown> {
  const { settings, job } = setup;
  const now = o.now ?? (() => performance.now());
  return {
    settings,
    control: setup.control,
    updater: restored.updater,
    model: job.step,
    train: job.train,
    scoring: job.scoring,
    outputs: job.outputs,
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

/** The rate of a step: `dynamic_learning_rate` (if set) times `learning_rate_multiplier`. */
function stepLearningRate(
  s: TrainSettings,
  deps: TrainDeps,
): EpochRun<unknown>["stepLearningRate"] {
  const dynamic = s.dynamicLearningRate === undefined
    ? undefined
    : deps.dynamicLearningRate(s.dynamicLearningRate);
  return (epochLr: number, ctx: StepContext) =>
    (dynamic === undefined ? epochLr : dynamic(ctx)) * s.learningRateMultiplier;
}

/**
 * After an epoch: the plot; then, when the epoch is saved (every `save_interval` epochs, the
 * final epoch, and the last epoch of this run, as RETURNN saves the last model at the end of
 * training), its model file `model.<epoch>.nbck` and the checkpoint `checkpoint.nbck`
 * (parameters, model state, optimizer state, step counter, history; both written atomically,
 * the checkpoint first), then RETURNN's `cleanup_old_models`.
 */
async function saveEpoch(
  run: EpochRun<unknown>,
  deps: TrainDeps,
  setup: Setup,
  history: readonly EpochRecord[],
  lastOfRun: boolean,
  log: (line: string) => void,
): Promise<void> {
  const { files, job } = setup;
  const s = run.settings;
  const epoch = history[history.length - 1].epoch;
  // The plot first: a crash between the two leaves a plot ahead of the checkpoint (redrawn
  // when the epoch is run again), never one missing the last epoch of a finished run.
  await deps.plot(files.plot, history);
  if (epoch % s.saveInterval !== 0 && epoch !== s.numEpochs && !lastOfRun) return;
  const state = await run.updater.exportState();
  const modelState = job.model.state;
  const stateValues = modelState ? await modelState.read() : [];
  const bytes = encodeCheckpoint(
    {
      epoch,
      globalTrainStep: run.globalTrainStep,
      paramNames: job.model.names,
      params: await run.updater.parameters(),
      optimizerArrays: state.arrays,
      optimizerMeta: state.meta,
      ...(modelState
        ? { stateArrays: Object.fromEntries(modelState.names.map((n, i) => [n, stateValues[i]])) }
        : {}),
      rng: { seed: s.seed, shuffle: "deriveSeed(seed, epoch)" },
      fingerprint: fingerprintOf(s),
      history,
    } satisfies CheckpointData,
  );
  await writeFileAtomic(files.checkpoint, bytes, ".tmp", "the checkpoint");
  await writeFileAtomic(
    join(s.outputDir, epochModelFile(epoch)),
    bytes,
    ".tmp",
    `the model of epoch ${epoch}`,
  );
  if (s.cleanupOldModels !== false) await cleanupOldModels(s, history, log);
}

/** RETURNN's `cleanup_old_models`: delete the epoch model files its rule does not keep. */
async function cleanupOldModels(
  s: TrainSettings,
  history: readonly EpochRecord[],
  log: (line: string) => void,
): Promise<void> {
  if (s.cleanupOldModels === false) return;
  const stored: number[] = [];
  for await (const entry of Deno.readDir(s.outputDir)) {
    const m = /^model\.(\d{3,})\.nbck$/.exec(entry.name);
    if (m && entry.isFile) stored.push(Number(m[1]));
  }
  const scores = new Map(history.map((r) => [r.epoch, scoresOf(r)]));
  const remove = epochsToDelete(stored, scores, s.cleanupOldModels);
  if (remove.length === 0) return;
  for (const e of remove) await Deno.remove(join(s.outputDir, epochModelFile(e)));
  log(`cleanup_old_models: deleted the models of epochs ${remove.join(", ")}`);
}

/** Every score of an epoch under the learning-rate file's keys. */
function scoresOf(r: EpochRecord): Record<string, number> {
  return r.scores ?? {
    train_score: r.trainScore,
    train_error: r.trainError,
    dev_score: r.devScore,
    dev_error: r.devError,
  };
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
