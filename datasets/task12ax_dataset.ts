/**
 * RETURNN's `Task12AXDataset`: the 12AX memory task its demos train on, generated exactly as
 * RETURNN generates it (same sequences for the same seed and epoch).
 *
 * @module
 */

import { readCommonOptions, throwProblems } from "./common_options.ts";
import { CorpusDataset } from "./corpus_dataset.ts";
import type { DataArray, DataKeyInfo } from "./dataset.ts";
import { NumpyRandomState } from "./numpy_random.ts";
import { orderingNeedsLengths, parseSeqOrdering, randomSeedForEpoch } from "./seq_order.ts";

/** The options of `Task12AXDataset` besides the common ones. */
export const TASK12AX_OPTIONS: readonly string[] = Object.freeze(["num_seqs"]);

const INPUT_CLASSES = "123ABCXYZ";
const OUTPUT_CLASSES = "LR";
const CACHE = 64;

/** One generated 12AX sequence. */
export interface Task12AXSeq {
  /** Input symbols, indices into `123ABCXYZ`. */
  readonly input: Int32Array;
  /** Outputs: 0 = L, 1 = R. */
  readonly output: Int32Array;
}

/**
 * The 12AX task (`{class: "Task12AXDataset", num_seqs: 1000}`): inputs are the symbols
 * `1 2 3 A B C X Y Z` one-hot (`data`, dense, dim 9), the target `classes` is `R` (1) where the
 * input ends `1..A X` or `2..B Y` and `L` (0) elsewhere; 10 to 99 frames per sequence. Each
 * sequence is generated from numpy's RandomState seeded with `(seed of the epoch, corpus index)`
 * as RETURNN does, so RETURNN and newbob see the same data. Sorting orderings fall back to
 * `default`, as in RETURNN (generated sequences have no lengths in advance).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Task12AXDataset } from "./task12ax_dataset.ts";
 *
 * const ds = Task12AXDataset.create({ class: "Task12AXDataset", num_seqs: 3 });
 * await ds.initSeqOrder(1);
 * assert.equal(ds.tag(0), "seq-0");
 * const n = ds.seqLength(0).data;
 * assert.ok(n >= 10 && n < 100);
 * ```
 */
export class Task12AXDataset extends CorpusDataset {
  readonly #numSeqs: number;
  readonly #cache = new Map<string, Task12AXSeq>();
  readonly #rnd = new NumpyRandomState(1);

  private constructor(common: ReturnType<typeof readCommonOptions>, numSeqs: number) {
    super(common);
    this.#numSeqs = numSeqs;
  }

  /**
   * Check a `Task12AXDataset` dict.
   *
   * @param dict The dict.
   * @param where Name for messages.
   * @returns The problems (empty: fine).
   */
  static check(dict: Readonly<Record<string, unknown>>, where = "Task12AXDataset"): string[] {
    return _validate(dict, where).problems;
  }

  /**
   * Create the dataset from its dict.
   *
   * @param dict `{class: "Task12AXDataset", num_seqs, ...common options}`.
   * @param where Name for messages. @default "Task12AXDataset"
   * @returns The dataset.
   * @throws {TypeError} Listing every bad option.
   */
  static create(
    dict: Readonly<Record<string, unknown>>,
    where = "Task12AXDataset",
  ): Task12AXDataset {
    const { problems, common, n } = _validate(dict, where);
    throwProblems(problems, `dataset ${where}`);
    return new Task12AXDataset(common, n);
  }

  /** `data` and `classes`. */
  get dataKeys(): readonly string[] {
    return ["data", "classes"];
  }

  /** What a key holds. */
  keyInfo(key: string): DataKeyInfo {
    this._requireKey(key);
    return key === "data"
      ? { dim: 9, sparse: false, dtype: "float32", frameShape: [9], labels: [...INPUT_CLASSES] }
      : { dim: 2, sparse: true, dtype: "int32", frameShape: [], labels: [...OUTPUT_CLASSES] };
  }

  /** `num_seqs`. */
  get totalNumSeqs(): number {
    return this.#numSeqs;
  }

  #seq(c: number): Task12AXSeq {
    this._requireEpoch("reading a sequence");
    const seed = randomSeedForEpoch(this.orderOptions, this.epoch);
    const key = `${seed}:${c}`;
    let s = this.#cache.get(key);
    if (s === undefined) {
      s = generate12AX(this.#rnd, seed, c);
      if (this.#cache.size >= CACHE) this.#cache.delete(this.#cache.keys().next().value!);
      this.#cache.set(key, s);
    }
    return s;
  }

  /** Lengths per data key of a corpus sequence. */
  protected _corpusLength(c: number): Readonly<Record<string, number>> {
    const n = this.#seq(c).input.length;
    return { data: n, classes: n };
  }

  /** Tag of a corpus sequence. */
  protected _corpusTag(c: number): string {
    return `seq-${c}`;
  }

  /** Frames [start, end) of a key of a corpus sequence. */
  protected _readCorpus(c: number, key: string, start: number, end: number): Promise<DataArray> {
    const s = this.#seq(c);
    if (key === "classes") return Promise.resolve(s.output.slice(start, end));
    const out = new Float32Array((end - start) * 9);
    for (let t = start; t < end; t++) out[(t - start) * 9 + s.input[t]] = 1;
    return Promise.resolve(out);
  }
}

function _validate(dict: Readonly<Record<string, unknown>>, where: string): {
  problems: string[];
  common: ReturnType<typeof readCommonOptions>;
  n: number;
} {
  const problems: string[] = [];
  const common = readCommonOptions(dict, where, TASK12AX_OPTIONS, problems);
  const n = dict.num_seqs;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1) {
    problems.push(
      `${where}: 'num_seqs' must be a positive integer (RETURNN's default is an endless ` +
        `dataset, which newbob does not support), got ${JSON.stringify(n)}`,
    );
  }
  let order = common.order;
  const ordering = order.seqOrdering ?? "default";
  if (ordering === "sorted" || ordering === "sorted_reverse") {
    order = { ...order, seqOrdering: "default" }; // RETURNN's GeneratingDataset does this too
  } else if (ordering === common.order.seqOrdering) {
    if (orderingNeedsLengths(parseSeqOrdering(ordering))) {
      problems.push(
        `${where}: seq_ordering '${ordering}' needs sequence lengths in advance, which ` +
          "generated data does not have; use default, reverse, random or random_sample",
      );
    }
  }
  return { problems, common: { ...common, order }, n: n as number };
}

/**
 * One 12AX sequence as RETURNN's `Task12AXDataset.generate_seq` makes it after seeding numpy's
 * RandomState with `(seed, corpusIdx)`.
 *
 * @param rnd The generator (re-seeded here).
 * @param seed The epoch's seed (RETURNN's `_get_random_seed_for_epoch`).
 * @param corpusIdx The corpus index.
 * @returns Input symbol indices into `123ABCXYZ` and the outputs (0 = L, 1 = R).
 */
export function generate12AX(rnd: NumpyRandomState, seed: number, corpusIdx: number): Task12AXSeq {
  rnd.seed([seed, corpusIdx]);
  const len = rnd.randint(10, 100)[0];
  let seq = rnd.choice(["", "1", "2"]);
  while (seq.length < len) {
    if (rnd.uniform() < 0.5) seq += rnd.choice(["1", "2"]);
    if (rnd.uniform() < 0.9) seq += rnd.choice(["AX", "BY"]);
    while (rnd.uniform() < 0.5) seq += rnd.choice([...INPUT_CLASSES]);
  }
  const input = Int32Array.from(seq.slice(0, len), (ch) => INPUT_CLASSES.indexOf(ch));
  const output = new Int32Array(len);
  let outer = "";
  let inner = "";
  input.forEach((i, t) => {
    const c = INPUT_CLASSES[i];
    if (c === "1" || c === "2") outer = c;
    else if (c === "A" || c === "B") inner = c;
    else if (c === "X" || c === "Y") {
      const w = outer + inner + c;
      if (w === "1AX" || w === "2BY") output[t] = 1;
      inner = "";
    }
  });
  return { input, output };
}
