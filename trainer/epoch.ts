/**
 * One training epoch, in RETURNN's TF engine order: the control fixes the epoch's learning rate,
 * the training pass steps the optimizer over the epoch's mini-batches, then the training and
 * dev scores are recorded with the control (its file saved after each).
 *
 * The epoch sees its data and its model through two small interfaces, {@linkcode BatchSource}
 * and {@linkcode ModelStep}: another kind of data (sequences with lengths) or another model
 * (a network dict) is another implementation of them.
 *
 * @module
 */

import type { StepContext, TrainSettings } from "./config.ts";
import { flattenScores } from "../control/error_key.ts";
import type { Progress } from "./progress.ts";
import type { EvalResult, OutputEval, StepGradients } from "./model_types.ts";
import type { EpochControl, EpochRecord, Updater } from "./train_deps.ts";

/** Where an epoch's mini-batches come from. */
export interface BatchSource<B> {
  /** Mini-batches per epoch (progress, `epoch_continuous`, the last loss read). */
  readonly stepsPerEpoch: number;
  /** The mini-batches of an epoch in training order; the same epoch gives the same batches. */
  batches(epoch: number): Iterable<B>;
}

/** What a training step asks of the model. */
export interface ModelStep<B> {
  /** Forward, loss and gradients of one mini-batch. */
  gradients(batch: B): StepGradients;
}

/** The scores of the model on a data split after the training pass. */
export type Evaluate = (split: "train" | "dev") => Promise<EvalResult>;

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
  /** Scores of the train and dev splits. */
  readonly evaluate: Evaluate;
  /** The model's output names (RETURNN's output layers; `["output"]` for one). */
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

/** What the training pass of an epoch measured. */
interface TrainPass {
  /** Mean mini-batch loss per output (the summed loss first with several outputs). */
  readonly score: number;
  readonly perOutput: readonly number[];
  readonly steps: number;
  readonly seconds: number;
}

/**
 * Run one epoch: fix its learning rate, train, and record the train and dev scores with the
 * control (saving its file after each, as RETURNN does).
 *
 * @param run What the epoch runs on; `run.globalTrainStep` advances.
 * @param epoch The epoch (1-based).
 * @returns The epoch's record for the history (not yet saved in a checkpoint).
 */
export async function runEpoch<B>(run: EpochRun<B>, epoch: number): Promise<EpochRecord> {
  const { learningRate, decision } = await startEpoch(run, epoch);
  const pass = await trainPass(run, epoch, learningRate);
  const multi = run.outputs.length > 1;
  const trainEval = await run.evaluate("train");
  // RETURNN TF's score form, one item per output layer: the control stores one output as
  // `train_score` and several as `train_score_<output>`.
  const trainDicts = {
    train_score: perLayer("cost", run.outputs, (_, i) => multi ? pass.perOutput[i] : pass.score),
    train_error: perLayer("error", run.outputs, (o) => outputEval(trainEval, o, multi).error),
  };
  run.control.setEpochError(epoch, trainDicts);
  run.control.setEpochMeta(epoch, {
    epoch_num_train_steps: pass.steps,
    // RETURNN's engines store `round(elapsed)`: whole seconds, ties to even.
    epoch_train_time_secs: pyRound(pass.seconds),
  });
  await run.control.save();
  const dev = await run.evaluate("dev");
  const devDicts = {
    dev_score: perLayer("cost", run.outputs, (o) => outputEval(dev, o, multi).score),
    dev_error: perLayer("error", run.outputs, (o) => outputEval(dev, o, multi).error),
  };
  run.control.setEpochError(epoch, devDicts);
  await run.control.save();
  return {
    epoch,
    learningRate,
    trainScore: pass.score,
    trainError: trainEval.error,
    devScore: dev.score,
    devError: dev.error,
    steps: pass.steps,
    seconds: pass.seconds,
    decision,
    // Several outputs: every key of the file, for the summary and the plot.
    ...(multi ? { scores: Object.fromEntries(flattenScores({ ...trainDicts, ...devDicts })) } : {}),
  };
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
  run.progress.startEpoch(epoch, s.numEpochs, run.train.stepsPerEpoch, learningRate);
  return { learningRate, decision };
}

/**
 * The training pass: one optimizer step per mini-batch (never waiting for the GPU), the loss
 * read every `readEvery` steps and at the last one; the score is the mean of the losses read.
 */
async function trainPass<B>(run: EpochRun<B>, epoch: number, lr: number): Promise<TrainPass> {
  const { settings: s, updater } = run;
  const total = run.train.stepsPerEpoch;
  const multi = run.outputs.length > 1;
  const t0 = run.now();
  const losses: Promise<number>[] = [];
  const outputLosses: Promise<readonly number[]>[] = [];
  let lastLoss: Promise<number> | undefined;
  let step = 0;
  for (const batch of run.train.batches(epoch)) {
    const R = s.resetUpdaterVarsModStep;
    if (R > 0 && s.resetUpdaterVarsUnit === "steps" && step % R === 0) await updater.reset();
    const stepLr = run.stepLearningRate(lr, {
      globalTrainStep: run.globalTrainStep,
      epoch,
      epochContinuous: epoch - 1 + step / total,
      learningRate: lr,
    });
    const g = run.model.gradients(batch);
    if (step % run.readEvery === 0 || step === total - 1) {
      lastLoss = readLater(run, g.loss());
      losses.push(lastLoss);
      if (multi) outputLosses.push(readLater(run, readOutputLosses(g, run.outputs)));
    }
    await updater.step(g.grads, stepLr, run.globalTrainStep);
    g.dispose();
    run.globalTrainStep++;
    step++;
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

/** Keep a read in flight in `pendingReads`; its rejection is handled where it is awaited. */
function readLater<B, T>(run: EpochRun<B>, read: Promise<T>): Promise<T> {
  run.pendingReads.push(read);
  read.catch(() => {}); // never an unhandled rejection
  return read;
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
