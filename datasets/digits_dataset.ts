/**
 * The built-in digits table (examples/data/digits.csv.gz) as a dataset: each row is a sequence
 * of one frame, so the digits demo runs through the same data pipeline as sequence data.
 *
 * @module
 */

import { readCommonOptions, throwProblems } from "./common_options.ts";
import { MemoryDataset } from "./memory_dataset.ts";
import { DIGITS_INPUT_DIM, DIGITS_NUM_CLASSES, loadDigits } from "../trainer/digits.ts";

/** The options of `DigitsDataset` besides the common ones. */
export const DIGITS_DATASET_OPTIONS: readonly string[] = Object.freeze([
  "split",
  "dev_fraction",
  "split_seed",
  "url",
]);

/**
 * The digits table as a dataset (`{class: "DigitsDataset", split: "train" | "dev"}`): key `data`
 * (64 pixels in [0, 1], one frame per sequence) and `classes` (the digit, sparse, 10 classes);
 * tags `digits-<split>-<i>`. The train/dev split is `trainer/digits.ts`'s (stratified, seeded by
 * `split_seed`, `dev_fraction` held out).
 *
 * @param dict `{class: "DigitsDataset", split, dev_fraction?, split_seed?, url?, ...common}`.
 * @param where Name for messages. @default "DigitsDataset"
 * @returns The dataset.
 * @throws {TypeError} For bad options or a broken digits file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createDigitsDataset } from "./digits_dataset.ts";
 *
 * const ds = await createDigitsDataset({ class: "DigitsDataset", split: "dev" });
 * await ds.initSeqOrder(1);
 * assert.deepEqual(ds.seqLength(0), { data: 1, classes: 1 });
 * const [b] = await Array.fromAsync(ds.batches({ batch_size: 32 }));
 * assert.deepEqual(b.get("data").shape, [32, 1, 64]);
 * ```
 */
export async function createDigitsDataset(
  dict: Readonly<Record<string, unknown>>,
  where = "DigitsDataset",
): Promise<MemoryDataset> {
  throwProblems(checkDigitsDict(dict, where), `dataset ${where}`);
  const split = dict.split ?? "train";
  const digits = await loadDigits({
    ...(dict.dev_fraction !== undefined ? { devFraction: dict.dev_fraction as number } : {}),
    ...(dict.split_seed !== undefined ? { seed: dict.split_seed as number } : {}),
    ...(dict.url !== undefined ? { url: dict.url as string } : {}),
  });
  const part = split === "train" ? digits.train : digits.dev;
  const { split: _s, dev_fraction: _d, split_seed: _k, url: _u, ...common } = dict;
  const ones = new Int32Array(part.size).fill(1);
  return MemoryDataset.create({
    ...common,
    data: {
      data: { values: part.x, seqLens: ones, dim: DIGITS_INPUT_DIM },
      classes: { values: part.y, seqLens: ones, dim: DIGITS_NUM_CLASSES, sparse: true },
    },
    tags: Array.from({ length: part.size }, (_, i) => `digits-${split}-${i}`),
  }, where);
}

/**
 * Check a `DigitsDataset` dict without loading the table.
 *
 * @param dict The dict.
 * @param where Name for messages. @default "DigitsDataset"
 * @returns The problems (empty: fine).
 */
export function checkDigitsDict(
  dict: Readonly<Record<string, unknown>>,
  where = "DigitsDataset",
): string[] {
  const problems: string[] = [];
  readCommonOptions(dict, where, DIGITS_DATASET_OPTIONS, problems);
  const split = dict.split ?? "train";
  if (split !== "train" && split !== "dev") {
    problems.push(`${where}: 'split' must be "train" or "dev", got ${JSON.stringify(split)}`);
  }
  const f = dict.dev_fraction;
  if (f !== undefined && !(typeof f === "number" && f >= 0 && f < 1)) {
    problems.push(`${where}: 'dev_fraction' must be in [0, 1), got ${JSON.stringify(f)}`);
  }
  if (dict.split_seed !== undefined && !Number.isInteger(dict.split_seed)) {
    problems.push(`${where}: 'split_seed' must be an integer`);
  }
  return problems;
}
