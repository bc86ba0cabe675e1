/**
 * The sequence part of a config, RETURNN style: `train` / `dev` / `eval` / `eval_datasets`
 * dataset dicts with RETURNN's batching keys, the data keys (`extern_data` or `num_inputs` /
 * `num_outputs`), and the model as a TF `network` dict or PyTorch-style `get_model` /
 * `train_step` functions. Checked with the rest of the config, every problem at once; no
 * TensorFlow.js here.
 *
 * @module
 */

import { checkDataConfig, type DataConfig } from "../datasets/data_config.ts";
import { resolveExternData } from "../models/extern_data.ts";
import type { ExternDataSpec } from "../models/extern_data.ts";
import { validateNetwork } from "../models/network.ts";
import { type ModelFunctions, validateModelFunctions } from "../models/function_model.ts";

/** How the model of a sequence config is given. */
export type SequenceModelSpec =
  /** RETURNN's TF `network` dict (scores named as the TF engine names them). */
  | { readonly kind: "network"; readonly network: Readonly<Record<string, unknown>> }
  /** `get_model` / `train_step` (scores named as the PyTorch engine names them). */
  | { readonly kind: "functions"; readonly functions: ModelFunctions };

/** The resolved sequence part of a config. */
export interface SequenceSettings {
  /** The datasets with RETURNN's defaults and each one's batching options. */
  readonly data: DataConfig;
  /** The data keys (from `extern_data` or `num_inputs` / `num_outputs`). */
  readonly externData: ExternDataSpec;
  /** The model. */
  readonly model: SequenceModelSpec;
}

/** Whether a config is a sequence config (it has `train`, `network` or `get_model`). */
export function isSequenceConfig(c: Readonly<Record<string, unknown>>): boolean {
  return ["train", "network", "get_model", "train_step"].some((k) => c[k] !== undefined);
}

/**
 * The problems of a sequence config: the data settings (`checkDataConfig`), the data keys,
 * the network dict against them or the model functions, keys of the built-in digits job mixed
 * in, and a missing `train` or model.
 *
 * @param c The normalized config.
 * @returns Every problem (empty: fine).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sequenceProblems } from "./seq_config.ts";
 *
 * const problems = sequenceProblems({
 *   train: { class: "Task12AXDataset", num_seqs: 10 },
 *   num_inputs: 9,
 *   num_outputs: 2,
 *   network: { output: { class: "softmax", loss: "ce", from: "dta" } },
 * });
 * assert.match(problems[0], /Did you mean 'data'/);
 * ```
 */
export function sequenceProblems(c: Readonly<Record<string, unknown>>): string[] {
  const problems: string[] = [];
  for (const k of ["data", "model"]) {
    if (c[k] === undefined) continue;
    problems.push(
      k === "model" && typeof c.model === "string"
        ? "'model' is RETURNN's checkpoint path prefix: newbob writes its checkpoints into the " +
          "output folder (checkpoint.nbck, model.<epoch>.nbck); remove it (set output_dir)"
        : `'${k}' belongs to the built-in digits job and cannot be combined with RETURNN's ` +
          "train/dev datasets and network/get_model: remove it",
    );
  }
  if (c.train === undefined || c.train === null) {
    problems.push(
      "'train' is missing: a sequence config needs a training dataset dict, like " +
        'train: { class: "HDFDataset", files: ["train.hdf"] }',
    );
  }
  problems.push(...checkDataConfig(c).problems);
  const hasNetwork = c.network !== undefined && c.network !== null;
  const fnProblems = validateModelFunctions(c);
  problems.push(...fnProblems);
  if (!hasNetwork && c.get_model === undefined && c.train_step === undefined) {
    problems.push(
      "the model is missing: set 'network' (RETURNN's TF network dict) or 'get_model' and " +
        "'train_step' (functions, TypeScript configs only)",
    );
  }
  const keyProblems: string[] = [];
  const ext = resolveExternData(c, keyProblems);
  problems.push(...keyProblems);
  if (Object.keys(ext).length === 0 && keyProblems.length === 0) {
    problems.push(
      "the data keys are not described: set 'extern_data' (e.g. { data: { dim: 9 }, classes: " +
        "{ dim: 2, sparse: true } }) or 'num_inputs' and 'num_outputs', as RETURNN needs them",
    );
  } else if (hasNetwork && keyProblems.length === 0 && fnProblems.length === 0) {
    problems.push(...validateNetwork(c.network, ext));
  }
  return problems;
}

/**
 * The sequence settings of a config without problems (see {@linkcode sequenceProblems}).
 *
 * @param c The normalized config.
 * @returns The datasets, data keys and model.
 */
export function resolveSequence(c: Readonly<Record<string, unknown>>): SequenceSettings {
  const scratch: string[] = [];
  return {
    data: checkDataConfig(c).data,
    externData: resolveExternData(c, scratch),
    model: c.network !== undefined && c.network !== null
      ? { kind: "network", network: c.network as Record<string, unknown> }
      : {
        kind: "functions",
        functions: { get_model: c.get_model, train_step: c.train_step } as ModelFunctions,
      },
  };
}
