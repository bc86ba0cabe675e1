/**
 * RETURNN's sequence orderings (`Dataset.get_seq_order_for_epoch`), its random seed per epoch
 * (`Dataset._get_random_seed_for_epoch`) and `partition_epoch`, with numpy's RandomState so the
 * random orders are RETURNN's.
 *
 * @module
 */

import { NumpyRandomState } from "./numpy_random.ts";
import { didYouMean } from "../_util/did_you_mean.ts";
import { pyInt } from "./_python.ts";

/** The ordering options of a dataset dict, in camelCase (RETURNN's names in the comments). */
export interface SeqOrderOptions {
  /** `seq_ordering`, e.g. `"default"`, `"laplace:.100"`, `"random:2"`. @default "default" */
  seqOrdering?: string;
  /** `partition_epoch`: split each full epoch into this many sub-epochs. @default 1 */
  partitionEpoch?: number;
  /** `repeat_epoch`: repeat the order this many times (not with `partitionEpoch`). @default 1 */
  repeatEpoch?: number;
  /** `fixed_random_seed`: the seed of every epoch (`randomSeedOffset` is then ignored). */
  fixedRandomSeed?: number | null;
  /** `random_seed_offset`, added to the per-epoch seed. @default 0 */
  randomSeedOffset?: number;
  /** `unique_seq_tags`: keep only the first occurrence of each tag. @default false */
  uniqueSeqTags?: boolean;
}

/** A parsed `seq_ordering` string. */
export interface ParsedSeqOrdering {
  /** The method. */
  readonly method:
    | "default"
    | "default_every_n"
    | "reverse"
    | "sorted"
    | "sorted_reverse"
    | "random"
    | "random_sample"
    | "sort_bin_shuffle"
    | "sort_bin_shuffle_x2"
    | "laplace";
  /** Keep the random seed for this many epochs (`random:N`, `laplace:K:N`, ...). */
  readonly nth: number;
  /** Bins: a count (`laplace:3`), or sequences per bin (`laplace:.100`, `perBin` set). */
  readonly bins?: number;
  /** Sequences per bin (the `.N` form); the bin count is then `max(numSeqs // N, 2)`. */
  readonly perBin?: number;
  /** `default_every_n:N`. */
  readonly every?: number;
}

/** The orderings RETURNN accepts, for messages and suggestions. */
export const SEQ_ORDERINGS: readonly string[] = Object.freeze([
  "default",
  "default_every_n:N",
  "reverse",
  "sorted",
  "sorted_reverse",
  "random",
  "random:N",
  "random_sample",
  "random_sample:N",
  "sort_bin_shuffle",
  "sort_bin_shuffle:K",
  "sort_bin_shuffle:.N",
  "sort_bin_shuffle_x2",
  "sort_bin_shuffle_x2:K",
  "laplace",
  "laplace:K",
  "laplace:.N",
]);

/** Orderings that need the sequence lengths. */
export function orderingNeedsLengths(p: ParsedSeqOrdering): boolean {
  return ["sorted", "sorted_reverse", "sort_bin_shuffle", "sort_bin_shuffle_x2", "laplace"]
    .includes(p.method);
}

/**
 * Parse and check a `seq_ordering` string as RETURNN reads it (`int()` of each part), before any
 * work.
 *
 * @param s The `seq_ordering` value.
 * @returns The parsed ordering.
 * @throws {TypeError} If it is not a string.
 * @throws {RangeError} If RETURNN would reject it (unknown method, a part that is not an
 * integer, no bins); the message lists the accepted forms.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSeqOrdering } from "./seq_order.ts";
 *
 * assert.deepEqual(parseSeqOrdering("laplace:.100"), { method: "laplace", nth: 1, perBin: 100 });
 * assert.throws(() => parseSeqOrdering("lapalce"), /Did you mean 'laplace'/);
 * ```
 */
export function parseSeqOrdering(s: unknown): ParsedSeqOrdering {
  if (typeof s !== "string") {
    throw new TypeError(
      `Cannot use seq_ordering ${JSON.stringify(s)}: it must be a string such as "random" or ` +
        `"laplace:.100" (accepted: ${SEQ_ORDERINGS.join(", ")})`,
    );
  }
  const bad = (why: string) =>
    new RangeError(
      `Cannot use seq_ordering ${JSON.stringify(s)}: ${why}. Accepted: ${SEQ_ORDERINGS.join(", ")}`,
    );
  const int = (part: string, what: string) => {
    const v = pyInt(part);
    if (v === undefined) throw bad(`${what} ${JSON.stringify(part)} is not an integer`);
    return v;
  };
  if (s === "default") return { method: "default", nth: 1 };
  if (s.startsWith("default_every_n:")) {
    const parts = s.split(":");
    if (parts.length !== 2) throw bad("expected default_every_n:N");
    const every = int(parts[1], "N");
    if (every < 1) throw bad("N must be at least 1");
    return { method: "default_every_n", nth: 1, every };
  }
  if (s === "reverse" || s === "sorted" || s === "sorted_reverse") return { method: s, nth: 1 };
  for (const m of ["random", "random_sample"] as const) {
    if (s === m) return { method: m, nth: 1 };
    if (s.startsWith(`${m}:`)) return { method: m, nth: int(s.slice(m.length + 1), "N") };
  }
  for (const m of ["sort_bin_shuffle_x2", "sort_bin_shuffle", "laplace"] as const) {
    if (s !== m && !s.startsWith(`${m}:`)) continue;
    const tmp = s.split(":").slice(1);
    // RETURNN reads the bins from tmp[0] and the nth from tmp[1]; more parts are ignored.
    const nth = tmp.length <= 1 ? 1 : int(tmp[1], "the epoch count");
    if (tmp.length === 0) return { method: m, nth, bins: 2 };
    if (tmp[0].startsWith(".")) {
      const perBin = int(tmp[0].slice(1), "sequences per bin");
      if (perBin <= 0) throw bad("sequences per bin must be positive");
      return { method: m, nth, perBin };
    }
    const bins = int(tmp[0], "the bin count");
    if (bins < 1) throw bad("the bin count must be at least 1");
    return { method: m, nth, bins };
  }
  const names = ["default", "reverse", "sorted", "sorted_reverse", "random", "random_sample"]
    .concat(["sort_bin_shuffle", "sort_bin_shuffle_x2", "laplace", "default_every_n"]);
  const head = s.split(":")[0];
  const suggestion = didYouMean(head, names);
  throw new RangeError(
    `Cannot use seq_ordering ${JSON.stringify(s)}: unknown ordering.${
      suggestion ? ` Did you mean '${suggestion}'?` : ""
    } Accepted: ${SEQ_ORDERINGS.join(", ")}`,
  );
}

/**
 * RETURNN's `_get_random_seed_for_epoch`: `fixed_random_seed` if set, else the epoch (sub-epochs
 * of one `partition_epoch` share it, `nth` epochs share it) plus `random_seed_offset`.
 *
 * @param options The dataset's ordering options.
 * @param epoch The 1-based epoch (`null`/0 count as 1, as RETURNN's `epoch or 1`).
 * @param nth Keep the seed for this many epochs. @default 1
 * @returns The seed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { randomSeedForEpoch } from "./seq_order.ts";
 *
 * assert.equal(randomSeedForEpoch({ partitionEpoch: 2 }, 4), 2);
 * assert.equal(randomSeedForEpoch({ randomSeedOffset: 5 }, 3, 2), 7);
 * assert.equal(randomSeedForEpoch({ fixedRandomSeed: 9, randomSeedOffset: 5 }, 3), 9);
 * ```
 */
export function randomSeedForEpoch(
  options: SeqOrderOptions,
  epoch: number | null,
  nth = 1,
): number {
  if (options.fixedRandomSeed !== undefined && options.fixedRandomSeed !== null) {
    return options.fixedRandomSeed;
  }
  const partitionEpoch = options.partitionEpoch || 1;
  let seed = epoch || 1;
  if (partitionEpoch > 1) seed = Math.floor((seed - 1) / partitionEpoch) + 1;
  if (nth > 1) seed = Math.floor((seed - 1) / nth) + 1;
  return seed + (options.randomSeedOffset ?? 0);
}

/**
 * RETURNN's `Dataset.get_seq_order_for_epoch`: the corpus indices of one (sub-)epoch, in order.
 *
 * @param options The dataset's ordering options.
 * @param epoch The 1-based epoch.
 * @param numSeqs Sequences in the corpus (all files, before `partition_epoch`).
 * @param getSeqLen The length used for sorting (RETURNN: the input's), by corpus index; needed
 * by the sorting orderings.
 * @param getAllTags All corpus tags, needed for `uniqueSeqTags`.
 * @returns The order: position -> corpus index.
 * @throws {RangeError} If the ordering is invalid, needs lengths that are not given, or the
 * seed is out of numpy's range.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { seqOrderForEpoch } from "./seq_order.ts";
 *
 * const lens = [5, 1, 3, 2];
 * assert.deepEqual(seqOrderForEpoch({ seqOrdering: "sorted" }, 1, 4, (i) => lens[i]), [1, 3, 2, 0]);
 * assert.deepEqual(seqOrderForEpoch({ partitionEpoch: 2 }, 2, 4), [2, 3]);
 * ```
 */
export function seqOrderForEpoch(
  options: SeqOrderOptions,
  epoch: number,
  numSeqs: number,
  getSeqLen?: (corpusIndex: number) => number,
  getAllTags?: () => readonly string[],
): number[] {
  const p = parseSeqOrdering(options.seqOrdering ?? "default");
  const lens = () => {
    if (getSeqLen === undefined) {
      throw new RangeError(
        `Cannot use seq_ordering '${options.seqOrdering}': this dataset has no sequence lengths ` +
          "to sort by; use default, reverse, random or random_sample",
      );
    }
    return Array.from({ length: numSeqs }, (_, i) => getSeqLen(i));
  };
  const rnd = () => new NumpyRandomState(randomSeedForEpoch(options, epoch, p.nth));
  const binCount = () =>
    p.perBin !== undefined ? Math.max(Math.floor(numSeqs / p.perBin), 2) : p.bins!;
  let order: number[];
  switch (p.method) {
    case "default":
      order = _range(numSeqs);
      break;
    case "default_every_n": {
      const n = p.every!;
      const per = Math.floor(numSeqs / n);
      order = new Array(per * n);
      for (let k = 0; k < per * n; k++) order[k] = Math.floor(k / n) + (k % n) * per;
      break;
    }
    case "reverse":
      order = _range(numSeqs).reverse();
      break;
    case "sorted":
    case "sorted_reverse": {
      const l = lens();
      const sign = p.method === "sorted" ? 1 : -1;
      order = _range(numSeqs).sort((a, b) => sign * (l[a] - l[b]));
      break;
    }
    case "random":
      order = rnd().permutation(numSeqs);
      break;
    case "random_sample":
      order = numSeqs > 0 ? rnd().randint(0, numSeqs, numSeqs) : [];
      break;
    case "sort_bin_shuffle":
    case "sort_bin_shuffle_x2": {
      const l = lens();
      const r = rnd();
      const sorted = r.permutation(numSeqs).sort((a, b) => l[a] - l[b]);
      const bins = binCount();
      const n = sorted.length;
      order = [];
      for (const i of r.permutation(bins)) {
        const part = i === bins - 1
          ? sorted.slice(Math.floor((i * n) / bins))
          : sorted.slice(Math.floor((i * n) / bins), Math.floor(((i + 1) * n) / bins));
        if (p.method === "sort_bin_shuffle_x2") r.shuffle(part);
        order.push(...part);
      }
      break;
    }
    case "laplace": {
      const l = lens();
      const bins = binCount();
      const perm = rnd().permutation(numSeqs);
      const n = perm.length;
      order = [];
      for (let i = 0; i < bins; i++) {
        const part = perm.slice(Math.floor((i * n) / bins), Math.floor(((i + 1) * n) / bins));
        const sign = i % 2 === 1 ? -1 : 1;
        order.push(...part.sort((a, b) => sign * (l[a] - l[b])));
      }
      break;
    }
  }
  if (options.uniqueSeqTags) {
    const tags = getAllTags?.();
    if (tags === undefined) throw new RangeError("unique_seq_tags needs the sequence tags");
    const seen = new Set<string>();
    order = order.filter((i) => !seen.has(tags[i]) && (seen.add(tags[i]), true));
  }
  const partitionEpoch = options.partitionEpoch || 1;
  if (partitionEpoch > 1) order = partitionOfEpoch(order, partitionEpoch, epoch);
  const repeat = options.repeatEpoch || 1;
  if (repeat > 1) order = Array.from({ length: repeat }, () => order).flat();
  return order;
}

/**
 * The sub-epoch's share of a full order (RETURNN's `_apply_partition_epoch_and_sharding`, one
 * shard): the first `numSeqs % partitionEpoch` parts get one sequence more.
 *
 * @param order The full order.
 * @param partitionEpoch Number of parts.
 * @param epoch The 1-based epoch; part `(epoch - 1) % partitionEpoch` is taken.
 * @returns The part.
 */
export function partitionOfEpoch(
  order: readonly number[],
  partitionEpoch: number,
  epoch: number | null,
): number[] {
  const n = order.length;
  const part = ((epoch || 1) - 1) % partitionEpoch;
  const per = Math.floor(n / partitionEpoch);
  const extra = n % partitionEpoch;
  const start = part * per + Math.min(part, extra);
  return order.slice(start, start + per + (part < extra ? 1 : 0));
}

function _range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
