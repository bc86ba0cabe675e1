/**
 * Base class of datasets whose sequences are addressed by a corpus index (HDF files, generated
 * data, arrays in memory): RETURNN's per-epoch ordering on top of them.
 *
 * @module
 */

import type { CommonOptions } from "./common_options.ts";
import { type DataArray, type InitSeqOrderOptions, SequenceDataset } from "./dataset.ts";
import { seqOrderForEpoch, type SeqOrderOptions } from "./seq_order.ts";

/**
 * A dataset over corpus indices 0..totalNumSeqs-1. `initSeqOrder(epoch)` applies RETURNN's
 * `seq_ordering`, `partition_epoch`, `repeat_epoch` and seeds; positions then map to corpus
 * indices. Subclasses give lengths, tags and data by corpus index.
 */
export abstract class CorpusDataset extends SequenceDataset {
  /** The ordering options. */
  readonly orderOptions: SeqOrderOptions;
  #seqIndex: readonly number[] = [];
  #tagIndex: Map<string, number> | undefined;

  /**
   * Start a corpus dataset.
   *
   * @param common The common options (see `readCommonOptions`).
   */
  constructor(common: CommonOptions) {
    super(common.name);
    this.orderOptions = common.order;
    this.chunking = common.chunking;
    this.minChunkSize = common.minChunkSize;
  }

  /**
   * Lengths per data key of a corpus sequence.
   * @param corpusIdx Corpus index.
   */
  protected abstract _corpusLength(corpusIdx: number): Readonly<Record<string, number>>;
  /**
   * Tag of a corpus sequence.
   * @param corpusIdx Corpus index.
   */
  protected abstract _corpusTag(corpusIdx: number): string;
  /**
   * Frames of a key of a corpus sequence.
   * @param corpusIdx Corpus index.
   * @param key Data key.
   * @param start First frame.
   * @param end End frame.
   */
  protected abstract _readCorpus(
    corpusIdx: number,
    key: string,
    start: number,
    end: number,
  ): Promise<DataArray>;
  /**
   * The length used by the sorting orderings (RETURNN: the input's); `undefined` when the
   * dataset has none (generated data).
   */
  protected _sortLength?(corpusIdx: number): number;

  /**
   * Fix the order of an epoch (1-based).
   *
   * @param epoch The epoch.
   * @param options A fixed order (`seqList` tags or `seqOrder` corpus indices) instead.
   * @throws {RangeError} For an unknown tag or index, or an ordering the data cannot do.
   */
  initSeqOrder(epoch: number, options: InitSeqOrderOptions = {}): Promise<void> {
    if (!Number.isInteger(epoch) || epoch < 0) {
      return Promise.reject(
        new RangeError(`Cannot init epoch ${epoch} of '${this.name}': need an integer >= 1`),
      );
    }
    try {
      if (options.seqOrder !== undefined) {
        for (const i of options.seqOrder) this._checkCorpusIdx(i);
        this.#seqIndex = [...options.seqOrder];
      } else if (options.seqList !== undefined) {
        const index = this.#tags();
        this.#seqIndex = options.seqList.map((t) => {
          const i = index.get(t);
          if (i === undefined) {
            throw new RangeError(`Dataset '${this.name}' has no sequence tagged '${t}'`);
          }
          return i;
        });
      } else {
        const sortLength = this._sortLength?.bind(this);
        this.#seqIndex = seqOrderForEpoch(
          this.orderOptions,
          epoch,
          this.totalNumSeqs,
          sortLength,
          () => this.allTags(),
        );
      }
    } catch (e) {
      return Promise.reject(e);
    }
    this.epoch = epoch;
    return Promise.resolve();
  }

  #tags(): Map<string, number> {
    this.#tagIndex ??= new Map(this.allTags().map((t, i) => [t, i]));
    return this.#tagIndex;
  }

  /** Sequences in the current epoch. */
  get numSeqs(): number {
    return this.#seqIndex.length;
  }

  /** The current order as corpus indices. */
  currentSeqOrder(): readonly number[] {
    return this.#seqIndex;
  }

  /**
   * The corpus index at a position of the current epoch.
   * @param seqIdx Position.
   * @returns Corpus index.
   */
  corpusIndex(seqIdx: number): number {
    this._requireEpoch("corpusIndex()");
    const c = this.#seqIndex[seqIdx];
    if (c === undefined) {
      throw new RangeError(
        `Sequence position ${seqIdx} is out of range: epoch ${this.epoch} of '${this.name}' has ` +
          `${this.numSeqs} sequences`,
      );
    }
    return c;
  }

  /** Lengths per data key of the sequence at a position. */
  seqLength(seqIdx: number): Readonly<Record<string, number>> {
    return this._corpusLength(this.corpusIndex(seqIdx));
  }

  /** The tag of the sequence at a position. */
  tag(seqIdx: number): string {
    return this._corpusTag(this.corpusIndex(seqIdx));
  }

  /** All tags, in corpus order. */
  allTags(): readonly string[] {
    return Array.from({ length: this.totalNumSeqs }, (_, i) => this._corpusTag(i));
  }

  /**
   * Frames `[start, end)` of a key of the sequence at a position.
   *
   * @param seqIdx Position in the epoch.
   * @param key Data key.
   * @param start First frame. @default 0
   * @param end End frame. @default the length
   * @returns The values, row-major.
   * @throws {RangeError} For an unknown key or frames out of range.
   */
  getData(seqIdx: number, key: string, start = 0, end?: number): Promise<DataArray> {
    try {
      this._requireKey(key);
      const c = this.corpusIndex(seqIdx);
      const len = this._corpusLength(c)[key];
      const e = end ?? len;
      if (
        !(Number.isInteger(start) && Number.isInteger(e) && 0 <= start && start <= e && e <= len)
      ) {
        throw new RangeError(
          `Cannot read frames ${start}..${e} of key '${key}' of sequence ${seqIdx} of ` +
            `'${this.name}': it has ${len} frames`,
        );
      }
      return this._readCorpus(c, key, start, e);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Throw for a corpus index out of range. */
  protected _checkCorpusIdx(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.totalNumSeqs) {
      throw new RangeError(
        `Corpus index ${i} is out of range: '${this.name}' has ${this.totalNumSeqs} sequences`,
      );
    }
  }
}
