/**
 * The data part of a RETURNN config (`train`, `dev`, `eval`, `eval_datasets`, `batching`,
 * `chunking`, `batch_size`, `max_seqs`, `max_seq_length`, `min_seq_length`, ...) resolved the way
 * RETURNN's `__main__.load_data`, `Dataset.kwargs_update_from_config`,
 * `Dataset.get_default_kwargs_eval` and its engine's `generate_batches` calls resolve it: one
 * dataset dict and one set of batching options per dataset, checked before any work.
 *
 * @module
 */

import { type BatchingOptions, resolveBatching } from "./batching.ts";
import { parseChunking } from "./chunking.ts";
import { checkDatasetDict, createDataset, type DatasetDict } from "./create_dataset.ts";
import type { SequenceDataset } from "./dataset.ts";
import { parseSeqOrdering } from "./seq_order.ts";

/** Config keys this module reads (the trainer's unknown-key check should accept them). */
export const DATA_CONFIG_KEYS: readonly string[] = Object.freeze([
  "train",
  "dev",
  "eval",
  "eval_datasets",
  "batching",
  "chunking",
  "min_chunk_size",
  "chunking_variance",
  "window",
  "context_window",
  "shuffle_frames_of_nseqs",
  "on_size_limit",
  "chunk_eval",
  "batch_size",
  "max_seqs",
  "max_seq_length",
  "min_seq_length",
  "max_pad_size",
  "seq_drop",
  "seq_drop_freq",
  "shuffle_batches",
  "inc_seq_length",
  "cache_size",
]);

/** One dataset of a config: its final dict and the batching RETURNN's engine uses for it. */
export interface DatasetSpec {
  /** `train`, `dev`, `eval`, or the `eval_datasets` key. */
  readonly name: string;
  /** The dataset dict with RETURNN's defaults applied (pass it to `createDataset`). */
  readonly dict: DatasetDict;
  /** The options for `ds.batches(...)` (add `used_data_keys`: the keys the model reads). */
  readonly batching: BatchingOptions;
}

/** The resolved data config. */
export interface DataConfig {
  /** The training dataset, if the config has `train`. */
  readonly train?: DatasetSpec;
  /** The evaluation datasets, in RETURNN's order: `dev`, `eval`, then `eval_datasets`. */
  readonly eval: readonly DatasetSpec[];
}

/**
 * Resolve and check the data part of a RETURNN config, reporting every problem at once.
 *
 * Rules (RETURNN's):
 * - `train`: the dict as given; config-level `batching` sets its `seq_ordering`, `chunking` its
 *   chunking, and `min_chunk_size`, `window`, `context_window`, `chunking_variance`,
 *   `shuffle_frames_of_nseqs` their options, each only where the dict does not set it (a key
 *   set to `null` in the dict counts as not set). Batching: `batch_size` (default 1),
 *   `max_seqs` (-1), `max_seq_length`, `min_seq_length`, `max_pad_size`.
 * - `dev`, `eval`: `seq_ordering: "sorted"` and no chunking by default (chunking `batch_size`
 *   if `on_size_limit` is `"chunk"`, `"1"` if `chunking` is `"1"`, the config's `chunking` if
 *   `chunk_eval`), the dict's own keys win; then the other config-level keys as for train.
 *   Batching: `batch_size`, `max_seqs`, and `max_seq_length` for `dev` only.
 * - `eval_datasets` (name -> dict): the dicts as given (only `name` added), batching
 *   `batch_size` and `max_seqs`.
 * - A dataset may also be a string of comma-separated HDF files (`"a.hdf,b.hdf"`).
 *
 * @param config The config (only the keys of {@linkcode DATA_CONFIG_KEYS} are read).
 * @returns Dataset dicts and batching options.
 * @throws {TypeError} Listing every problem: bad config values, unknown dataset classes or
 * options (with suggestions), unknown orderings, chunking RETURNN rejects, missing files.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveDataConfig } from "./data_config.ts";
 *
 * const data = resolveDataConfig({
 *   train: { class: "HDFDataset", files: ["tests/fixtures/returnn_data/pub_a.hdf"] },
 *   dev: { class: "HDFDataset", files: ["tests/fixtures/returnn_data/pub_b.hdf"] },
 *   batching: "random",
 *   chunking: "20:10",
 *   batch_size: 500,
 *   max_seq_length: { classes: 30 },
 * });
 * assert.equal(data.train!.dict.seq_ordering, "random");
 * assert.equal(data.train!.dict.chunking, "20:10");
 * assert.equal(data.eval[0].dict.seq_ordering, "sorted");
 * assert.equal(data.eval[0].dict.chunking, "0");
 * assert.deepEqual(data.eval[0].batching, { batch_size: 500, max_seqs: -1, max_seq_length: { classes: 30 } });
 * ```
 */
export function resolveDataConfig(config: Readonly<Record<string, unknown>>): DataConfig {
  const { problems, data } = _resolve(config);
  if (problems.length > 0) {
    throw new TypeError(
      `The config's data settings have ${problems.length} problem${
        problems.length > 1 ? "s" : ""
      }:` +
        `\n  - ${problems.join("\n  - ")}`,
    );
  }
  return data;
}

/**
 * The problems of the data part of a config, as {@linkcode resolveDataConfig} finds them (for a
 * caller that reports them with other problems), and the resolved config (complete only when
 * there are none).
 *
 * @param config The config.
 * @returns Every problem (empty: fine) and the resolved data config.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkDataConfig } from "./data_config.ts";
 *
 * const { problems } = checkDataConfig({ train: { class: "Task12AXDataset", num_seq: 10 } });
 * assert.match(problems[0], /Did you mean 'num_seqs'/);
 * ```
 */
export function checkDataConfig(
  config: Readonly<Record<string, unknown>>,
): { problems: string[]; data: DataConfig } {
  return _resolve(config);
}

function _resolve(
  config: Readonly<Record<string, unknown>>,
): { problems: string[]; data: DataConfig } {
  const problems: string[] = [];
  const has = (k: string) => config[k] !== undefined && config[k] !== null;
  // Config-level values, checked once.
  if (has("batching")) {
    try {
      parseSeqOrdering(config.batching);
    } catch (e) {
      problems.push(`batching: ${(e as Error).message}`);
    }
  }
  if (has("chunking")) {
    try {
      parseChunking(config.chunking, "config chunking");
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  const onSizeLimit = config.on_size_limit ?? "ignore";
  if (onSizeLimit !== "ignore" && onSizeLimit !== "chunk") {
    problems.push(`on_size_limit must be "ignore" or "chunk", got ${JSON.stringify(onSizeLimit)}`);
  }
  if (has("chunk_eval") && typeof config.chunk_eval !== "boolean") {
    problems.push("chunk_eval must be true or false");
  }
  const unsupported: [string, unknown[], string][] = [
    ["seq_drop", [0], "dropping random sequences is not implemented"],
    ["shuffle_batches", [false], "shuffling the batches of an epoch is not implemented"],
    ["inc_seq_length", [0], "growing max_seq_length per epoch is not implemented"],
  ];
  for (const [k, ok, why] of unsupported) {
    if (has(k) && !ok.includes(config[k])) {
      problems.push(`${k} = ${JSON.stringify(config[k])} is not supported (${why}); remove it`);
    }
  }
  const maxSeqLength = config.max_seq_length || undefined;
  const minSeqLength = config.min_seq_length || undefined;
  const common: BatchingOptions = {
    batch_size: (config.batch_size ?? 1) as BatchingOptions["batch_size"],
    max_seqs: (config.max_seqs ?? -1) as number,
  };
  const train: BatchingOptions = {
    ...common,
    ...(maxSeqLength !== undefined
      ? { max_seq_length: maxSeqLength as BatchingOptions["max_seq_length"] }
      : {}),
    ...(minSeqLength !== undefined
      ? { min_seq_length: minSeqLength as BatchingOptions["min_seq_length"] }
      : {}),
    ...(has("max_pad_size")
      ? { max_pad_size: config.max_pad_size as BatchingOptions["max_pad_size"] }
      : {}),
  };
  try {
    resolveBatching(train, "the config");
  } catch (e) {
    problems.push(...(e as Error).message.split("\n  - ").slice(1));
  }
  const dev: BatchingOptions = {
    ...common,
    ...(maxSeqLength !== undefined ? { max_seq_length: train.max_seq_length } : {}),
  };

  const fromConfig = (kwargs: Record<string, unknown>) => {
    const setOrRemove = (key: string, value: unknown) => {
      if (key in kwargs && kwargs[key] === null) delete kwargs[key];
      if (value !== undefined && value !== null && !(key in kwargs)) kwargs[key] = value;
    };
    setOrRemove("window", config.window || null);
    setOrRemove("context_window", config.context_window);
    setOrRemove("chunking", config.chunking);
    setOrRemove("seq_ordering", config.batching);
    setOrRemove("shuffle_frames_of_nseqs", config.shuffle_frames_of_nseqs || null);
    setOrRemove("min_chunk_size", config.min_chunk_size || null);
    setOrRemove("chunking_variance", config.chunking_variance ?? 0);
    return kwargs;
  };
  const evalDefaults = () => {
    let chunking: unknown = "0";
    if (onSizeLimit === "chunk") chunking = String(config.batch_size ?? "0");
    else if (String(config.chunking ?? "0") === "1") chunking = "1";
    else if (config.chunk_eval === true) chunking = config.chunking ?? "0";
    return { chunking, seq_ordering: "sorted", shuffle_frames_of_nseqs: 0 };
  };
  const asDict = (v: unknown, where: string): Record<string, unknown> | undefined => {
    if (typeof v === "string") {
      if (v.includes(":")) {
        problems.push(
          `${where}: the string form ${JSON.stringify(v)} is not supported (only comma-separated ` +
            'HDF files); write a dict like {class: "HDFDataset", files: [...]}',
        );
        return undefined;
      }
      return { class: "HDFDataset", files: v.split(",").filter((f) => f !== "") };
    }
    if (v === null || typeof v !== "object" || Array.isArray(v)) {
      problems.push(`${where}: expected a dataset dict, got ${JSON.stringify(v) ?? typeof v}`);
      return undefined;
    }
    return { ...(v as Record<string, unknown>) };
  };
  const specs = new Map<string, DatasetSpec>();
  let trainSpec: DatasetSpec | undefined;
  const load = (key: "train" | "dev" | "eval") => {
    if (!config[key]) return;
    const d = asDict(config[key], key);
    if (d === undefined) return;
    const defaults: Record<string, unknown> = key === "train" ? {} : evalDefaults();
    const dict = fromConfig({ ...defaults, name: key, ...d });
    problems.push(...checkDatasetDict(dict, key));
    const spec = {
      name: key,
      dict,
      batching: key === "train" ? train : key === "dev" ? dev : common,
    };
    if (key === "train") trainSpec = spec;
    else specs.set(key, spec);
  };
  load("dev");
  load("eval");
  load("train");
  if (has("eval_datasets")) {
    const ed = config.eval_datasets;
    if (typeof ed !== "object" || Array.isArray(ed)) {
      problems.push("eval_datasets must be a dict of name -> dataset dict");
    } else {
      for (const [name, v] of Object.entries(ed as Record<string, unknown>)) {
        const d = asDict(v, `eval_datasets.${name}`);
        if (d === undefined) continue;
        const dict = { name, ...d };
        problems.push(...checkDatasetDict(dict, `eval_datasets.${name}`));
        specs.set(name, { name, dict, batching: name === "dev" ? dev : common });
      }
    }
  }
  return {
    problems,
    data: { ...(trainSpec ? { train: trainSpec } : {}), eval: [...specs.values()] },
  };
}

/** The datasets of a resolved config, opened. */
export interface OpenedData {
  /** The training dataset. */
  readonly train?: SequenceDataset;
  /** The evaluation datasets by name, in RETURNN's order. */
  readonly eval: ReadonlyMap<string, SequenceDataset>;
  /** Close all of them. */
  close(): Promise<void>;
}

/**
 * Open every dataset of a resolved config; if one fails, those already open are closed and
 * every failure is reported together.
 *
 * @param data From {@linkcode resolveDataConfig}.
 * @returns The datasets.
 * @throws {TypeError} Listing each dataset that could not be opened, and why.
 */
export async function openDataConfig(data: DataConfig): Promise<OpenedData> {
  const opened: [string, SequenceDataset][] = [];
  const problems: string[] = [];
  for (const spec of [...(data.train ? [data.train] : []), ...data.eval]) {
    try {
      opened.push([spec.name, await createDataset(spec.dict, { name: spec.name })]);
    } catch (e) {
      problems.push(`${spec.name}: ${(e as Error).message}`);
    }
  }
  const close = async () => {
    for (const [, ds] of opened) await ds.close();
  };
  if (problems.length > 0) {
    await close();
    throw new TypeError(`Cannot open the config's datasets:\n  - ${problems.join("\n  - ")}`);
  }
  const map = new Map(opened);
  const train = data.train ? map.get(data.train.name) : undefined;
  return {
    ...(train ? { train } : {}),
    eval: new Map(data.eval.map((s) => [s.name, map.get(s.name)!])),
    close,
  };
}
