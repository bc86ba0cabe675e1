/**
 * RETURNN's chunking: the `chunking` option as `Dataset._parse_chunking` reads it, and the
 * chunks `Dataset.iterate_seqs` cuts from each sequence.
 *
 * @module
 */

import { NumbersDict } from "./numbers_dict.ts";
import { pyInt } from "./_python.ts";

/** What `chunking` may be in a config: `"size:step"`, a size, `[size, step]`, per-key dicts. */
export type ChunkingValue =
  | string
  | number
  | Readonly<Record<string, number>>
  | readonly [
    number | Readonly<Record<string, number>> | null,
    number | Readonly<Record<string, number>> | null,
  ]
  | null;

/** Parsed chunking: chunk size and step (a number for every key, or per key). */
export interface Chunking {
  /** Frames per chunk. */
  readonly size: NumbersDict;
  /** Frames between chunk starts. */
  readonly step: NumbersDict;
}

/**
 * Parse `chunking` as RETURNN does: `"size:step"` or `"size"` (step = size), a number, a
 * `[size, step]` pair, or per-key dicts (`{data: 20, classes: 20}`); a step of 0 or none means the
 * size. `0` / `"0"` / `null` mean no chunking.
 *
 * @param chunking The config value.
 * @param where Where it comes from, for messages. @default "chunking"
 * @returns The chunking, or `null` for none.
 * @throws {TypeError} For a value of the wrong type (a function, a float, three parts).
 * @throws {RangeError} For what RETURNN rejects: a negative size, a step that is not positive
 * for any key, size and step dicts with different keys.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseChunking } from "./chunking.ts";
 *
 * const c = parseChunking("20:10")!;
 * assert.equal(c.size.value, 20);
 * assert.equal(c.step.value, 10);
 * assert.equal(parseChunking("0"), null);
 * assert.throws(() => parseChunking("20:-1"), /step must be positive/);
 * ```
 */
export function parseChunking(chunking: unknown, where = "chunking"): Chunking | null {
  const bad = (why: string, E: typeof TypeError = TypeError) =>
    new E(
      `Cannot use ${where} ${_show(chunking)}: ${why}. Write "size:step" (e.g. "20:10"), a size, ` +
        `[size, step], or per-key dicts ({data: 20, classes: 20}); 0 disables chunking`,
    );
  if (typeof chunking === "function") {
    throw bad("custom chunking functions are not supported");
  }
  let pair: unknown[];
  if (typeof chunking === "string") {
    const parts = chunking.split(":").map((p) => pyInt(p));
    if (parts.some((p) => p === undefined)) throw bad("each part must be an integer", RangeError);
    if (parts.length > 2) throw bad("expected at most two parts (size:step)");
    pair = parts.length === 2 ? parts : [parts[0], null];
  } else if (Array.isArray(chunking)) {
    if (chunking.length !== 2) throw bad("a list must be [size, step]");
    pair = chunking;
  } else {
    pair = [chunking, null];
  }
  const [rawSize, rawStep] = pair;
  const asDict = (v: unknown, what: string): NumbersDict => {
    if (typeof v === "number") {
      if (!Number.isInteger(v)) throw bad(`the ${what} must be an integer`);
      return new NumbersDict(v);
    }
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      for (const [k, x] of Object.entries(v)) {
        if (typeof x !== "number" || !Number.isInteger(x)) {
          throw bad(`the ${what} of key '${k}' must be an integer`);
        }
      }
      return new NumbersDict(v as Record<string, number>);
    }
    throw bad(`the ${what} must be an integer or a dict of integers`);
  };
  const size = asDict(rawSize ?? 0, "size");
  if (!size.equals(0) && !(size.minValue() > 0)) {
    throw bad("the chunk size must not be negative", RangeError);
  }
  const step = rawStep === null || rawStep === undefined || rawStep === 0
    ? size
    : asDict(rawStep, "step");
  if (size.equals(0)) return null;
  const sk = size.keys().sort().join(",");
  if (sk !== step.keys().sort().join(",")) {
    throw bad("chunk size and step must name the same keys", RangeError);
  }
  if (!(step.maxValue() > 0)) {
    throw bad("the chunking step must be positive (for some key)", RangeError);
  }
  return { size, step };
}

/** One chunk of one sequence: frames [start, end) per data key. */
export interface SeqChunk {
  /** Position of the sequence in the current epoch's order. */
  readonly seqIdx: number;
  /** First frame per key. */
  readonly start: NumbersDict;
  /** End frame (exclusive) per key. */
  readonly end: NumbersDict;
}

/** Options of {@linkcode iterateSeqs}. */
export interface IterateSeqsOptions {
  /** The dataset's chunking, or `null`. */
  readonly chunking: Chunking | null;
  /** `min_chunk_size` (a number for every key or per key). @default 0 */
  readonly minChunkSize?: NumbersDict;
  /** The keys the model uses; with chunking, only these are cut. @default every key */
  readonly usedDataKeys?: readonly string[];
  /** Name for messages. @default "dataset" */
  readonly name?: string;
}

/**
 * RETURNN's `Dataset.iterate_seqs` (recurrent): each sequence whole, or its chunks. With
 * chunking, keys of the default key's length are cut alike, keys of length 0 or 1 are given
 * whole in every chunk, and the last chunk may be shorter; chunks stop once a key has no more
 * than `minChunkSize` frames left.
 *
 * @param numSeqs Sequences in the current epoch.
 * @param seqLength Lengths per key of the sequence at a position.
 * @param options Chunking and keys.
 * @returns The chunks, in order.
 * @throws {RangeError} If keys of different lengths would be chunked alike (RETURNN's
 * "Chunking with multiple data-keys of different length").
 */
export function* iterateSeqs(
  numSeqs: number,
  seqLength: (seqIdx: number) => NumbersDict,
  options: IterateSeqsOptions,
): Generator<SeqChunk> {
  const minChunk = options.minChunkSize ?? new NumbersDict(0);
  const chunking = options.chunking;
  for (let s = 0; s < numSeqs; s++) {
    let length = seqLength(s);
    if (chunking === null) {
      yield { seqIdx: s, start: NumbersDict.constantLike(0, length), end: length };
      continue;
    }
    const { size, step } = chunking;
    let defaultKey = "data";
    if (options.usedDataKeys !== undefined) {
      const used = options.usedDataKeys;
      const l = length;
      length = new NumbersDict(Object.fromEntries(used.map((k) => [k, l.get(k)])));
      const sorted = [...used].sort();
      if (!used.includes(defaultKey)) defaultKey = sorted[0];
      if (step.get(defaultKey) === 0) defaultKey = sorted.filter((k) => step.get(k) > 0)[0];
    }
    const fullKeys: string[] = [];
    for (const key of length.keys()) {
      if (step.get(key) === step.get(defaultKey) && length.get(key) === length.get(defaultKey)) {
        continue;
      }
      if (length.get(key) <= 1) {
        fullKeys.push(key);
        continue;
      }
      if (step.get(key) === step.get(defaultKey)) {
        throw new RangeError(
          `Cannot chunk sequence ${s} of ${options.name ?? "dataset"}: data keys of different ` +
            `length ${JSON.stringify(length.toRecord())} with the same chunk step (RETURNN: ` +
            `"Chunking with multiple data-keys of different length"); give each key its own ` +
            `chunk size/step ({data: 20, orth: 5}) or leave the key out of used_data_keys`,
        );
      }
      const limit = minChunk.get(key) || 1;
      const limitDefault = minChunk.get(defaultKey) || 1;
      const n = Math.floor((length.get(key) - limit) / step.get(key)) + 1;
      const nDefault = Math.floor((length.get(defaultKey) - limitDefault) / step.get(defaultKey)) +
        1;
      if (n !== nDefault) {
        throw new RangeError(
          `Cannot chunk sequence ${s} of ${options.name ?? "dataset"}: key '${key}' gives ${n} ` +
            `chunks but '${defaultKey}' gives ${nDefault} (lengths ` +
            `${
              JSON.stringify(length.toRecord())
            }); make the chunk steps proportional to the lengths`,
        );
      }
    }
    let t = NumbersDict.constantLike(0, length);
    while (length.get(defaultKey) > t.get(defaultKey)) {
      const start = new NumbersDict(t);
      const end = NumbersDict.min(t.add(size), length);
      for (const key of fullKeys) {
        start.dict.set(key, 0);
        end.dict.set(key, length.get(key));
      }
      if (length.value === null) {
        start.value = null;
        end.value = null;
      }
      yield { seqIdx: s, start, end };
      t = t.add(step);
      if (length.keys().some((key) => length.get(key) - t.get(key) <= minChunk.get(key))) break;
    }
  }
}

function _show(v: unknown): string {
  try {
    return typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
