/**
 * The shape of a training config as users write it: RETURNN's snake_case key names (so settings
 * can be pasted from a RETURNN config) plus the keys the trainer itself needs. A config module
 * writes `export default { ... } satisfies Config`; a JSON config holds the same keys as data.
 *
 * The loader (`trainer/config.ts`) validates a config and translates it into the camelCase
 * {@linkcode TrainSettings} the loop uses. Nothing here imports TensorFlow.js.
 *
 * @module
 */

import type { BackendName } from "./model_types.ts";
import type { ModelFunctions } from "../models/function_model.ts";

/** A RETURNN dataset dict (`{class: "HDFDataset", files: [...], ...}`), or HDF files "a,b". */
export type DatasetDictConfig = Readonly<Record<string, unknown>> | string;

/** A number for every data key, or numbers per key (`{data: 2000, classes: 100}`). */
export type PerDataKey = number | Readonly<Record<string, number>>;

/**
 * Keyword arguments of a `dynamic_learning_rate` function, RETURNN style (snake_case). The
 * function returns the learning rate of the step; it should accept further keys (`...kwargs`)
 * so configs stay compatible when more are passed.
 */
export interface DynamicLearningRateArgs {
  /** Global index of the training step (0-based, counts mini-batches across epochs). */
  global_train_step: number;
  /** The epoch (1-based). */
  epoch: number;
  /** `epoch - 1 + fraction of the epoch done` before this step. */
  epoch_continuous: number | null;
  /** The epoch's learning rate from the learning-rate control. */
  learning_rate: number;
  /** More keys may be added in later versions. */
  [key: string]: unknown;
}

/** A `dynamic_learning_rate` function (only possible in TypeScript configs). */
export type DynamicLearningRateFn = (args: DynamicLearningRateArgs) => number;

/** RETURNN's cyclic `dynamic_learning_rate` dict: `lr * decay ** (global_train_step % interval)`. */
export interface DynamicLearningRateDict {
  /** Cycle length in steps. */
  interval: number;
  /** Factor per step within the cycle. */
  decay: number;
}

/** A learning-rate update for decay or growth: a factor, a function of the rate, or none. */
export type LearningRateUpdate = number | ((learningRate: number) => number) | null;

/** The optimizer dict: `class` plus the class's hyperparameters (PyTorch names). */
export interface OptimizerDict {
  /** Optimizer class name, e.g. `"adam"`, `"adamw"`, `"sgd"`. */
  class: string;
  /**
   * Hyperparameters of the class, and `learning_rate_multiplier` (RETURNN TF: this optimizer
   * runs at the learning rate times it; only here, not at the top level of the config).
   */
  [key: string]: unknown;
}

/** The network description handed to the model factory (`trainer/tfjs_model.ts`). */
export interface ModelSpec {
  /** Model type, e.g. `"mlp"`. */
  type: string;
  /**
   * Several outputs (RETURNN's output layers): classes per output name, e.g.
   * `{ output: 10, parity: 2 }` (a shared trunk, one softmax head per output; the loss is the
   * sum of the heads' cross-entropies; scores become `dev_score_output`, `dev_score_parity`, ...).
   * Each output's labels come from `data.targets`. Default: one output of the data's classes.
   */
  outputs?: Readonly<Record<string, number>>;
  /** Type-specific settings (hidden sizes, activation, ...). */
  [key: string]: unknown;
}

/** A data set description: a name such as `"digits"` with options. */
export interface DataSpec {
  /** Data set name, e.g. `"digits"`. */
  name: string;
  /**
   * The target of each model output (digits: `"digit"`, `"parity"`, `"ge5"`), e.g.
   * `{ output: "digit", parity: "parity" }`. Default: `output` is the digit, and an output
   * named like a target (`parity`) is that target.
   */
  targets?: Readonly<Record<string, string>>;
  /** Data-set specific options (e.g. `dev_fraction`). */
  [key: string]: unknown;
}

/**
 * A training config. Every key is optional; see `trainer/config.ts` (`CONFIG_KEYS`) for the
 * defaults and `docs/returnn-semantics.md` for the RETURNN meaning of each key.
 */
export interface Config {
  // --- what to train, where ---
  /** The network, e.g. `{ type: "mlp", hidden: [64], activation: "relu" }`. */
  model?: ModelSpec;
  /** The data set: `"digits"` or `{ name: "digits", dev_fraction: 0.2 }`. */
  data?: string | DataSpec;
  /** Number of epochs to train (1-based epochs `1..num_epochs`). */
  num_epochs?: number;
  /**
   * Mini-batch size: rows of the digits job; in a sequence config RETURNN's padded frames per
   * batch (`max_len * num_seqs`), a number or per data key.
   */
  batch_size?: PerDataKey;
  /** Compute backend; default: the best available (`defaultBackend()`). */
  backend?: BackendName;
  /** Output folder for the learning-rate file, checkpoints and the plot. */
  output_dir?: string;
  /** Seed of parameter initialisation and data shuffling. */
  seed?: number;
  /** Steps between progress updates (and loss reads on `webgpu`). */
  log_every_steps?: number;

  // --- sequence configs (RETURNN): datasets, batching, data keys, the model, saving ---
  /** The training dataset dict (RETURNN's `train`). */
  train?: DatasetDictConfig;
  /** The dev dataset (`dev_score`, `dev_error` / `dev_loss_*`; default ordering `sorted`). */
  dev?: DatasetDictConfig;
  /** An evaluation dataset (`eval_score`, ...). */
  eval?: DatasetDictConfig;
  /** More evaluation datasets by name (`<name>_score`, ...). */
  eval_datasets?: Readonly<Record<string, DatasetDictConfig>>;
  /** The training `seq_ordering` (`random`, `laplace:.100`, ...), as RETURNN's `batching`. */
  batching?: string;
  /** Training chunking (`"200:100"`, a size, or per key). */
  chunking?: unknown;
  /** Sequences per batch (`-1`: no limit). */
  max_seqs?: number;
  /** Drop longer sequences (a number, per key, or `-n` for `{classes: n}`). */
  max_seq_length?: PerDataKey;
  /** Drop shorter sequences. */
  min_seq_length?: PerDataKey;
  /** Zero-padded frames allowed per batch. */
  max_pad_size?: PerDataKey;
  /** Chunks shorter than this are dropped (RETURNN). */
  min_chunk_size?: PerDataKey;
  /** Chunk the eval datasets too (RETURNN). */
  chunk_eval?: boolean;
  /** `"ignore"` or `"chunk"` (RETURNN). */
  on_size_limit?: string;
  /** RETURNN keys newbob rejects unless off (checked with the data settings). */
  chunking_variance?: number;
  /** RETURNN data keys newbob rejects unless off. */
  window?: number;
  /** RETURNN data keys newbob rejects unless off. */
  context_window?: unknown;
  /** RETURNN data keys newbob rejects unless off. */
  shuffle_frames_of_nseqs?: number;
  /** RETURNN data keys newbob rejects unless off. */
  seq_drop?: number;
  /** RETURNN data keys newbob rejects unless off. */
  seq_drop_freq?: number;
  /** RETURNN data keys newbob rejects unless off. */
  shuffle_batches?: boolean;
  /** RETURNN data keys newbob rejects unless off. */
  inc_seq_length?: number;
  /** Accepted and ignored (newbob streams). */
  cache_size?: unknown;
  /** `"train"` (the only task). */
  task?: "train";
  /** Accepted, no effect. */
  log_verbosity?: number;
  /** Accepted, no effect (RETURNN's forward outputs). */
  model_outputs?: Readonly<Record<string, unknown>>;
  /** Accepted, no effect. */
  use_tensorflow?: boolean;
  /** RETURNN's TF network dict (data only: works in JSON configs). */
  network?: Readonly<Record<string, unknown>>;
  /** The data keys: `{data: {dim: 9}, classes: {dim: 2, sparse: true}}`. */
  extern_data?: Readonly<Record<string, unknown>>;
  /** Features of `data` (when there is no `extern_data`). */
  num_inputs?: number;
  /** Classes of `classes`, or `{key: [dim, ndim]}` (when there is no `extern_data`). */
  num_outputs?: number | Readonly<Record<string, unknown>>;
  /** Make the model (RETURNN's PyTorch-style `get_model`; TypeScript configs). */
  get_model?: ModelFunctions["get_model"];
  /** Mark the losses of a batch (RETURNN's `train_step`; TypeScript configs). */
  train_step?: ModelFunctions["train_step"];
  /** Save the model every N epochs (and the last epoch). @default 1 */
  save_interval?: number;
  /** Delete old epoch models by RETURNN's rule: `true` or `{keep_last_n, keep_best_n, keep}`. */
  cleanup_old_models?:
    | boolean
    | Readonly<{ keep_last_n?: number; keep_best_n?: number; keep?: readonly number[] }>;
  /** Stop when the train score is inf/nan. @default true */
  stop_on_nonfinite_train_score?: boolean;

  // --- learning-rate control (RETURNN) ---
  /**
   * `constant`, `newbob`, `newbob_rel`, `newbob_relative`, `newbob_abs`, `newbob_multi_epoch`,
   * `reduce_on_plateau` (PyTorch's ReduceLROnPlateau, options in `reduce_on_plateau`).
   */
  learning_rate_control?: string;
  /** Options of the `reduce_on_plateau` control (PyTorch names: factor, patience, ...). */
  reduce_on_plateau?: Readonly<Record<string, unknown>>;
  /** The default learning rate. */
  learning_rate?: number;
  /** Per-epoch learning rates (list from epoch 1, or `{epoch: lr}`). */
  learning_rates?: readonly number[] | Readonly<Record<number | string, number>>;
  /** Lower clip applied right after a decay. */
  min_learning_rate?: number;
  /** Decay update (takes precedence over `newbob_learning_rate_decay`). */
  learning_rate_decay?: LearningRateUpdate;
  /** Decay update. */
  newbob_learning_rate_decay?: LearningRateUpdate;
  /** Growth update (takes precedence over `newbob_learning_rate_growth`). */
  learning_rate_growth?: LearningRateUpdate;
  /** Growth update. */
  newbob_learning_rate_growth?: LearningRateUpdate;
  /** Relative-improvement threshold (`newbob_rel`, `newbob_multi_epoch`). */
  newbob_relative_error_threshold?: number;
  /** Grow threshold (`newbob_multi_epoch`). */
  newbob_relative_error_grow_threshold?: number;
  /** Absolute threshold (`newbob_abs`). */
  newbob_error_threshold?: number;
  /** Window of `newbob_multi_epoch`. */
  newbob_multi_num_epochs?: number;
  /** Decision interval of `newbob_multi_epoch`. */
  newbob_multi_update_interval?: number;
  /** Keep a new learning rate for at least this many epochs. */
  learning_rate_control_min_num_epochs_per_new_lr?: number;
  /** Scale relative errors by the ratio of the default to the current learning rate. */
  learning_rate_control_relative_error_relative_lr?: boolean;
  /** Relative error divides by the old error. */
  newbob_relative_error_div_by_old?: boolean;
  /** Documented alias of `newbob_relative_error_div_by_old`. */
  relative_error_div_by_old?: boolean;
  /** Score key(s) the control uses, e.g. `"dev_error"`. */
  learning_rate_control_error_measure?: string | readonly string[] | null;
  /** Learning-rate file; default `<output_dir>/learning_rates`. */
  learning_rate_file?: string;
  /** Number of pretraining epochs (TF engine rule). */
  pretrain_epochs?: number;
  /** Learning rate during pretraining; default `learning_rate`. */
  pretrain_learning_rate?: number;
  /** Use the control also during pretraining. */
  use_learning_rate_control_always?: boolean;

  // --- optimizer and update (RETURNN) ---
  /** The optimizer: `{ class: "adam", ... }`. */
  optimizer?: OptimizerDict;
  /** RETURNN's TF epsilon injected into the optimizer dict when it does not set one. */
  optimizer_epsilon?: number;
  /** RETURNN's TF momentum injected when the class takes it and it is not 0. */
  momentum?: number;
  /** Per-step learning-rate function or cyclic dict. */
  dynamic_learning_rate?: DynamicLearningRateFn | DynamicLearningRateDict;
  /** Sum gradients over this many steps before an update (0/1: off). */
  accum_grad_multiple_step?: number;
  /** `"global"` (TF: windows aligned to the global step, across epochs) or `"epoch"` (Torch). */
  accum_grad_window?: "global" | "epoch";
  /**
   * Global-norm clip rule: `"torch"` (default; norm of the processed gradients, `c/(N+1e-6)`)
   * or `"tf"` (norm of the raw step gradients, `c/max(N, c)`).
   */
  gradient_transform_style?: "torch" | "tf";
  /** Per-element gradient clip to `[-c, c]`. */
  gradient_clip?: number;
  /** Per-tensor L2 norm clip. */
  gradient_clip_norm?: number;
  /** Global L2 norm clip. */
  gradient_clip_global_norm?: number;
  /** Standard deviation of truncated-normal gradient noise. */
  gradient_noise?: number;
  /** Allowed consecutive steps with a non-finite gradient norm (skipped). */
  num_allowed_consec_invalid_gradient_steps?: number;
  /** Re-initialise the optimizer state every N epochs (or steps, see `reset_updater_vars_unit`). */
  reset_updater_vars_mod_step?: number;
  /** `"epochs"` (newbob default, as the RETURNN docs describe) or `"steps"` (RETURNN TF code). */
  reset_updater_vars_unit?: "epochs" | "steps";
}
