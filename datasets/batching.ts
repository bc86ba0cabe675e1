/**
 * RETURNN's batch building (`Dataset._generate_batches`, the recurrent case used by its engines):
 * which sequences (or chunks) go into which mini-batch.
 *
 * @module
 */

import { NumbersDict } from "./numbers_dict.ts";
import { iterateSeqs, type IterateSeqsOptions, type SeqChunk } from "./chunking.ts";
import { didYouMeanSuffix } from "../_util/did_you_mean.ts";

/** A number for every data key, or numbers per key. */
export type PerKey = number | Readonly<Record<string, number>>;

/** The batching options, with RETURNN's config names (as `ds.batches(...)` takes them). */
export interface BatchingOptions {
  /**
   * Padded frames per batch (`max_len * num_seqs`), checked per key: a number for every key or
   * a dict per key. A sequence longer than this still forms a batch of its own (with a warning).
   * @default 1 (RETURNN's engine default)
   */
  batch_size?: PerKey;
  /** Sequences per batch; -1 (or absent) means no limit. @default -1 */
  max_seqs?: number;
  /**
   * Drop sequences (chunks) longer than this: a number for every key, a dict for the keys named,
   * a negative number `-n` means `{classes: n}`; 0/absent: no limit.
   */
  max_seq_length?: PerKey | null;
  /** Drop sequences (chunks) shorter than this (number for every key, or per key). @default 0 */
  min_seq_length?: PerKey | null;
  /** Zero-padded frames allowed per batch (per key). @default no limit */
  max_pad_size?: PerKey | null;
  /** The data keys the model reads; the batch holds these. @default every key of the dataset */
  used_data_keys?: readonly string[];
}

/** The option names {@linkcode BatchingOptions} knows. */
export const BATCHING_OPTION_NAMES: readonly string[] = Object.freeze([
  "batch_size",
  "max_seqs",
  "max_seq_length",
  "min_seq_length",
  "max_pad_size",
  "used_data_keys",
]);

/** Batching options checked and converted to RETURNN's internal form. */
export interface ResolvedBatching {
  /** Padded-frame limit per key. */
  readonly batchSize: NumbersDict;
  /** Sequences per batch (`Infinity`: no limit). */
  readonly maxSeqs: number;
  /** Length limit per key. */
  readonly maxSeqLength: NumbersDict;
  /** Minimum length per key. */
  readonly minSeqLength: NumbersDict;
  /** Padding limit per key (no keys, no value: none). */
  readonly maxPadSize: NumbersDict;
  /** The keys the batches hold, if given. */
  readonly usedDataKeys?: readonly string[];
}

/**
 * Check batching options and bring them into RETURNN's internal form (as `_generate_batches`
 * does at its start), before any data is read.
 *
 * @param options The options, RETURNN's names.
 * @param where Where they come from, for messages. @default "batches()"
 * @returns The resolved options.
 * @throws {TypeError} For an unknown option (with a suggestion) or a value of the wrong type.
 * @throws {RangeError} For a value RETURNN rejects (`batch_size` not positive, `max_seqs` 0).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveBatching } from "./batching.ts";
 *
 * const b = resolveBatching({ batch_size: 500, max_seq_length: -30 });
 * assert.equal(b.batchSize.value, 500);
 * assert.deepEqual(b.maxSeqLength.toRecord(), { classes: 30 });
 * assert.throws(() => resolveBatching({ max_seq: 3 } as never), /Did you mean 'max_seqs'/);
 * ```
 */
export function resolveBatching(options: BatchingOptions, where = "batches()"): ResolvedBatching {
  const problems: string[] = [];
  for (const k of Object.keys(options)) {
    if (!BATCHING_OPTION_NAMES.includes(k)) {
      problems.push(
        `unknown batching option '${k}'.${didYouMeanSuffix(k, BATCHING_OPTION_NAMES)} Known: ` +
          BATCHING_OPTION_NAMES.join(", "),
      );
    }
  }
  const perKey = (name: string, v: unknown, allowNull: boolean): NumbersDict | undefined => {
    if (v === undefined || (allowNull && v === null)) return undefined;
    if (typeof v === "number" && Number.isFinite(v)) return new NumbersDict(v);
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      const entries = Object.entries(v);
      if (entries.every(([, x]) => typeof x === "number" && Number.isFinite(x))) {
        return new NumbersDict(v as Record<string, number>);
      }
    }
    problems.push(`'${name}' must be a number or a dict of numbers per data key, got ${_show(v)}`);
    return undefined;
  };
  let batchSize = perKey("batch_size", options.batch_size ?? 1, false) ?? new NumbersDict(1);
  if (batchSize.values().length === 0 || batchSize.values().some((x) => x <= 0)) {
    problems.push(
      `'batch_size' must be set and greater than 0 for every key, got ${_show(options.batch_size)}`,
    );
    batchSize = new NumbersDict(1);
  }
  let maxSeqs = options.max_seqs ?? -1;
  if (typeof maxSeqs !== "number" || Number.isNaN(maxSeqs)) {
    problems.push(`'max_seqs' must be a number (-1: no limit), got ${_show(maxSeqs)}`);
    maxSeqs = -1;
  }
  if (maxSeqs === -1) maxSeqs = Infinity;
  if (!(maxSeqs > 0)) problems.push(`'max_seqs' must be positive or -1, got ${maxSeqs}`);
  let rawMax = options.max_seq_length;
  if (!rawMax) rawMax = Number.MAX_SAFE_INTEGER; // RETURNN: 0/None -> sys.maxsize
  if (typeof rawMax === "number" && rawMax < 0) rawMax = { classes: -rawMax };
  const maxSeqLength = perKey("max_seq_length", rawMax, true) ?? new NumbersDict(Infinity);
  const minSeqLength = perKey("min_seq_length", options.min_seq_length || 0, true) ??
    new NumbersDict(0);
  const maxPadSize = perKey("max_pad_size", options.max_pad_size, true) ?? new NumbersDict();
  const used = options.used_data_keys;
  if (
    used !== undefined &&
    (!Array.isArray(used) || used.length === 0 || !used.every((k) => typeof k === "string"))
  ) {
    problems.push(`'used_data_keys' must be a non-empty list of data keys, got ${_show(used)}`);
  }
  if (problems.length > 0) {
    const msg = `Cannot make batches (${where}):\n  - ${problems.join("\n  - ")}`;
    throw problems.some((p) => p.includes("must be positive") || p.includes("greater than 0"))
      ? new RangeError(msg)
      : new TypeError(msg);
  }
  return {
    batchSize,
    maxSeqs,
    maxSeqLength,
    minSeqLength,
    maxPadSize,
    ...(used === undefined ? {} : { usedDataKeys: [...used] }),
  };
}

/** One mini-batch as RETURNN's `Batch`: its slices (sequence chunks) in row order. */
export type BatchPlan = SeqChunk[];

/**
 * RETURNN's `_generate_batches` (recurrent): walk the chunks of the epoch in order, drop those
 * outside the length limits, and start a new batch when the padded frames (`max_len * num_seqs`)
 * of some key would exceed `batch_size`, the sequences would exceed `max_seqs`, or the padding
 * would exceed `max_pad_size`.
 *
 * @param numSeqs Sequences in the current epoch.
 * @param seqLength Lengths per key of the sequence at a position.
 * @param chunking How to cut sequences (see {@linkcode iterateSeqs}).
 * @param batching Resolved batching options.
 * @param warn Called for a sequence longer than `batch_size`. @default console.warn
 * @returns The batches, each a list of chunks.
 */
export function* generateBatches(
  numSeqs: number,
  seqLength: (seqIdx: number) => NumbersDict,
  chunking: IterateSeqsOptions,
  batching: ResolvedBatching,
  warn: (message: string) => void = console.warn,
): Generator<BatchPlan> {
  let slices: SeqChunk[] = [];
  let maxFrames = new NumbersDict(0);
  let total = new NumbersDict(0);
  const gt = (a: number, b: number) => a > b;
  const opts = { ...chunking, usedDataKeys: chunking.usedDataKeys ?? batching.usedDataKeys };
  for (const chunk of iterateSeqs(numSeqs, seqLength, opts)) {
    const length = chunk.end.sub(chunk.start);
    if (length.anyCompare(batching.maxSeqLength, gt)) continue;
    if (length.anyCompare(batching.minSeqLength, (a, b) => a < b)) continue;
    if (length.anyCompare(batching.batchSize, gt)) {
      warn(
        `warning: sequence length (${JSON.stringify(length.toRecord())}) larger than limit ` +
          `(batch_size ${_showNd(batching.batchSize)}): it forms a batch of its own`,
      );
    }
    const dt = NumbersDict.max(maxFrames, length);
    const ds = slices.length + 1;
    if (
      slices.length >= 1 &&
      (dt.mul(ds).anyCompare(batching.batchSize, gt) || ds > batching.maxSeqs ||
        dt.mul(ds).sub(total).sub(length).anyCompare(batching.maxPadSize, gt))
    ) {
      yield slices;
      slices = [];
      maxFrames = new NumbersDict(0);
      total = new NumbersDict(0);
    }
    maxFrames = NumbersDict.max(maxFrames, length);
    total = total.add(length);
    slices.push(chunk);
  }
  if (slices.length > 0 && maxFrames.mul(slices.length).maxValue() > 0) yield slices;
}

function _show(v: unknown): string {
  return JSON.stringify(v) ?? String(v);
}

function _showNd(d: NumbersDict): string {
  return d.dict.size === 0 ? String(d.value) : JSON.stringify(d.toRecord());
}
