/**
 * `createDataset(dict)`: a RETURNN dataset dict (`{class: ..., ...}`) to a dataset.
 *
 * @module
 */

import { didYouMeanSuffix } from "../_util/did_you_mean.ts";
import type { SequenceDataset } from "./dataset.ts";
import { checkDigitsDict, createDigitsDataset } from "./digits_dataset.ts";
import { HDFDataset } from "./hdf_dataset.ts";
import { MemoryDataset } from "./memory_dataset.ts";
import { MetaDataset } from "./meta_dataset.ts";
import { Task12AXDataset } from "./task12ax_dataset.ts";
import { checkStaticDict, createStaticDataset } from "./static_dataset.ts";

/** A RETURNN dataset dict: `class` plus the class's keyword arguments. */
export type DatasetDict = Readonly<Record<string, unknown>> & { readonly class?: unknown };

/** Options of {@linkcode createDataset}. */
export interface CreateDatasetOptions {
  /** Name for messages (`train`, `dev`...). @default the dict's `name`, else its class */
  readonly name?: string;
}

interface _Class {
  create(dict: DatasetDict, where: string): Promise<SequenceDataset>;
  check(dict: DatasetDict, where: string): string[];
}

const _CLASSES: Record<string, _Class> = {
  HDFDataset: { create: (d, w) => HDFDataset.open(d, w), check: (d, w) => HDFDataset.check(d, w) },
  MetaDataset: {
    create: (d, w) => MetaDataset.open(d, w, createDataset),
    check: (d, w) => MetaDataset.check(d, w, checkDatasetDict),
  },
  Task12AXDataset: {
    create: (d, w) => Promise.resolve(Task12AXDataset.create(d, w)),
    check: (d, w) => Task12AXDataset.check(d, w),
  },
  MemoryDataset: {
    create: (d, w) => Promise.resolve(MemoryDataset.create(d, w)),
    check: (d, w) => MemoryDataset.check(d, w),
  },
  DigitsDataset: { create: (d, w) => createDigitsDataset(d, w), check: checkDigitsDict },
  StaticDataset: {
    create: (d, w) => Promise.resolve(createStaticDataset(d, w)),
    check: checkStaticDict,
  },
};

/**
 * Check a dataset dict without opening anything (its class, every option, and that its files
 * exist), returning every problem. `createDataset` runs the same checks, then opens the files.
 *
 * @param dict The dataset dict.
 * @param where Where it comes from (`train`, `eval_datasets.devtrain`...), for messages.
 * @returns The problems (empty: fine).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkDatasetDict } from "./create_dataset.ts";
 *
 * const [p] = checkDatasetDict({ class: "HDFDatset", files: ["x.hdf"] }, "train");
 * assert.match(p, /Did you mean 'HDFDataset'/);
 * ```
 */
export function checkDatasetDict(dict: unknown, where: string): string[] {
  if (dict === null || typeof dict !== "object" || Array.isArray(dict)) {
    return [
      `${where}: expected a dataset dict like {class: "HDFDataset", files: ["train.hdf"]}, got ` +
      JSON.stringify(dict),
    ];
  }
  const cls = (dict as DatasetDict).class;
  if (typeof cls !== "string" || !(cls in _CLASSES)) {
    const known = datasetClasses();
    return [
      `${where}: ${
        typeof cls === "string"
          ? `unknown dataset class '${cls}'.${didYouMeanSuffix(cls, known)}`
          : "'class' is missing."
      } Known classes: ${known.join(", ")}`,
    ];
  }
  return _CLASSES[cls].check(dict as DatasetDict, where);
}

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
        typeof cls === "string"
          ? `unknown class '${cls}'.${didYouMeanSuffix(cls, known)}`
          : "'class' is missing"
      } Known classes: ${known.join(", ")}`,
    );
  }
  return await _CLASSES[cls].create(dict, where);
}
