/**
 * A dataset over arrays in memory, for library users: values per key, concatenated over
 * sequences, with the sequence lengths.
 *
 * @module
 */

import { readCommonOptions, throwProblems } from "./common_options.ts";
import { CorpusDataset } from "./corpus_dataset.ts";
import type { DataArray, DataKeyInfo } from "./dataset.ts";

/** One key of a {@linkcode MemoryDataset}. */
export interface MemoryKey {
  /** All sequences' values concatenated, row-major (`sum(seqLens) * frame size` values). */
  readonly values: DataArray;
  /** Frames per sequence. */
  readonly seqLens: ArrayLike<number>;
  /** Feature dimension (dense) or number of classes (sparse). */
  readonly dim: number;
  /** Sparse: one class index per frame (needs Int32Array values). @default false */
  readonly sparse?: boolean;
  /** Shape of a dense frame. @default `[dim]` */
  readonly frameShape?: readonly number[];
  /** Label names. */
  readonly labels?: readonly string[];
}

/** The options of `MemoryDataset` besides the common ones. */
export const MEMORY_DATASET_OPTIONS: readonly string[] = Object.freeze(["data", "tags"]);

/**
 * Sequences from typed arrays: `{class: "MemoryDataset", data: {data: {values, seqLens, dim},
 * classes: {values, seqLens, dim, sparse: true}}, tags?}` plus the common options
 * (`seq_ordering`, `partition_epoch`, `chunking`, ...). Sorting uses the `data` key's lengths
 * (else the first key's). Tags default to `seq-<i>`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryDataset } from "./memory_dataset.ts";
 *
 * const ds = MemoryDataset.create({
 *   class: "MemoryDataset",
 *   data: {
 *     data: { values: new Float32Array([1, 2, 3, 4, 5, 6]), seqLens: [2, 1], dim: 2 },
 *     classes: { values: new Int32Array([0, 1, 1]), seqLens: [2, 1], dim: 2, sparse: true },
 *   },
 *   seq_ordering: "sorted",
 * });
 * await ds.initSeqOrder(1);
 * assert.equal(ds.tag(0), "seq-1");
 * const [batch] = await Array.fromAsync(ds.batches({ batch_size: 10 }));
 * assert.deepEqual(batch.get("data").shape, [2, 2, 2]);
 * assert.deepEqual(batch.get("classes").data, new Int32Array([1, 0, 0, 1]));
 * ```
 */
export class MemoryDataset extends CorpusDataset {
  readonly #keys: string[];
  readonly #data: Map<string, { key: MemoryKey; starts: Float64Array; info: DataKeyInfo }>;
  readonly #tags: readonly string[];
  readonly #n: number;

  private constructor(
    common: ReturnType<typeof readCommonOptions>,
    data: Map<string, { key: MemoryKey; starts: Float64Array; info: DataKeyInfo }>,
    tags: readonly string[],
  ) {
    super(common);
    this.#data = data;
    this.#keys = [...data.keys()];
    this.#tags = tags;
    this.#n = tags.length;
  }

  /**
   * Check a `MemoryDataset` dict.
   *
   * @param dict The dict.
   * @param where Name for messages.
   * @returns The problems (empty: fine).
   */
  static check(dict: Readonly<Record<string, unknown>>, where = "MemoryDataset"): string[] {
    return _validate(dict, where).problems;
  }

  /**
   * Create the dataset, checking that the arrays and lengths agree.
   *
   * @param dict `{class: "MemoryDataset", data, tags?, ...common options}`.
   * @param where Name for messages. @default "MemoryDataset"
   * @returns The dataset.
   * @throws {TypeError} Listing every problem (lengths that do not add up, a wrong element type,
   * different numbers of sequences per key, duplicate tags).
   */
  static create(dict: Readonly<Record<string, unknown>>, where = "MemoryDataset"): MemoryDataset {
    const { problems, common, data, tags } = _validate(dict, where);
    throwProblems(problems, `dataset ${where}`);
    return new MemoryDataset(common, data, tags);
  }

  /** The keys, in the order given. */
  get dataKeys(): readonly string[] {
    return this.#keys;
  }

  /** What a key holds. */
  keyInfo(key: string): DataKeyInfo {
    this._requireKey(key);
    return this.#data.get(key)!.info;
  }

  /** Number of sequences. */
  get totalNumSeqs(): number {
    return this.#n;
  }

  /** Lengths per data key of a corpus sequence. */
  protected _corpusLength(c: number): Readonly<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const [k, d] of this.#data) out[k] = d.starts[c + 1] - d.starts[c];
    return out;
  }

  /** The length the sorting orderings use (RETURNN: the input's, column 0). */
  protected override _sortLength(c: number): number {
    const d = this.#data.get("data") ?? this.#data.values().next().value!;
    return d.starts[c + 1] - d.starts[c];
  }

  /** Tag of a corpus sequence. */
  protected _corpusTag(c: number): string {
    return this.#tags[c];
  }

  /** All tags, in corpus order. */
  override allTags(): readonly string[] {
    return this.#tags;
  }

  /** Frames [start, end) of a key of a corpus sequence. */
  protected _readCorpus(c: number, key: string, start: number, end: number): Promise<DataArray> {
    const d = this.#data.get(key)!;
    const frame = d.info.frameShape.reduce((a, b) => a * b, 1);
    const p = d.starts[c] + start;
    return Promise.resolve(d.key.values.slice(p * frame, (p + end - start) * frame));
  }
}

type _Keys = Map<string, { key: MemoryKey; starts: Float64Array; info: DataKeyInfo }>;

function _validate(dict: Readonly<Record<string, unknown>>, where: string): {
  problems: string[];
  common: ReturnType<typeof readCommonOptions>;
  data: _Keys;
  tags: string[];
} {
  const problems: string[] = [];
  const common = readCommonOptions(dict, where, MEMORY_DATASET_OPTIONS, problems);
  const raw = dict.data as Record<string, MemoryKey> | undefined;
  const data = new Map<string, { key: MemoryKey; starts: Float64Array; info: DataKeyInfo }>();
  let n: number | undefined;
  if (!raw || typeof raw !== "object" || Object.keys(raw).length === 0) {
    problems.push(`${where}: 'data' must be a dict of key -> {values, seqLens, dim}`);
  } else {
    for (const [name, key] of Object.entries(raw)) {
      const sparse = key?.sparse === true;
      if (!(key?.values instanceof Float32Array || key?.values instanceof Int32Array)) {
        problems.push(`${where}: data['${name}'].values must be a Float32Array or Int32Array`);
        continue;
      }
      if (sparse && !(key.values instanceof Int32Array)) {
        problems.push(`${where}: data['${name}'] is sparse, so its values must be an Int32Array`);
      }
      if (!Number.isInteger(key.dim) || key.dim < 1) {
        problems.push(`${where}: data['${name}'].dim must be a positive integer`);
      }
      const lens = Array.from(key.seqLens ?? [], Number);
      if (lens.some((l) => !Number.isInteger(l) || l < 0)) {
        problems.push(`${where}: data['${name}'].seqLens must be non-negative integers`);
        continue;
      }
      const frameShape = sparse ? [] : [...(key.frameShape ?? [key.dim])];
      const frame = frameShape.reduce((a, b) => a * b, 1);
      const starts = new Float64Array(lens.length + 1);
      lens.forEach((l, i) => starts[i + 1] = starts[i] + l);
      if (starts[lens.length] * frame !== key.values.length) {
        problems.push(
          `${where}: data['${name}'] seqLens add up to ${starts[lens.length]} frames ` +
            `(${starts[lens.length] * frame} values) but values has ${key.values.length}`,
        );
      }
      if (n !== undefined && n !== lens.length) {
        problems.push(`${where}: data['${name}'] has ${lens.length} sequences, other keys ${n}`);
      }
      n ??= lens.length;
      data.set(name, {
        key,
        starts,
        info: {
          dim: key.dim,
          sparse,
          dtype: key.values instanceof Int32Array ? "int32" : "float32",
          frameShape,
          ...(key.labels ? { labels: [...key.labels] } : {}),
        },
      });
    }
  }
  let tags: string[] = Array.from({ length: n ?? 0 }, (_, i) => `seq-${i}`);
  if (dict.tags !== undefined) {
    const t = dict.tags;
    if (!Array.isArray(t) || t.length !== (n ?? 0) || t.some((x) => typeof x !== "string")) {
      problems.push(`${where}: 'tags' must be ${n ?? 0} strings, one per sequence`);
    } else if (new Set(t).size !== t.length) {
      problems.push(`${where}: 'tags' must be unique`);
    } else tags = t;
  }
  return { problems, common, data, tags };
}
