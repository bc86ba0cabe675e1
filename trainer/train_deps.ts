/**
 * The pieces the training loop is wired from, as small interfaces. `trainer/wiring.ts` builds
 * them from newbob's optimizers, transforms, schedules, learning-rate control and the
 * TensorFlow.js model; tests replace any of them with fakes (`train(config, { deps })`).
 *
 * @module
 */

import type { DataSpec, ModelSpec } from "./config_types.ts";
import type { StepContext, TrainSettings } from "./config.ts";
import type { BackendName, Batch, ParamModel, SequenceModel, TrainModel } from "./model_types.ts";
import type { SequenceSettings } from "./seq_config.ts";
import type { DataConfig, OpenedData } from "../datasets/data_config.ts";

/** One split of a classification data set. */
export interface DataPart {
  /** Features, `size * inputDim` values, row-major. */
  readonly x: Float32Array;
  /** Labels, one per row. */
  readonly y: Int32Array;
  /** Number of rows. */
  readonly size: number;
  /** Labels per output name, for models with several outputs (`y` serves one output). */
  readonly targets?: Readonly<Record<string, Int32Array>>;
  /**
   * Mini-batches of one epoch in a seeded order: the same `(epoch, batchSize, seed)` always
   * gives the same batches, whatever happened before (so resuming at an epoch is
   * reproducible).
   *
   * @param epoch The epoch number (any integer; 1-based in the trainer).
   * @param batchSize Rows per batch, a positive integer.
   * @param seed The shuffling seed. @default 0
   */
  batches(epoch: number, batchSize: number, seed?: number): IterableIterator<Batch>;
}

/** A data set with train and dev parts. */
export interface Dataset {
  /** Training rows. */
  readonly train: DataPart;
  /** Development rows (`dev_score`, `dev_error`). */
  readonly dev: DataPart;
  /** Features per row. */
  readonly inputDim: number;
  /** Number of classes (the first output's with several outputs). */
  readonly numClasses: number;
  /** Number of classes per output name, when the data has targets for several outputs. */
  readonly outputs?: Readonly<Record<string, number>>;
}

/** Saved optimizer state: arrays by stable name plus JSON scalars. */
export interface UpdaterState {
  /** State arrays (moments, accumulators) by stable name. */
  readonly arrays: Readonly<Record<string, Float32Array>>;
  /** Step counts and other scalars (JSON). */
  readonly meta: unknown;
}

/**
 * The optimizer with its gradient transforms, bound to one model's parameters. `step` never
 * waits for the GPU.
 */
export interface Updater {
  /**
   * Apply one mini-batch's gradients (accumulation, clipping, noise and the update are fused).
   * On `cpu`/`wasm` it also hands the new values to the model (`parametersUpdated`).
   */
  step(
    grads: Float32Array[] | GPUBuffer[],
    learningRate: number,
    globalTrainStep: number,
  ): Promise<void>;
  /** Called before the first step of each epoch (Torch-style accumulation drops leftovers). */
  startEpoch(epoch: number): void;
  /** Re-initialise the optimizer state (moments, step counts, accumulators); not the params. */
  reset(): Promise<void>;
  /** Current parameter values as host copies (reads the GPU on `webgpu`). */
  parameters(): Promise<Float32Array[]>;
  /** Export the optimizer state for a checkpoint. */
  exportState(): Promise<UpdaterState>;
  /** Restore a state from {@linkcode Updater.exportState}. */
  importState(state: UpdaterState): Promise<void>;
  /** Free GPU resources. */
  dispose(): void;
}

/** The learning-rate control as the loop uses it (RETURNN's LearningRateControl). */
export interface EpochControl {
  /** The learning rate of epoch `e`, fixed at its start (TF engine rule incl. pretraining). */
  epochStartLearningRate(epoch: number): number;
  /** Merge meta values into epoch `e`'s record. */
  setEpochMeta(epoch: number, meta: Record<string, number | string>): void;
  /**
   * Record scores of epoch `e` in RETURNN TF's form: `{dev_score: {"cost:output": x}}` (one
   * level of nesting per output layer; the control flattens it to `dev_score` for one output
   * and to `dev_score_<output>` for several) or flat (`{dev_score: x}`).
   */
  setEpochError(epoch: number, scores: Record<string, number | Record<string, number>>): void;
  /** Why epoch `e` got its learning rate (one line). */
  explain(epoch: number): string;
  /** Write the learning-rate file (atomically). */
  save(): Promise<void>;
}

/** One row of the per-epoch history, for the summary and the plot. */
export interface EpochRecord {
  /** Epoch (1-based). */
  readonly epoch: number;
  /** The epoch's learning rate from the control. */
  readonly learningRate: number;
  /** Mean training mini-batch loss. */
  readonly trainScore: number;
  /** Training error rate after the epoch. */
  readonly trainError: number;
  /** Dev cross-entropy. */
  readonly devScore: number;
  /** Dev error rate. */
  readonly devError: number;
  /** Steps in the epoch. */
  readonly steps: number;
  /** Training pass wall time (seconds). */
  readonly seconds: number;
  /** The control's explanation of the learning rate. */
  readonly decision: string;
  /**
   * All scores of the epoch under the keys the learning-rate file has (`train_score`, ... for
   * one output; `train_score_output`, `dev_error_parity`, ... for several).
   */
  readonly scores?: Readonly<Record<string, number>>;
}

/** Everything the loop is wired from. */
export interface TrainDeps {
  /** The best available backend when the config sets none. */
  defaultBackend(): Promise<BackendName>;
  /** Load the data set. */
  loadData(spec: DataSpec, options: { seed: number }): Promise<Dataset>;
  /** Build the model. */
  createModel(
    spec: ModelSpec,
    options: {
      backend: BackendName;
      seed: number;
      inputDim: number;
      numClasses: number;
      /** Classes per output name, when the data has targets for several outputs. */
      outputs?: Readonly<Record<string, number>>;
    },
  ): Promise<TrainModel>;
  /** Build the optimizer + transforms for the model's parameters. */
  createUpdater(settings: TrainSettings, model: ParamModel): Promise<Updater>;
  /**
   * Build a sequence config's model (network dict or `get_model`). Optional: the real one is
   * loaded when a sequence config runs without it.
   */
  createSequenceModel?(
    spec: SequenceSettings,
    options: { backend: BackendName; seed: number; dropoutStream?: number },
  ): Promise<SequenceModel>;
  /** Open a sequence config's datasets. Optional, as `createSequenceModel`. */
  openDatasets?(data: DataConfig): Promise<OpenedData>;
  /** Build the learning-rate control (loads `file` when it exists). */
  createControl(config: Readonly<Record<string, unknown>>, options: { file: string }): Promise<
    EpochControl
  >;
  /** Turn a `dynamic_learning_rate` setting into a per-step factor function. */
  dynamicLearningRate(
    setting: NonNullable<TrainSettings["dynamicLearningRate"]>,
  ): (ctx: StepContext) => number;
  /** Write the per-epoch SVG plot. */
  plot(path: string, history: readonly EpochRecord[]): Promise<void>;
}
