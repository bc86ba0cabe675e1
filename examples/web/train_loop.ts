/**
 * The web demo's training loop: RETURNN's epoch loop as the CLI's trainer runs it (the control's
 * rate per epoch, per-step rates from `dynamic_learning_rate`, `train_score` / `dev_score` /
 * `dev_error` per epoch, the control's decision), on newbob's pieces, in memory: no output
 * folder, no checkpoint, the learning-rate file kept as text. It runs wherever newbob does (a
 * browser page, or Deno for its test).
 *
 * @module
 */

import { resolveConfig, type TrainSettings } from "../../trainer/config.ts";
import { parseConfigText } from "../../trainer/config.ts";
import { createEngineUpdater } from "../../trainer/wiring.ts";
import { createTfjsModel, type TfjsTrainModel } from "../../trainer/tfjs_model.ts";
import { type Digits, loadDigits } from "../../trainer/digits.ts";
import type { BackendName } from "../../trainer/model_types.ts";
import {
  createLearningRateControl,
  type LearningRateControl,
  type LearningRateDecision,
} from "../../control/mod.ts";
import { dynamicLearningRate } from "../../schedules/dynamic_learning_rate.ts";

/** Where messages about a pasted config say it came from. */
export const PASTED = "pasted.json";

/**
 * Validate a pasted JSON config exactly as the CLI does (`cli.ts train job.json`): the same
 * parser and the same checks, so the same messages.
 *
 * @param text The pasted text.
 * @returns The settings.
 * @throws {ConfigError} Listing every problem (the CLI prints the same message).
 */
export function settingsFromText(text: string): TrainSettings {
  return resolveConfig(parseConfigText(text, PASTED), { source: PASTED });
}

/** One finished epoch. */
export interface EpochReport {
  epoch: number;
  learningRate: number;
  /** How the control decided this epoch's rate. */
  decision: LearningRateDecision;
  trainScore: number;
  devScore: number;
  devError: number;
  steps: number;
  seconds: number;
}

/** Callbacks of {@linkcode trainInMemory}. */
export interface TrainHooks {
  /** After a step whose loss was read (every `log_every_steps` steps). */
  onStep?(globalStep: number, loss: number, learningRate: number): void;
  /** After each epoch. */
  onEpoch?(report: EpochReport, control: LearningRateControl): void;
}

/** What {@linkcode trainInMemory} needs besides the settings. */
export interface TrainInMemoryOptions {
  /** tfjs backend (`webgpu` shares `device` with newbob's kernels). */
  backend: BackendName;
  /** The digits data (e.g. `loadDigits({ url })` in a page). */
  data: Digits;
  /** The device for `webgpu`. */
  device?: GPUDevice;
  /** `.wasm` folder of tfjs' wasm backend. */
  wasmPaths?: string;
  /** Stop between steps when aborted. */
  signal?: AbortSignal;
  hooks?: TrainHooks;
}

/** The result: the history and the learning-rate file's text. */
export interface TrainInMemoryResult {
  epochs: EpochReport[];
  /** RETURNN's learning-rate file (its text, as `control.save()` writes it). */
  learningRateFile: string;
  /** tfjs' description of its backend. */
  message: string;
  /** Where newbob's optimizer ran. */
  optimizerBackend: "cpu" | "webgpu";
}

function _mean(xs: readonly number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/**
 * Train the config's MLP on the digits data with newbob's optimizer (the engine, with the
 * config's gradient transforms) and learning-rate control, epoch by epoch as the CLI's trainer.
 *
 * @param settings From {@linkcode settingsFromText} (or `resolveConfig`).
 * @param options Backend, data, hooks.
 * @returns The epochs and the learning-rate file text.
 * @throws {Error} What the model, the optimizer or the control throw (a lost GPU device:
 * `GpuDeviceLostError`), or an `AbortError` when aborted.
 */
export async function trainInMemory(
  settings: TrainSettings,
  options: TrainInMemoryOptions,
): Promise<TrainInMemoryResult> {
  const { data, hooks = {} } = options;
  const control = await createLearningRateControl({ ...settings.control }, { file: null });
  const spec = settings.model as { hidden?: number[]; activation?: "relu" | "tanh" };
  const model: TfjsTrainModel = await createTfjsModel({
    kind: "mlp",
    inputDim: data.inputDim,
    numClasses: data.numClasses,
    hidden: [...(spec.hidden ?? [64])],
    activation: spec.activation ?? "relu",
  }, {
    backend: options.backend,
    seed: settings.seed,
    ...(options.device ? { device: options.device } : {}),
    ...(options.wasmPaths ? { wasmPaths: options.wasmPaths } : {}),
  });
  const updater = await createEngineUpdater(settings, model);
  const dynamic = settings.dynamicLearningRate === undefined
    ? undefined
    : dynamicLearningRate(settings.dynamicLearningRate);
  const epochs: EpochReport[] = [];
  try {
    const stepsPerEpoch = Math.ceil(data.train.size / settings.batchSize);
    const readEvery = options.backend === "webgpu" ? settings.logEverySteps : 1;
    const evalBatch = Math.max(256, settings.batchSize);
    let globalStep = 0;
    for (let epoch = 1; epoch <= settings.numEpochs; epoch++) {
      const epochLr = control.epochStartLearningRate(epoch);
      const decision = control.explain(epoch);
      const rate = (step: number) =>
        (dynamic === undefined ? epochLr : dynamic({
          globalTrainStep: globalStep,
          epoch,
          epochContinuous: epoch - 1 + step / stepsPerEpoch,
          learningRate: epochLr,
        })) * settings.learningRateMultiplier;
      Object.assign(control.epochMeta(epoch), {
        global_train_step: globalStep,
        effective_learning_rate: rate(0),
      });
      updater.startEpoch(epoch);
      const t0 = performance.now();
      const losses: Promise<number>[] = [];
      let step = 0;
      for (const batch of data.train.batches(epoch, settings.batchSize, settings.seed)) {
        options.signal?.throwIfAborted();
        const lr = rate(step);
        const g = model.gradients(batch);
        if (step % readEvery === 0 || step === stepsPerEpoch - 1) {
          const loss = g.loss();
          losses.push(loss);
          const at = globalStep;
          loss.then((l) => hooks.onStep?.(at, l, lr), () => {});
        }
        await updater.step(g.grads, lr, globalStep);
        g.dispose();
        globalStep++;
        step++;
      }
      const trainScore = _mean(await Promise.all(losses));
      const seconds = (performance.now() - t0) / 1000;
      const trainEval = await model.evaluate(data.train.x, data.train.y, evalBatch);
      control.setEpochError(epoch, {
        train_score: { "cost:output": trainScore },
        train_error: { "error:output": trainEval.error },
      });
      const dev = await model.evaluate(data.dev.x, data.dev.y, evalBatch);
      control.setEpochError(epoch, {
        dev_score: { "cost:output": dev.score },
        dev_error: { "error:output": dev.error },
      });
      Object.assign(control.epochMeta(epoch), {
        epoch_num_train_steps: step,
        epoch_train_time_secs: Math.round(seconds),
      });
      const report: EpochReport = {
        epoch,
        learningRate: epochLr,
        decision,
        trainScore,
        devScore: dev.score,
        devError: dev.error,
        steps: step,
        seconds,
      };
      epochs.push(report);
      hooks.onEpoch?.(report, control);
    }
    return {
      epochs,
      learningRateFile: control.toText(),
      message: model.message,
      optimizerBackend: model.backend === "webgpu" ? "webgpu" : "cpu",
    };
  } finally {
    updater.dispose();
    model.dispose();
  }
}

/**
 * Load the digits data from a URL (a page fetches `examples/data/digits.csv.gz` from its
 * server), split as the config says.
 *
 * @param settings The settings (`data.dev_fraction`, `seed`).
 * @param url The gzipped CSV.
 * @returns The data.
 */
export function loadDigitsFor(settings: TrainSettings, url: string | URL): Promise<Digits> {
  const devFraction = (settings.data as { dev_fraction?: number }).dev_fraction;
  return loadDigits({
    url,
    seed: settings.seed,
    ...(typeof devFraction === "number" ? { devFraction } : {}),
  });
}
