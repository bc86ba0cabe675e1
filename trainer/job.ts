/**
 * What a training run trains, as the loop sees it: the model's parameters (for the optimizer
 * and the checkpoints), its step, its batches and its scores. The digits job
 * (`trainer/digits_job.ts`) and sequence configs (`trainer/seq_job.ts`) build one.
 *
 * @module
 */

import type { BatchSource, EpochScoring, ModelStep } from "./epoch.ts";
import type { ParamModel } from "./model_types.ts";

/** A run's model, data and scores. */
export interface TrainJob<B> {
  /** The parameters (optimizer, checkpoints). */
  readonly model: ParamModel;
  /** The training step. */
  readonly step: ModelStep<B>;
  /** The training batches. */
  readonly train: BatchSource<B>;
  /** The epoch's scores. */
  readonly scoring: EpochScoring;
  /** Output names (several: per-output losses are read with each loss). */
  readonly outputs: readonly string[];
  /** One line about the model and the data, for the log. */
  readonly description: string;
  /** Free the model and close the data. */
  close(): Promise<void>;
}
