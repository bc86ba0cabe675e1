/**
 * newbob's optimizers and learning-rate control inside TensorFlow.js' own `model.fit`: a
 * `tf.Optimizer` that runs `createOptimizer`'s engine (fused WGSL kernels on webgpu, updating
 * the model's variable buffers in place) and callbacks that ask the learning-rate control for
 * each epoch's rate and report the epoch's scores to it.
 *
 * @module
 */

import type * as tfjs from "@tensorflow/tfjs";
import {
  createOptimizer,
  type CreateOptimizerOptions,
  type Optimizer,
  type OptimizerState,
  type SavedOptimizerState,
  TORCH_DEFAULT_LR,
} from "../optimizers/mod.ts";
import { createLearningRateControl } from "../control/mod.ts";
import type { Tf, TfjsLayersModel, TfjsOptimizer } from "./tfjs_backend.ts";
import {
  dropHostCopy,
  flushTfjsCommands,
  tensorGpuBuffer,
  tfjsWebGpuDevice,
} from "./tfjs_gpu_buffers.ts";

/** The parts of a learning-rate control `newbobForFit` uses (`createLearningRateControl`). */
export interface FitLearningRateControl {
  /** The learning rate of epoch `epoch` (1-based), fixed the first time it is asked for. */
  learningRateForEpoch(epoch: number): number;
  /** Record the scores of epoch `epoch` (`train_score`, `dev_score`, `dev_error`, ...). */
  setEpochError(epoch: number, scores: Record<string, number>): void;
  /** Write the learning-rate file (when the control has one). */
  save(): Promise<void>;
}

/** Options of {@linkcode newbobForFit}. */
export interface NewbobForFitOptions {
  /**
   * The optimizer: a config dict as in a newbob/RETURNN config (`{class: "adam", betas: ...}`,
   * PyTorch names, RETURNN aliases), or an optimizer made by `createOptimizer` on the backend
   * the model computes on.
   */
  optimizer: Readonly<Record<string, unknown>> | Optimizer;
  /**
   * Learning-rate control: a config with RETURNN keys (`learning_rate`,
   * `learning_rate_control`, `newbob_learning_rate_decay`, `learning_rate_file`, ...) or a
   * control made by `createLearningRateControl`. Without it the rate is `learningRate`.
   */
  learningRateControl?: Record<string, unknown> | FitLearningRateControl;
  /**
   * Learning-rate file of a config-dict control (`null`: keep the history in memory only).
   * @default the config's `learning_rate_file`
   */
  learningRateFile?: string | null;
  /**
   * The constant learning rate when there is no control.
   * @default PyTorch's default of the optimizer class (1e-3 for Adam)
   */
  learningRate?: number;
  /** Further engine options (transforms, parameter groups, `noDecay`). */
  engine?: Omit<CreateOptimizerOptions, "backend" | "device">;
}

/** The `model.fit` callbacks {@linkcode newbobForFit} supplies (a tfjs `CustomCallbackArgs`). */
export interface NewbobFitCallbacks {
  /** Fixes the epoch's learning rate with the control. */
  onEpochBegin(epoch: number): Promise<void>;
  /** Reports the epoch's logs to the control as scores and saves its file. */
  onEpochEnd(epoch: number, logs?: Readonly<Record<string, unknown>>): Promise<void>;
  /** Copies the last update into the model's variables. */
  onTrainEnd(): Promise<void>;
  /** `cpu`: copies each update into the model's variables before the next batch. */
  onBatchEnd?(): Promise<void>;
}

/** What {@linkcode newbobForFit} returns: pass `optimizer` to `compile`, `callbacks` to `fit`. */
export interface NewbobFit {
  /** A `tf.Optimizer` for `model.compile({optimizer, loss})`. */
  readonly optimizer: TfjsOptimizer;
  /** Callbacks for `model.fit(x, y, {callbacks})`: learning rate per epoch, scores, syncing. */
  readonly callbacks: NewbobFitCallbacks;
  /** The learning-rate control (null without one). */
  readonly control: FitLearningRateControl | null;
  /**
   * Where the optimizer runs: `webgpu` when the model is on tfjs' webgpu backend, else `wasm`
   * (or `cpu` for an optimizer made there).
   */
  readonly backend: "cpu" | "wasm" | "webgpu";
  /** The newbob optimizer and its state (parameters, moments). */
  readonly newbob: { readonly optimizer: Optimizer; readonly state: OptimizerState };
  /** The learning rate the next update uses. */
  learningRate(): number;
  /** Save the optimizer state (a device sync on webgpu). */
  exportState(): Promise<SavedOptimizerState>;
  /** Free the optimizer state. */
  dispose(): void;
}

/** A named gradient as tfjs' `Optimizer.applyGradients` receives it. */
type NamedTensor = { name: string; tensor: tfjs.Tensor };

/** The accuracy metric names tfjs writes into epoch logs. */
const ACCURACY = /^(acc|accuracy|categoricalAccuracy|sparseCategoricalAccuracy|binaryAccuracy)$/;

/**
 * Map tfjs epoch logs to RETURNN score names: `loss` -> `train_score`, `val_loss` ->
 * `dev_score`, `acc`/`accuracy`-style metrics -> `train_error = 1 - acc` (`dev_error` for
 * `val_*`), other metrics kept as `train_<name>` / `dev_<name>`.
 *
 * @param logs The logs of `onEpochEnd`.
 * @returns The scores for `setEpochError`.
 */
export function fitLogsToScores(logs: Readonly<Record<string, unknown>>): Record<string, number> {
  const scores: Record<string, number> = {};
  for (const [key, value] of Object.entries(logs)) {
    const v = typeof value === "number" ? value : Number(value);
    if (!Number.isFinite(v) && !Number.isNaN(v)) continue;
    const dev = key.startsWith("val_");
    const name = dev ? key.slice(4) : key;
    const prefix = dev ? "dev" : "train";
    if (name === "loss") scores[`${prefix}_score`] = v;
    else if (ACCURACY.test(name)) scores[`${prefix}_error`] = 1 - v;
    else scores[`${prefix}_${name}`] = v;
  }
  return scores;
}

function isOptimizer(x: unknown): x is Optimizer {
  const o = x as Partial<Optimizer>;
  return typeof o?.init === "function" && typeof o.step === "function" &&
    typeof o.read === "function";
}

function isControl(x: unknown): x is FitLearningRateControl {
  const c = x as Partial<FitLearningRateControl>;
  return typeof c?.learningRateForEpoch === "function" && typeof c.setEpochError === "function";
}

/**
 * Bring newbob's optimizer and learning-rate control into TensorFlow.js' `model.fit`.
 *
 * Call it after the tfjs backend the model trains on is active (`loadTfjs`); on `webgpu` the
 * optimizer runs on the same device and updates the model's variable buffers in place (no host
 * copies). Do not `assign` to the model's weights afterwards (use a fresh `newbobForFit`).
 * Pass the returned `callbacks` to `fit`: they set each epoch's learning rate from the control,
 * report the epoch's scores (`loss`, `val_loss`, accuracy metrics as error rates) to it, save its
 * learning-rate file, and on cpu/wasm copy the updated parameters into the variables.
 *
 * @param model The `tf.LayersModel` to train (its trainable weights are the parameters).
 * @param options Optimizer, learning-rate control and engine options.
 * @returns The optimizer for `compile`, the callbacks for `fit`, and handles for saving.
 * @throws {TypeError} For an unknown optimizer class or invalid control settings (from
 * `createOptimizer` / `createLearningRateControl`), or a model without trainable weights.
 *
 * @example Adam with newbob learning-rate control in `model.fit`
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadTfjs } from "./tfjs_backend.ts";
 * import { newbobForFit } from "./tfjs_fit.ts";
 *
 * const { tf } = await loadTfjs("cpu");
 * const model = tf.sequential({
 *   layers: [tf.layers.dense({ inputShape: [2], units: 2, activation: "softmax" })],
 * });
 * const { optimizer, callbacks, control } = await newbobForFit(model, {
 *   optimizer: { class: "adam" },
 *   learningRateControl: { learning_rate: 0.01, learning_rate_control: "newbob" },
 * });
 * model.compile({ optimizer, loss: "categoricalCrossentropy" });
 * const x = tf.tensor2d([[0, 1], [1, 0]]);
 * const y = tf.tensor2d([[0, 1], [1, 0]]);
 * await model.fit(x, y, { epochs: 2, callbacks, validationData: [x, y] });
 * assert.equal(control!.learningRateForEpoch(1), 0.01);
 * ```
 */
export async function newbobForFit(
  model: TfjsLayersModel,
  options: NewbobForFitOptions,
): Promise<NewbobFit> {
  const tf: Tf = await import("@tensorflow/tfjs");
  const weights = model.trainableWeights;
  if (!weights?.length) {
    throw new TypeError(
      `Cannot train model '${model?.name}' with newbob: it has no trainable weights (build it ` +
        "with an input shape first)",
    );
  }
  const variables = weights.map((w) => w.read() as tfjs.Variable);
  const names = variables.map((v) => v.name);
  const index = new Map(names.map((n, i) => [n, i]));
  const wanted = tf.getBackend() === "webgpu" ? "webgpu" : "wasm";
  const device = wanted === "webgpu" ? tfjsWebGpuDevice(tf) : undefined;

  const opt = isOptimizer(options.optimizer) ? options.optimizer : await createOptimizer(
    options.optimizer,
    { ...options.engine, backend: wanted, ...(device ? { device } : {}) },
  );
  // A host model takes an optimizer on either host backend (cpu, wasm).
  const backend = wanted === "wasm" && opt.backend === "cpu" ? "cpu" : wanted;
  if (opt.backend !== backend) {
    throw new TypeError(
      `Cannot use a newbob optimizer on backend '${opt.backend}' for a model on tfjs backend ` +
        `'${tf.getBackend()}': create it with {backend: '${backend}'}${
          device ? " and the tfjs device" : ""
        }, or pass the optimizer dict`,
    );
  }

  let control: FitLearningRateControl | null = null;
  const lrc = options.learningRateControl;
  if (lrc !== undefined) {
    control = isControl(lrc) ? lrc : await createLearningRateControl(
      lrc as Record<string, unknown>,
      options.learningRateFile !== undefined ? { file: options.learningRateFile } : {},
    );
  }
  const className = String((opt.def as { name?: string }).name ?? "");
  let lr = control?.learningRateForEpoch(1) ?? options.learningRate ??
    TORCH_DEFAULT_LR[className] ?? 1e-3;
  let epoch = 1;

  // The state holds the authoritative parameters; on webgpu it scatters them back into the
  // variables' own buffers after every update.
  let buffers: GPUBuffer[] | null = null;
  let state: OptimizerState;
  if (backend === "webgpu") {
    buffers = variables.map((v) => tensorGpuBuffer(tf, v));
    flushTfjsCommands(tf);
    state = await opt.init(buffers, { names, sizes: variables.map((v) => v.size) });
  } else {
    state = await opt.init(variables.map((v) => Float32Array.from(v.dataSync())), { names });
  }

  let pending: Promise<void> | null = null;
  let pendingError: unknown = null;
  let settled = true;

  const apply = (list: NamedTensor[]): void => {
    if (pendingError) throw pendingError;
    if (!settled) {
      throw new Error(
        "Cannot apply newbob updates: the previous update was not copied into the model yet; " +
          "pass the `callbacks` returned by newbobForFit to model.fit",
      );
    }
    const grads: (tfjs.Tensor | undefined)[] = new Array(variables.length);
    for (const { name, tensor } of list) {
      const i = index.get(name);
      if (i === undefined) {
        throw new Error(
          `Cannot apply the gradient of '${name}': it is not a trainable weight of model ` +
            `'${model.name}' at newbobForFit time; call newbobForFit again after changing the model`,
        );
      }
      grads[i] = tensor;
    }
    const missing = names.filter((_, i) => !grads[i]);
    if (missing.length) {
      throw new Error(
        `Cannot apply newbob updates: no gradient for ${missing.join(", ")} (is the weight ` +
          "used by the loss? freeze it with `trainable = false` and call newbobForFit again)",
      );
    }
    if (backend === "webgpu") {
      const gb = grads.map((g) => tensorGpuBuffer(tf, g!));
      flushTfjsCommands(tf);
      // Encodes and submits the fused update without waiting; the scatter into the variable
      // buffers is in the same submit, ahead of any later tfjs work.
      void opt.step(state, gb, { learningRate: lr, epoch });
      variables.forEach((v, i) => dropHostCopy(tf, v, buffers![i], names[i]));
      return;
    }
    const host = grads.map((g) => Float32Array.from(g!.dataSync()));
    settled = false;
    pending = opt.step(state, host, { learningRate: lr, epoch })
      .then(() => opt.read(state))
      .then((values) => {
        tf.tidy(() => variables.forEach((v, i) => v.assign(tf.tensor(values[i], v.shape))));
      })
      .catch((e) => {
        pendingError = e;
      })
      .finally(() => {
        settled = true;
      });
  };

  class NewbobOptimizer extends tf.Optimizer {
    /** Registry name for serialization. */
    static get className(): string {
      return "NewbobOptimizer";
    }
    applyGradients(g: tfjs.NamedTensorMap | NamedTensor[]): void {
      apply(Array.isArray(g) ? g : Object.entries(g).map(([name, tensor]) => ({ name, tensor })));
    }
    getConfig(): tfjs.serialization.ConfigDict {
      return { newbob: className, learningRate: lr };
    }
    override dispose(): void {
      opt.dispose(state);
      super.dispose();
    }
  }
  const optimizer = new NewbobOptimizer();

  const sync = async (): Promise<void> => {
    if (pending) await pending;
    pending = null;
    if (pendingError) {
      const e = pendingError;
      pendingError = null;
      throw e;
    }
  };

  const callbacks: NewbobFitCallbacks = {
    onEpochBegin: (e: number) => {
      epoch = e + 1;
      if (control) lr = control.learningRateForEpoch(epoch);
      return Promise.resolve();
    },
    onEpochEnd: async (e: number, logs?: Readonly<Record<string, unknown>>) => {
      await sync();
      if (!control) return;
      control.setEpochError(e + 1, fitLogsToScores(logs ?? {}));
      await control.save();
      lr = control.learningRateForEpoch(e + 2);
    },
    onTrainEnd: () => sync(),
  };
  // On cpu/wasm each update is copied into the variables before the next batch. Not on webgpu:
  // an onBatchEnd callback makes tfjs read the batch loss from the GPU (a sync) every batch.
  if (backend !== "webgpu") callbacks.onBatchEnd = () => sync();

  return {
    optimizer,
    callbacks,
    control,
    backend,
    newbob: { optimizer: opt, state },
    learningRate: () => lr,
    exportState: async () => {
      await sync();
      return await opt.exportState(state);
    },
    dispose: () => optimizer.dispose(),
  };
}
