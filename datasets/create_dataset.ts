/**
 * `createDataset(dict)`: a RETURNN dataset dict (`{class: ..., ...}`) to a dataset.
 *
 * @module
 */

import { didYouMeanSuffix } from "../_util/did_you_mean.ts";
import type { SequenceDataset } from "./dataset.ts";
import { createDigitsDataset } from "./digits_dataset.ts";
import { HDFDataset } from "./hdf_dataset.ts";
import { MemoryDataset } from "./memory_dataset.ts";
import { MetaDataset } from "./meta_dataset.ts";
import { Task12AXDataset } from "./task12ax_dataset.ts";

/** A RETURNN dataset dict: `class` plus the class's keyword arguments. */
export type DatasetDict = Readonly<Record<string, unknown>> & { readonly class?: unknown };

/** Options of {@linkcode createDataset}. */
export interface CreateDatasetOptions {
  /** Name for messages (`train`, `dev`...). @default the dict's `name`, else its class */
  readonly name?: string;
}

type _Factory = (dict: DatasetDict, where: string) => Promise<SequenceDataset>;

const _CLASSES: Record<string, _Factory> = {
  HDFDataset: (d, w) => HDFDataset.open(d, w),
  MetaDataset: (d, w) => MetaDataset.open(d, w, createDataset),
  Task12AXDataset: (d, w) => Promise.resolve(Task12AXDataset.create(d, w)),
  MemoryDataset: (d, w) => Promise.resolve(MemoryDataset.create(d, w)),
  DigitsDataset: (d, w) => createDigitsDataset(d, w),
};

/** The dataset classes `createDataset` knows (RETURNN's class names). */
export function datasetClasses(): string[] {
  return Object.keys(_CLASSES);
}

/**
 * Create a dataset from a RETURNN dataset dict, checking every option first (unknown class or
 * option with a suggestion, bad values, missing or broken files: all reported at once).
 *
 * @param dict `{class: "HDFDataset", files: [...], seq_ordering: ..., ...}`.
 * @param options Name for messages.
 * @returns The dataset; call `await ds.initSeqOrder(epoch)`, then `ds.batches({...})`.
 * @throws {TypeError} Listing every problem of the dict.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createDataset } from "./create_dataset.ts";
 *
 * const ds = await createDataset({
 *   class: "HDFDataset",
 *   files: ["tests/fixtures/returnn_data/pub_a.hdf"],
 *   chunking: "20:10",
 * });
 * await ds.initSeqOrder(1);
 * for await (const batch of ds.batches({ batch_size: 100, max_seqs: 4 })) {
 *   assert.ok(batch.get("data").shape[1] <= 20);
 * }
 * await ds.close();
 * ```
 */
export async function createDataset(
  dict: DatasetDict,
  options: CreateDatasetOptions = {},
): Promise<SequenceDataset> {
  if (dict === null || typeof dict !== "object" || Array.isArray(dict)) {
    throw new TypeError(
      `Cannot create a dataset from ${JSON.stringify(dict)}: expected a dict like ` +
        `{class: "HDFDataset", files: ["train.hdf"]}`,
    );
  }
  const cls = dict.class;
  const where = options.name ?? (typeof dict.name === "string" ? dict.name : String(cls));
  if (typeof cls !== "string" || !(cls in _CLASSES)) {
    const known = datasetClasses();
    throw new TypeError(
      `Cannot create dataset ${where}: ${
        typeof cls === "string" ? `unknown class '${cls}'.${didYouMeanSuffix(cls, known)}` : "'class' is missing"
      } Known classes: ${known.join(", ")}`,
    );
  }
  return await _CLASSES[cls](dict, where);
}
