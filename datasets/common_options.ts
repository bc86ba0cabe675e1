/**
 * The options every RETURNN dataset takes (`Dataset.__init__`), checked in one place; each
 * problem is collected so a config's mistakes are reported together.
 *
 * @module
 */

import { NumbersDict } from "./numbers_dict.ts";
import { type Chunking, parseChunking } from "./chunking.ts";
import { parseSeqOrdering, type SeqOrderOptions } from "./seq_order.ts";
import { didYouMeanSuffix } from "../_util/did_you_mean.ts";

/** The common options newbob implements, with RETURNN's names. */
export const COMMON_OPTIONS: readonly string[] = Object.freeze([
  "class",
  "name",
  "seq_ordering",
  "partition_epoch",
  "repeat_epoch",
  "fixed_random_seed",
  "random_seed_offset",
  "chunking",
  "min_chunk_size",
  "unique_seq_tags",
  "estimated_num_seqs",
]);

/**
 * RETURNN options newbob accepts only at their default (value given: the only accepted ones),
 * with why, so a config that sets them is told instead of silently getting other batches.
 */
const DEFAULT_ONLY: Readonly<Record<string, { ok: readonly unknown[]; why: string }>> = {
  window: { ok: [1, 0, null], why: "frame stacking (window > 1) is not implemented" },
  context_window: { ok: [null, 1, 0], why: "context windows are not implemented" },
  shuffle_frames_of_nseqs: { ok: [0, null], why: "frame shuffling is not implemented" },
  chunking_variance: { ok: [0, null], why: "chunking_variance is not implemented" },
  seq_list_filter_file: { ok: [null], why: "seq_list_filter_file is not implemented" },
  seq_order_seq_lens_file: { ok: [null], why: "seq_order_seq_lens_file is not implemented" },
};

/** The resolved common options. */
export interface CommonOptions {
  /** Name for messages. */
  readonly name: string;
  /** Ordering options. */
  readonly order: SeqOrderOptions;
  /** Chunking, or `null`. */
  readonly chunking: Chunking | null;
  /** `min_chunk_size`. */
  readonly minChunkSize: NumbersDict;
}

/**
 * Check a dataset dict's keys against the class's known options, and read the common ones.
 *
 * @param dict The dataset dict.
 * @param where `train`, `dev`, `MetaDataset datasets.x`... for messages.
 * @param classOptions The class's own option names.
 * @param problems Collected problems (appended to).
 * @returns The common options (defaults where a value was bad).
 */
export function readCommonOptions(
  dict: Readonly<Record<string, unknown>>,
  where: string,
  classOptions: readonly string[],
  problems: string[],
): CommonOptions {
  const known = [...COMMON_OPTIONS, ...Object.keys(DEFAULT_ONLY), ...classOptions];
  for (const key of Object.keys(dict)) {
    if (!known.includes(key)) {
      problems.push(
        `${where}: unknown option '${key}' for ${dict.class}.${didYouMeanSuffix(key, known)} ` +
          `Known: ${[...COMMON_OPTIONS.slice(1), ...classOptions].join(", ")}`,
      );
    }
  }
  for (const [key, { ok, why }] of Object.entries(DEFAULT_ONLY)) {
    if (key in dict && !ok.includes(dict[key] ?? null)) {
      problems.push(
        `${where}: '${key}' = ${JSON.stringify(dict[key])} is not supported (${why}); remove it`,
      );
    }
  }
  const int = (key: string, min: number): number | undefined => {
    const v = dict[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
      problems.push(`${where}: '${key}' must be an integer >= ${min}, got ${JSON.stringify(v)}`);
      return undefined;
    }
    return v;
  };
  const partitionEpoch = int("partition_epoch", 1) ?? 1;
  const repeatEpoch = int("repeat_epoch", 1) ?? 1;
  if (partitionEpoch > 1 && repeatEpoch > 1) {
    problems.push(
      `${where}: partition_epoch and repeat_epoch cannot be combined (RETURNN forbids it); ` +
        "keep one",
    );
  }
  const fixedRandomSeed = int("fixed_random_seed", 0);
  const randomSeedOffset = int("random_seed_offset", -(2 ** 31)) ?? 0;
  int("estimated_num_seqs", 0);
  let seqOrdering = "default";
  if (dict.seq_ordering !== undefined && dict.seq_ordering !== null) {
    try {
      parseSeqOrdering(dict.seq_ordering);
      seqOrdering = dict.seq_ordering as string;
    } catch (e) {
      problems.push(`${where}: ${(e as Error).message}`);
    }
  }
  let chunking: Chunking | null = null;
  try {
    chunking = parseChunking(dict.chunking ?? null, `${where} chunking`);
  } catch (e) {
    problems.push((e as Error).message);
  }
  let minChunkSize = new NumbersDict(0);
  const mcs = dict.min_chunk_size;
  if (mcs !== undefined && mcs !== null) {
    if (typeof mcs === "number" && Number.isInteger(mcs) && mcs >= 0) {
      minChunkSize = new NumbersDict(mcs);
    } else if (
      typeof mcs === "object" && !Array.isArray(mcs) &&
      Object.values(mcs).every((x) => Number.isInteger(x) && (x as number) >= 0)
    ) {
      minChunkSize = new NumbersDict(mcs as Record<string, number>);
    } else {
      problems.push(
        `${where}: 'min_chunk_size' must be a non-negative integer or a dict of them, got ` +
          JSON.stringify(mcs),
      );
    }
  }
  if (dict.unique_seq_tags !== undefined && typeof dict.unique_seq_tags !== "boolean") {
    problems.push(`${where}: 'unique_seq_tags' must be true or false`);
  }
  if (dict.name !== undefined && typeof dict.name !== "string") {
    problems.push(`${where}: 'name' must be a string`);
  }
  return {
    name: typeof dict.name === "string" ? dict.name : where,
    order: {
      seqOrdering,
      partitionEpoch,
      repeatEpoch,
      fixedRandomSeed: fixedRandomSeed ?? null,
      randomSeedOffset,
      uniqueSeqTags: dict.unique_seq_tags === true,
    },
    chunking,
    minChunkSize,
  };
}

/**
 * Throw the collected problems as one error, if any.
 *
 * @param problems The problems.
 * @param what What could not be created.
 * @throws {TypeError} Listing every problem.
 */
export function throwProblems(problems: readonly string[], what: string): void {
  if (problems.length === 0) return;
  throw new TypeError(
    `Cannot create ${what} (${problems.length} problem${problems.length > 1 ? "s" : ""}):\n  - ` +
      problems.join("\n  - "),
  );
}
