/**
 * The trainer: config loading and validation (RETURNN key names), the training loop with
 * RETURNN's learning-rate control, atomic checkpoints with exact resume, and progress output,
 * for the built-in digits job and for RETURNN sequence configs (`train`/`dev` datasets, a
 * `network` dict or `get_model`/`train_step`; the models of `./models` are re-exported);
 * `newbobForFit` brings newbob's kernels and control into TensorFlow.js' own `model.fit`.
 *
 * @example Train the embedded default job for one epoch
 * ```ts
 * import { train } from "./mod.ts";
 * import job from "../examples/digits.config.ts";
 * import { ok } from "node:assert/strict";
 *
 * const result = await train({ ...job, num_epochs: 1, backend: "cpu" }, {
 *   outputDir: ".tmp/doc-mod",
 *   progress: "none",
 *   log: () => {},
 * });
 * ok(result.history[0].devError < 0.5);
 * ```
 *
 * @module
 */

export * from "./config.ts";
export * from "./config_error.ts";
export type * from "./config_types.ts";
export * from "./checkpoint.ts";
export * from "./progress.ts";
export * from "./train.ts";
// The seams a new kind of data or model implements (sequence batches, a network dict), and
// the two hooks of data-parallel training (applyStep: gradients complete; recordScores).
export type {
  BatchSource,
  EpochBatches,
  EpochRun,
  EpochScoring,
  ModelStep,
  ScoredSet,
  StepInfo,
  TrainPass,
} from "./epoch.ts";
export { applyStep, NonFiniteScoreError, recordScores, runEpoch } from "./epoch.ts";
export type { TrainJob } from "./job.ts";
export * from "./seq_config.ts";
export * from "./cleanup_models.ts";
export { createTfjsSequenceModel, type TfjsSequenceModelOptions } from "./tfjs_seq_model.ts";
export { TfjsParameters } from "./tfjs_params.ts";
// Sequence models and losses (network dicts, model functions, CTC, scores).
export * from "../models/mod.ts";
export type * from "./train_deps.ts";
export {
  createEngineUpdater,
  createEpochControl,
  defaultDeps,
  type EngineUpdaterOptions,
} from "./wiring.ts";
export * from "./digits.ts";
export * from "./rng.ts";
export type * from "./model_types.ts";
export * from "./tfjs_backend.ts";
// `model.fit` users: loads TensorFlow.js only when called.
export * from "./tfjs_fit.ts";
// Types the public API refers to, from the areas that define them (type-only: loads nothing).
export type * from "../optimizers/mod.ts";
export type {
  Batch as SequenceBatch,
  BatchData,
  BatchesOptions,
  BatchingOptions,
  BatchSlice,
  Chunking,
  DataArray,
  DataConfig,
  DataDtype,
  DataKeyInfo,
  DatasetDict,
  DatasetSpec,
  InitSeqOrderOptions,
  NumbersDict,
  OpenedData,
  PerKey,
  SequenceDataset,
} from "../datasets/mod.ts";
export type { EpochScores } from "../control/error_key.ts";
