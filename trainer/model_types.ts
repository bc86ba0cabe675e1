/**
 * The seam between the training loop and TensorFlow.js. The loop (`trainer/train.ts`) only
 * sees these types; `trainer/tfjs_*.ts` implements them. Nothing here imports tfjs, so the
 * loop, the checkpoints and the config loader type-check and load without TensorFlow.js.
 *
 * @module
 */

/**
 * Defaults of the built-in MLP (`model: { type: "mlp" }`), the one place they are set: the
 * config's defaults, the wiring and the tfjs model read them.
 */
export const MLP_DEFAULTS: Readonly<{ hidden: readonly number[]; activation: "relu" | "tanh" }> =
  Object.freeze({ hidden: Object.freeze([64]), activation: "relu" });

/** Where tensors live and who computes gradients. */
export type BackendName = "cpu" | "wasm" | "webgpu";

/** One mini-batch of a classification data set: row-major features and integer labels. */
export interface Batch {
  /** Features, `size * inputDim` values, row-major. */
  readonly x: Float32Array;
  /** Class labels `0..numClasses-1`, one per row (the first output's, with several outputs). */
  readonly y: Int32Array;
  /** Number of rows. */
  readonly size: number;
  /**
   * Labels per output name, for models with several outputs (`{output: digits, parity: bits}`).
   * A model with one output uses `y`.
   */
  readonly targets?: Readonly<Record<string, Int32Array>>;
}

/**
 * Gradients of one mini-batch. On `cpu`/`wasm` they are host arrays; on `webgpu` they are
 * GPU buffers on the device shared with the optimizer (valid until `dispose()` is called).
 */
export interface StepGradients {
  /** One gradient per trainable tensor, in `TrainModel.names` order. */
  readonly grads: Float32Array[] | GPUBuffer[];
  /** The mini-batch loss; reading it may synchronise with the device, so read rarely. */
  loss(): Promise<number>;
  /**
   * The mini-batch loss of each output, in `TrainModel.outputs` order (their sum is `loss()`;
   * read together with it, no second sync). Optional: absent means one output with `loss()`.
   */
  outputLosses?(): Promise<readonly number[]>;
  /** Release the gradient tensors (call after the optimizer step has been encoded). */
  dispose(): void;
}

/** Score and error rate of one output on a data set. */
export interface OutputEval {
  /** Mean cross-entropy of the output over the set (RETURNN's `cost:<output>`). */
  readonly score: number;
  /** Fraction of rows this output misclassifies (RETURNN's `error:<output>`). */
  readonly error: number;
}

/** Evaluation result of a data set: summed loss and error counts. */
export interface EvalResult {
  /**
   * Mean cross-entropy over the set (RETURNN's `*_score`); with several outputs the sum of the
   * outputs' scores (the training loss).
   */
  readonly score: number;
  /** Fraction of misclassified rows (RETURNN's `*_error`); the first output's with several. */
  readonly error: number;
  /** Number of rows evaluated. */
  readonly count: number;
  /** Per output name, in `TrainModel.outputs` order (optional: absent means one output). */
  readonly outputs?: Readonly<Record<string, OutputEval>>;
}

/**
 * Non-trainable tensors a checkpoint must hold for an exact resume (batch-norm running
 * statistics), by stable name.
 */
export interface ModelState {
  /** Stable names. */
  readonly names: readonly string[];
  /** Current values (a device read on `webgpu`). */
  read(): Promise<Float32Array[]>;
  /** Overwrite them (resuming). */
  write(values: readonly Float32Array[]): Promise<void>;
}

/**
 * A model's parameters as the optimizer engine and the checkpoints see them (every model
 * kind: the digits MLP, network dicts, `get_model` models).
 */
export interface ParamModel {
  /** Stable names of the trainable tensors (used in checkpoints and for weight-decay masks). */
  readonly names: readonly string[];
  /** Shapes of the trainable tensors, in `names` order. */
  readonly shapes: readonly (readonly number[])[];
  /** The backend the model computes on. */
  readonly backend: BackendName;
  /**
   * Parameters to hand to the optimizer's `init`: host copies on `cpu`/`wasm`, the model's own
   * GPU buffers on `webgpu` (updated in place by the optimizer, no copy through the host).
   */
  parameters(): Promise<Float32Array[] | GPUBuffer[]>;
  /**
   * Tell the model that the optimizer changed its parameters. On `cpu`/`wasm` `values` are the
   * new host values to assign; on `webgpu` the buffers were updated in place and `values` is
   * omitted.
   */
  parametersUpdated(values?: readonly Float32Array[]): void;
  /** Overwrite all parameters (used when resuming from a checkpoint). */
  setParameters(values: readonly Float32Array[]): Promise<void>;
  /** Non-trainable tensors saved in checkpoints (absent: none). */
  readonly state?: ModelState;
  /** Free all tensors. */
  dispose(): void;
  /** What the model runs on, for the log line (e.g. the tfjs backend and adapter). */
  readonly message?: string;
  /**
   * The WebGPU device the model computes on (`webgpu`): the optimizer uses the same one, and a
   * lost device is reported as such. Absent or `null` on the other backends.
   */
  readonly device?: GPUDevice | null;
}

/** A trainable model of the digits job as the loop sees it. */
export interface TrainModel extends ParamModel {
  /**
   * Names of the model's outputs (RETURNN's output layers; they name the score keys:
   * `dev_score_<output>` with several). Optional: absent means one output, `output`.
   */
  readonly outputs?: readonly string[];
  /** Forward, loss and gradients of one mini-batch. */
  gradients(batch: Batch): StepGradients;
  /**
   * Evaluate score and error on a data set in batches. `targets` holds the labels per output
   * name for a model with several outputs (`y` serves a model with one).
   */
  evaluate(
    x: Float32Array,
    y: Int32Array,
    batchSize: number,
    targets?: Readonly<Record<string, Int32Array>>,
  ): Promise<EvalResult>;
}

/**
 * A sequence model as the loop sees it: a network dict or `get_model` / `train_step`, on
 * RETURNN's padded batches (`datasets/`' `Batch`), with RETURNN's score accounting.
 */
export interface SequenceModel extends ParamModel {
  /** Score names: `"tf"` (network dict: `train_score`, `dev_error`) or `"torch"` (`dev_loss_ce`). */
  readonly style: "tf" | "torch";
  /** The data keys the model reads: the batches' `used_data_keys`. */
  readonly usedDataKeys: readonly string[];
  /** The data keys' dims and sparsity (checked against the datasets before training). */
  readonly externData: Readonly<Record<string, { dim: number; sparse: boolean }>>;
  /**
   * Forward, losses and gradients of one mini-batch; its marked losses join the epoch's train
   * scores (on the device, no read). `loss()` is the step's objective normalised as RETURNN
   * prints it (each loss's sum over its normalisation, added).
   */
  gradients(batch: SeqBatch, at: { globalTrainStep: number; epoch: number }): StepGradients;
  /** The train scores accumulated since the last call (RETURNN's names), then reset. */
  trainScores(): Promise<Readonly<Record<string, number | Readonly<Record<string, number>>>>>;
  /** The scores of a dataset's batches without training, named for `name` (`dev`, ...). */
  evaluate(
    name: string,
    batches: AsyncIterable<SeqBatch>,
  ): Promise<Readonly<Record<string, number | Readonly<Record<string, number>>>>>;
}

/** A padded batch of sequences (the datasets' `Batch`: `get(key)` gives values and lengths). */
export interface SeqBatch {
  /** The rows (sequence tag and frame range per key), in order. */
  readonly slices: readonly { readonly seqIdx: number }[];
  /** The padded values of a key. */
  get(key: string): {
    readonly data: Float32Array | Int32Array;
    readonly shape: readonly number[];
    readonly seqLens: Int32Array;
  };
}
