/**
 * The dataset contract newbob shares with RETURNN: `initSeqOrder(epoch)`, then sequences by
 * position (lengths, tags, data), and `batches(options)` built as RETURNN builds them.
 *
 * @module
 */

import { NumbersDict } from "./numbers_dict.ts";
import { type BatchingOptions, generateBatches, resolveBatching } from "./batching.ts";
import type { Chunking, SeqChunk } from "./chunking.ts";

/** The element type of a data key as newbob hands it out. */
export type DataDtype = "float32" | "int32";

/** A typed array of a key's values. */
export type DataArray = Float32Array | Int32Array;

/** What a data key holds. */
export interface DataKeyInfo {
  /** Feature dimension, or the number of classes of sparse data. */
  readonly dim: number;
  /** Sparse: one class index per frame (int32). */
  readonly sparse: boolean;
  /** Element type. */
  readonly dtype: DataDtype;
  /** Shape of one frame: `[]` for sparse data, `[dim]` (or more axes) for dense. */
  readonly frameShape: readonly number[];
  /** Label names, when the data has them. */
  readonly labels?: readonly string[];
}

/** One key of a batch: zero-padded values with the true lengths. */
export interface BatchData {
  /** `[B, T]` or `[B, T, ...frameShape]` values, row-major, zero past `seqLens[i]`. */
  readonly data: DataArray;
  /** `[B, T]` (sparse) or `[B, T, F]` (dense). */
  readonly shape: readonly number[];
  /** Frames per row. */
  readonly seqLens: Int32Array;
}

/** One row of a batch: which sequence, which frames per key. */
export interface BatchSlice {
  /** The sequence's tag. */
  readonly seqTag: string;
  /** Its position in the epoch's order. */
  readonly seqIdx: number;
  /** First frame per data key. */
  readonly start: Readonly<Record<string, number>>;
  /** End frame (exclusive) per data key. */
  readonly end: Readonly<Record<string, number>>;
}

/** A mini-batch: its slices in row order and the padded data per key. */
export class Batch {
  /** The rows, in order. */
  readonly slices: readonly BatchSlice[];
  /** The data keys it holds. */
  readonly keys: readonly string[];
  readonly #data: ReadonlyMap<string, BatchData>;

  /**
   * Make a batch.
   *
   * @param slices The rows.
   * @param data The padded data per key.
   */
  constructor(slices: readonly BatchSlice[], data: ReadonlyMap<string, BatchData>) {
    this.slices = slices;
    this.keys = [...data.keys()];
    this.#data = data;
  }

  /** Rows in the batch. */
  get size(): number {
    return this.slices.length;
  }

  /**
   * The padded values of a key.
   *
   * @param key A key of `keys` (the `used_data_keys`).
   * @returns Values, shape and lengths; rows in the order of `slices`.
   * @throws {RangeError} If the batch does not hold the key.
   */
  get(key: string): BatchData {
    const d = this.#data.get(key);
    if (d === undefined) {
      throw new RangeError(
        `This batch has no data key '${key}': it holds ${this.keys.join(", ")} (add the key to ` +
          "used_data_keys)",
      );
    }
    return d;
  }
}

/** Options of {@linkcode SequenceDataset.initSeqOrder}. */
export interface InitSeqOrderOptions {
  /** Use exactly these tags, in this order (no ordering, no partition). */
  readonly seqList?: readonly string[];
  /** Use exactly these corpus indices, in this order. */
  readonly seqOrder?: readonly number[];
}

/** Batch options of {@linkcode SequenceDataset.batches}: RETURNN's names. */
export type BatchesOptions = BatchingOptions;

/**
 * A dataset: sequences with several data keys, in an order fixed per epoch. Subclasses give the
 * sequences; the batching (RETURNN's `_generate_batches`, with this dataset's chunking) is here.
 *
 * Call `initSeqOrder(epoch)` before reading an epoch; positions (`seqIdx`) then refer to that
 * epoch's order.
 */
export abstract class SequenceDataset {
  /** Name for messages (`train`, `dev`, ...). */
  readonly name: string;
  /** The chunking of this dataset (`null`: none). */
  chunking: Chunking | null = null;
  /** `min_chunk_size`. */
  minChunkSize: NumbersDict = new NumbersDict(0);
  /** The epoch of the current order, or `null` before `initSeqOrder`. */
  epoch: number | null = null;

  /**
   * Start a dataset.
   *
   * @param name Name for messages.
   */
  constructor(name: string) {
    this.name = name;
  }

  /** The data keys (RETURNN's `get_data_keys()`). */
  abstract get dataKeys(): readonly string[];
  /**
   * What a key holds.
   * @param key A data key.
   */
  abstract keyInfo(key: string): DataKeyInfo;
  /** Sequences in the whole corpus (before `partition_epoch`). */
  abstract get totalNumSeqs(): number;
  /**
   * Fix the order of an epoch (1-based, as RETURNN).
   * @param epoch The epoch.
   * @param options A fixed order instead.
   */
  abstract initSeqOrder(epoch: number, options?: InitSeqOrderOptions): Promise<void>;
  /** Sequences in the current epoch. */
  abstract get numSeqs(): number;
  /**
   * Lengths per data key of the sequence at a position.
   * @param seqIdx Position in the epoch.
   */
  abstract seqLength(seqIdx: number): Readonly<Record<string, number>>;
  /**
   * The tag of the sequence at a position.
   * @param seqIdx Position in the epoch.
   */
  abstract tag(seqIdx: number): string;
  /** The current order as corpus indices. */
  abstract currentSeqOrder(): readonly number[];
  /** All tags of the corpus, in corpus order. */
  abstract allTags(): readonly string[];
  /**
   * Frames `[start, end)` of a key of the sequence at a position, row-major.
   * @param seqIdx Position in the epoch.
   * @param key Data key.
   * @param start First frame. @default 0
   * @param end End frame. @default the length
   */
  abstract getData(seqIdx: number, key: string, start?: number, end?: number): Promise<DataArray>;

  /** Release files. Idempotent. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * Make the batches of the current epoch exactly as RETURNN's `generate_batches` (recurrent
   * network): each a list of rows with padded data per used key.
   *
   * @param options `batch_size`, `max_seqs`, `max_seq_length`, `min_seq_length`,
   * `max_pad_size`, `used_data_keys` (RETURNN's meaning; see {@linkcode BatchingOptions}).
   * @param warn Receives the warning for a sequence longer than `batch_size`.
   * @returns The batches, in order.
   * @throws {TypeError|RangeError} For bad options (before any data is read), or a key the
   * dataset does not have.
   */
  async *batches(
    options: BatchesOptions = {},
    warn: (message: string) => void = console.warn,
  ): AsyncGenerator<Batch> {
    const { plans, keys } = this.#plans("batches()", options, warn);
    for (const plan of plans) yield await this.#makeBatch(plan, keys);
  }

  /**
   * The number of batches `batches(options)` makes in the current epoch, from the sequence
   * lengths alone (no data is read).
   *
   * @param options As for {@linkcode SequenceDataset.batches}.
   * @returns The number of batches.
   * @throws {TypeError|RangeError} For bad options, or a key the dataset does not have.
   */
  numBatches(options: BatchesOptions = {}): number {
    let n = 0;
    for (const _ of this.#plans("numBatches()", options, () => {}).plans) n++;
    return n;
  }

  #plans(
    what: string,
    options: BatchesOptions,
    warn: (message: string) => void,
  ): { plans: Iterable<readonly SeqChunk[]>; keys: readonly string[] } {
    this._requireEpoch(what);
    const batching = resolveBatching(options, `${this.name}.${what}`);
    const keys = batching.usedDataKeys ?? this.dataKeys;
    for (const k of keys) this._requireKey(k);
    const plans = generateBatches(
      this.numSeqs,
      (i) => new NumbersDict(this.seqLength(i)),
      {
        chunking: this.chunking,
        minChunkSize: this.minChunkSize,
        usedDataKeys: batching.usedDataKeys,
        name: this.name,
      },
      batching,
      warn,
    );
    return { plans, keys };
  }

  /** Throw unless `initSeqOrder` was called. */
  protected _requireEpoch(what: string): void {
    if (this.epoch === null) {
      throw new RangeError(
        `Cannot call ${what} on dataset '${this.name}' before initSeqOrder(epoch)`,
      );
    }
  }

  /** Throw unless the dataset has the key. */
  protected _requireKey(key: string): void {
    if (!this.dataKeys.includes(key)) {
      throw new RangeError(
        `Dataset '${this.name}' has no data key '${key}': its keys are ${this.dataKeys.join(", ")}`,
      );
    }
  }

  async #makeBatch(plan: readonly SeqChunk[], keys: readonly string[]): Promise<Batch> {
    const slices: BatchSlice[] = plan.map((c) => ({
      seqTag: this.tag(c.seqIdx),
      seqIdx: c.seqIdx,
      start: Object.fromEntries(keys.map((k) => [k, c.start.get(k)])),
      end: Object.fromEntries(keys.map((k) => [k, c.end.get(k)])),
    }));
    const data = new Map<string, BatchData>();
    for (const key of keys) {
      const info = this.keyInfo(key);
      const frame = info.frameShape.reduce((a, b) => a * b, 1);
      const seqLens = Int32Array.from(slices, (s) => s.end[key] - s.start[key]);
      const t = seqLens.reduce((a, b) => Math.max(a, b), 0);
      const out = info.dtype === "int32"
        ? new Int32Array(slices.length * t * frame)
        : new Float32Array(slices.length * t * frame);
      for (let i = 0; i < slices.length; i++) {
        if (seqLens[i] === 0) continue;
        const values = await this.getData(
          slices[i].seqIdx,
          key,
          slices[i].start[key],
          slices[i].end[key],
        );
        out.set(values, i * t * frame);
      }
      const shape = info.sparse && info.frameShape.length === 0
        ? [slices.length, t]
        : [slices.length, t, ...info.frameShape];
      data.set(key, { data: out, shape, seqLens });
    }
    return new Batch(slices, data);
  }
}
