/**
 * One training epoch, in RETURNN's engine order: the control fixes the epoch's learning rate,
 * the training pass steps the optimizer over the epoch's mini-batches, then the training
 * scores and each evaluation dataset's scores are recorded with the control (its file saved
 * after each).
 *
 * The epoch sees its data, its model and its scores through small interfaces:
 * {@linkcode BatchSource}, {@linkcode ModelStep} and {@linkcode EpochScoring}. The digits job
 * (rows, a classifier) and sequence configs (RETURNN datasets, network dicts, model functions)
 * are two implementations of them.
 *
 * Hooks for data-parallel training (one place each): a step's gradients are complete in
 * {@linkcode applyStep} just before the update (the all-reduce point), and every score reaches
 * the control through {@linkcode recordScores} (where rank 0's scores are broadcast).
 *
 * @module
 */

import type { StepContext, TrainSettings } from "./config.ts";
import { type EpochScores, flattenScores } from "../control/error_key.ts";
import type { Progress } from "./progress.ts";
import type { StepGradients } from "./model_types.ts";
import type { EpochControl, EpochRecord, Updater } from "./train_deps.ts";

/** The mini-batches of one epoch. */
export interface EpochBatches<B> {
  /** Mini-batches in the epoch (progress; known before the first one is read). */
  readonly steps: number;
  /** The mini-batches in training order; the same epoch gives the same batches. */
  readonly batches: Iterable<B> | AsyncIterable<B>;
  /**
   * The fraction of the epoch done after a batch (RETURNN's `complete_frac`): the next step's
   * `epoch_continuous` is `epoch - 1 +` this.
   */
  doneAfter(batch: B, step: number): number;
}

/** Where an epoch's mini-batches come from. */
export interface BatchSource<B> {
  /** Start an epoch (1-based): fix its order and say how many batches it has. */
  epoch(epoch: number): Promise<EpochBatches<B>>;
}

/** Where a step is. */
export interface StepInfo {
  /** The step's `global_train_step` (0-based, across epochs). */
  readonly globalTrainStep: number;
  /** The epoch (1-based). */
  readonly epoch: number;
}

/** What a training step asks of the model. */
export interface ModelStep<B> {
  /** Forward, loss and gradients of one mini-batch. */
  gradients(batch: B, at: StepInfo): StepGradients;
}

/** What the training pass of an epoch measured. */
export interface TrainPass {
  /** Mean of the mini-batch losses read (every `readEvery` steps and the last). */
  readonly score: number;
  /** Per output, the mean of its mini-batch losses read (several outputs only). */
  readonly perOutput: readonly number[];
  /** Steps done. */
  readonly steps: number;
  /** Wall time in seconds. */
  readonly seconds: number;
}

/** Scores of one data set for the control, with the numbers the summary line shows. */
export interface ScoredSet {
  /** RETURNN's form for `setEpochError` (`{dev_score: {"cost:output": x}}`, `{dev_loss_ce: x}`). */
  readonly scores: EpochScores;
  /** The main score (the summed loss with several outputs). */
  readonly score: number;
  /** The main error rate (`NaN` when there is none). */
  readonly error: number;
}

/** How an epoch's scores are made. */
export interface EpochScoring {
  /** The training scores after the pass. */
  train(pass: TrainPass, epoch: number): Promise<ScoredSet>;
  /** The evaluation datasets, in RETURNN's order (`dev`, `eval`, then `eval_datasets`). */
  readonly evalNames: readonly string[];
  /** Scores of an evaluation dataset after the pass. */
  evaluate(name: string, epoch: number): Promise<ScoredSet>;
  /** Whether the record keeps every key (`scores`), not only the four headline numbers. */
  readonly allKeys: boolean;
}

/** Everything an epoch runs on (built once per run by `train`). */
export interface EpochRun<B> {
  /** The settings. */
  readonly settings: TrainSettings;
  /** The learning-rate control. */
  readonly control: EpochControl;
  /** The optimizer bound to the model's parameters. */
  readonly updater: Updater;
  /** The model's training step. */
  readonly model: ModelStep<B>;
  /** The training mini-batches. */
  readonly train: BatchSource<B>;
  /** The scores of the epoch. */
  readonly scoring: EpochScoring;
  /** The model's output names (several: read `outputLosses()` with the loss). */
  readonly outputs: readonly string[];
  /** Where progress goes. */
  readonly progress: Progress;
  /** Wall clock in milliseconds. */
  readonly now: () => number;
  /** Read the loss every this many steps (and at the last one): 1 unless on `webgpu`. */
  readonly readEvery: number;
  /** The step's rate from the epoch's: `dynamic_learning_rate`, times the multiplier. */
  readonly stepLearningRate: (epochLearningRate: number, ctx: StepContext) => number;
  /** Loss reads in flight (settled before the model is disposed, even after an error). */
  readonly pendingReads: Promise<unknown>[];
  /** The persistent step counter, across epochs (0-based, as RETURNN counts). */
  globalTrainStep: number;
}

/**
 * The training score became inf or nan and `stop_on_nonfinite_train_score` (RETURNN's
 * default) stops the run. The epoch is not saved; the last checkpoint stays.
 */
export class NonFiniteScoreError extends Error {
  /**
   * Make the error.
   *
   * @param message What happened, where, and what to do.
   */
  constructor(message: string) {
    super(message);
    this.name = "NonFiniteScoreError";
  }
}

/**
 * Run one epoch: fix its learning rate, train, and record the train and evaluation scores
 * with the control (saving its file after each, as RETURNN does).
 *
 * @param run What the epoch runs on; `run.globalTrainStep` advances.
 * @param epoch The epoch (1-based).
 * @returns The epoch's record for the history (not yet saved in a checkpoint).
 * @throws {NonFiniteScoreError} When the train score is inf/nan and the config stops on it.
 */
export async function runEpoch<B>(run: EpochRun<B>, epoch: number): Promise<EpochRecord> {
  const { learningRate, decision } = await startEpoch(run, epoch);
  const pass = await trainPass(run, epoch, learningRate);
  const train = await run.scoring.train(pass, epoch);
  checkFinite(run, train.scores, `after the training pass of epoch ${epoch}`);
  await recordScores(run, epoch, train.scores, {
    epoch_num_train_steps: pass.steps,
    // RETURNN's engines store `round(elapsed)`: whole seconds, ties to even.
    epoch_train_time_secs: pyRound(pass.seconds),
  });
  const evals: ScoredSet[] = [];
  for (const name of run.scoring.evalNames) {
    const scored = await run.scoring.evaluate(name, epoch);
    await recordScores(run, epoch, scored.scores);
    evals.push(scored);
  }
  const all = [train, ...evals].reduce<Record<string, number>>(
    (acc, s) => Object.assign(acc, Object.fromEntries(flattenScores(s.scores))),
    {},
  );
  return {
    epoch,
    learningRate,
    trainScore: train.score,
    trainError: train.error,
    devScore: evals[0]?.score ?? NaN,
    devError: evals[0]?.error ?? NaN,
    steps: pass.steps,
    seconds: pass.seconds,
    decision,
    ...(run.scoring.allKeys ? { scores: all } : {}),
  };
}

/**
 * Hand a data set's scores of an epoch to the control (then the meta data, as RETURNN's TF
 * engine does after the train scores) and save its file: the one place scores reach the
 * control (a data-parallel run broadcasts rank 0's scores here, so every rank takes the same
 * decision).
 *
 * @param run The run.
 * @param epoch The epoch.
 * @param scores RETURNN's form (`{dev_score: {"cost:output": x}}` or flat keys).
 * @param meta Meta data recorded with them (`epoch_num_train_steps`, ...).
 */
export async function recordScores<B>(
  run: EpochRun<B>,
  epoch: number,
  scores: EpochScores,
  meta?: Record<string, number | string>,
): Promise<void> {
  run.control.setEpochError(epoch, scores as Record<string, number | Record<string, number>>);
  if (meta !== undefined) run.control.setEpochMeta(epoch, meta);
  await run.control.save();
}

/**
 * The start of an epoch: its learning rate and why, the meta RETURNN records first, the
 * per-epoch optimizer reset, and the progress line.
 */
async function startEpoch<B>(
  run: EpochRun<B>,
  epoch: number,
): Promise<{ learningRate: number; decision: string }> {
  const { control, settings: s } = run;
  const learningRate = control.epochStartLearningRate(epoch);
  const decision = control.explain(epoch);
  control.setEpochMeta(epoch, {
    global_train_step: run.globalTrainStep,
    effective_learning_rate: run.stepLearningRate(learningRate, {
      globalTrainStep: run.globalTrainStep,
      epoch,
      epochContinuous: epoch - 1,
      learningRate,
    }),
  });
  const R = s.resetUpdaterVarsModStep;
  if (R > 0 && s.resetUpdaterVarsUnit === "epochs" && epoch > 1 && (epoch - 1) % R === 0) {
    await run.updater.reset();
  }
  run.updater.startEpoch(epoch);
  return { learningRate, decision };
}

/**
 * The training pass: one optimizer step per mini-batch (never waiting for the GPU), the loss
 * read every `readEvery` steps and at the last one; the score is the mean of the losses read.
 */
async function trainPass<B>(run: EpochRun<B>, epoch: number, lr: number): Promise<TrainPass> {
  const { settings: s, updater } = run;
  const { steps: total, batches, doneAfter } = await run.train.epoch(epoch);
  run.progress.startEpoch(epoch, s.numEpochs, total, lr);
  const multi = run.outputs.length > 1;
  const t0 = run.now();
  const losses: Promise<number>[] = [];
  const outputLosses: Promise<readonly number[]>[] = [];
  let lastLoss: Promise<number> | undefined;
  let step = 0;
  let done = 0; // fraction of the epoch before this step
  for await (const batch of batches) {
    const R = s.resetUpdaterVarsModStep;
    if (R > 0 && s.resetUpdaterVarsUnit === "steps" && step % R === 0) await updater.reset();
    const stepLr = run.stepLearningRate(lr, {
      globalTrainStep: run.globalTrainStep,
      epoch,
      epochContinuous: epoch - 1 + done,
      learningRate: lr,
    });
    const g = run.model.gradients(batch, { globalTrainStep: run.globalTrainStep, epoch });
    const read = step % run.readEvery === 0 || step === total - 1;
    if (read) {
      lastLoss = readLater(run, checkedLoss(run, g, epoch, step));
      losses.push(lastLoss);
      if (multi) outputLosses.push(readLater(run, readOutputLosses(g, run.outputs)));
    }
    await applyStep(run, g, stepLr);
    // Read every step (cpu, wasm: the value is there): an inf/nan loss stops at its step, after
    // its update, as in RETURNN; on webgpu it stops at the next read.
    if (read && run.readEvery === 1) await lastLoss;
    run.globalTrainStep++;
    step++;
    done = doneAfter(batch, step - 1);
    if (step % s.logEverySteps === 0 || step === total) {
      run.progress.update(step, lastLoss === undefined ? undefined : await lastLoss);
    }
  }
  const score = mean(await Promise.all(losses));
  // Per output: the mean of its mini-batch losses (read with the total, no extra sync).
  const perOutput = await Promise.all(outputLosses);
  run.pendingReads.length = 0;
  return {
    score,
    perOutput: run.outputs.map((_, i) => mean(perOutput.map((l) => l[i]))),
    steps: step,
    seconds: (run.now() - t0) / 1000,
  };
}

/**
 * Update the parameters from one mini-batch's gradients (accumulation, clipping, noise and the
 * optimizer are fused in the engine) and free them. `g.grads` are complete here: a
 * data-parallel run all-reduces them at this point, before the update.
 *
 * @param run The run.
 * @param g The step's gradients.
 * @param learningRate The step's learning rate.
 */
export async function applyStep<B>(
  run: EpochRun<B>,
  g: StepGradients,
  learningRate: number,
): Promise<void> {
  await run.updater.step(g.grads, learningRate, run.globalTrainStep);
  g.dispose();
}

/** The step's loss; inf/nan stops the run when the config says so (RETURNN's check). */
function checkedLoss<B>(
  run: EpochRun<B>,
  g: StepGradients,
  epoch: number,
  step: number,
): Promise<number> {
  const at = run.globalTrainStep;
  return g.loss().then(async (loss) => {
    if (!Number.isFinite(loss) && run.settings.stopOnNonfiniteTrainScore) {
      // As RETURNN's PyTorch engine: look for inf/nan in the parameters first (the read-back
      // check throws a NonFiniteParameterError naming the first such tensor).
      await run.updater.parameters();
      throw new NonFiniteScoreError(
        `Model seems broken: the loss of step ${step} of epoch ${epoch} (global_train_step ` +
          `${at}) is ${loss} (RETURNN: "Inf/nan score in step ${step}"; no inf/nan in the ` +
          "parameters); the epoch is not saved. Lower the learning rate, clip the gradients " +
          "(gradient_clip_global_norm), or set stop_on_nonfinite_train_score: false to continue",
      );
    }
    return loss;
  });
}

/** Stop on an inf/nan score of the pass when the config says so. */
function checkFinite<B>(run: EpochRun<B>, scores: EpochScores, when: string): void {
  if (!run.settings.stopOnNonfiniteTrainScore) return;
  const bad = [...flattenScores(scores)].filter(([, v]) => !Number.isFinite(v));
  if (bad.length === 0) return;
  throw new NonFiniteScoreError(
    `Model seems broken: got an inf or nan score ${when} (${
      bad.map(([k, v]) => `${k} ${v}`).join(", ")
    }); the epoch is not saved. Lower the learning rate, clip the gradients, or set ` +
      "stop_on_nonfinite_train_score: false to continue",
  );
}

/** Keep a read in flight in `pendingReads`; its rejection is handled where it is awaited. */
function readLater<B, T>(run: EpochRun<B>, read: Promise<T>): Promise<T> {
  run.pendingReads.push(read);
  read.catch(() => {}); // never an unhandled rejection
  return read;
}

/** The per-output losses of a step of a model with several outputs. */
function readOutputLosses(
  g: StepGradients,
  outputs: readonly string[],
): Promise<readonly number[]> {
  if (g.outputLosses === undefined) {
    return Promise.reject(
      new TypeError(
        `Cannot score the outputs ${outputs.join(", ")} separately: the model's gradients() ` +
          "gives no outputLosses(); implement it (one loss per output, in 'outputs' order)",
      ),
    );
  }
  return g.outputLosses();
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
