/**
 * RETURNN's `MetaDataset`: data keys of several datasets joined by sequence tag (features from
 * one, alignments from another).
 *
 * @module
 */

import { readCommonOptions, throwProblems } from "./common_options.ts";
import type { DataArray, DataKeyInfo, InitSeqOrderOptions, SequenceDataset } from "./dataset.ts";
import { SequenceDataset as Base } from "./dataset.ts";
import {
  orderingNeedsLengths,
  parseSeqOrdering,
  seqOrderForEpoch,
  type SeqOrderOptions,
} from "./seq_order.ts";
import { didYouMeanSuffix } from "../_util/did_you_mean.ts";

/** The options of `MetaDataset` besides the common ones (RETURNN's names). */
export const META_DATASET_OPTIONS: readonly string[] = Object.freeze([
  "datasets",
  "data_map",
  "seq_order_control_dataset",
  "seq_list_file",
  "seq_lens_file",
  "data_dims",
  "data_dtypes",
]);

/** Creates a sub-dataset from its dict (`createDataset`). */
export type CreateSubDataset = (
  dict: Readonly<Record<string, unknown>>,
  options: { name: string },
) => Promise<SequenceDataset>;

/**
 * RETURNN's `MetaDataset` (`{class: "MetaDataset", datasets: {name: dict}, data_map: {key:
 * [name, key]}, seq_order_control_dataset}`): each epoch's order comes from the control dataset
 * (its own `seq_ordering` and `partition_epoch`), or, without one, from this dataset's own
 * ordering over the sequences of the dataset giving `data`. The other datasets are then read in
 * that order by tag, so they must contain every tag of the controlling dataset.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createDataset } from "./create_dataset.ts";
 *
 * const f = "tests/fixtures/returnn_data/pub_a.hdf";
 * const ds = await createDataset({
 *   class: "MetaDataset",
 *   datasets: {
 *     feats: { class: "HDFDataset", files: [f], seq_ordering: "sorted" },
 *     align: { class: "HDFDataset", files: [f] },
 *   },
 *   data_map: { data: ["feats", "data"], classes: ["align", "classes"] },
 *   seq_order_control_dataset: "feats",
 * });
 * await ds.initSeqOrder(1);
 * assert.deepEqual(ds.dataKeys, ["classes", "data"]);
 * assert.ok(ds.seqLength(0).data <= ds.seqLength(1).data);
 * await ds.close();
 * ```
 */
export class MetaDataset extends Base {
  readonly #datasets: Map<string, SequenceDataset>;
  readonly #dataMap: Map<string, [string, string]>;
  readonly #control: string | undefined;
  readonly #defaultKey: string;
  readonly #order: SeqOrderOptions;
  #seqIndex: readonly number[] = [];
  #orderedTags: readonly string[] = [];
  #tagIndex: Map<string, number> | undefined;

  private constructor(
    common: ReturnType<typeof readCommonOptions>,
    datasets: Map<string, SequenceDataset>,
    dataMap: Map<string, [string, string]>,
    control: string | undefined,
  ) {
    super(common.name);
    this.chunking = common.chunking;
    this.minChunkSize = common.minChunkSize;
    this.#order = common.order;
    this.#datasets = datasets;
    this.#dataMap = dataMap;
    this.#control = control;
    this.#defaultKey = control ?? dataMap.get("data")![0];
  }

  /**
   * Check a `MetaDataset` dict and the sub-dataset dicts it uses, without opening anything.
   *
   * @param dict The dict.
   * @param where Name for messages.
   * @param checkSub Checks a sub-dataset dict (`checkDatasetDict`).
   * @returns The problems (empty: fine).
   */
  static check(
    dict: Readonly<Record<string, unknown>>,
    where: string,
    checkSub: (dict: Readonly<Record<string, unknown>>, where: string) => string[],
  ): string[] {
    const { problems, dataMap } = _validate(dict, where);
    const subs = dict.datasets as Record<string, Record<string, unknown>> | undefined;
    const used = new Set([...dataMap.values()].map(([d]) => d));
    if (typeof dict.seq_order_control_dataset === "string") {
      used.add(dict.seq_order_control_dataset);
    }
    for (const name of used) {
      if (subs?.[name]) problems.push(...checkSub(subs[name], `${where}.datasets.${name}`));
    }
    return problems;
  }

  /**
   * Create a MetaDataset and its sub-datasets, checking the whole dict first.
   *
   * @param dict The dict.
   * @param where Name for messages.
   * @param create Creates a sub-dataset (`createDataset`).
   * @returns The dataset.
   * @throws {TypeError} Listing every problem (unknown dataset names in `data_map`, keys a
   * sub-dataset lacks, unsupported options), or a sub-dataset's problems.
   */
  static async open(
    dict: Readonly<Record<string, unknown>>,
    where: string,
    create: CreateSubDataset,
  ): Promise<MetaDataset> {
    const { problems, common, dataMap } = _validate(dict, where);
    const subs = dict.datasets;
    const control = dict.seq_order_control_dataset;
    throwProblems(problems, `dataset ${where}`);
    const used = [...new Set([...dataMap.values()].map(([d]) => d))];
    if (typeof control === "string" && !used.includes(control)) used.push(control);
    const datasets = new Map<string, SequenceDataset>();
    try {
      const parentOffset = common.order.randomSeedOffset ?? 0;
      for (const name of used) {
        const sub = (subs as Record<string, Record<string, unknown>>)[name];
        const withDefaults = "random_seed_offset" in sub
          ? sub
          : { ...sub, random_seed_offset: parentOffset };
        datasets.set(name, await create(withDefaults, { name: `${common.name}_${name}` }));
      }
      for (const [key, [d, k]] of dataMap) {
        if (!datasets.get(d)!.dataKeys.includes(k)) {
          problems.push(
            `${where}: data_map['${key}'] = ['${d}', '${k}'] but dataset '${d}' has no key '${k}'` +
              `.${didYouMeanSuffix(k, datasets.get(d)!.dataKeys)} Its keys: ${
                datasets.get(d)!.dataKeys.join(", ")
              }`,
          );
        }
      }
      throwProblems(problems, `dataset ${where}`);
    } catch (e) {
      for (const ds of datasets.values()) await ds.close();
      throw e;
    }
    return new MetaDataset(
      common,
      datasets,
      dataMap,
      typeof control === "string" ? control : undefined,
    );
  }

  /** The keys of `data_map`, sorted. */
  get dataKeys(): readonly string[] {
    return [...this.#dataMap.keys()].sort();
  }

  /** What a key holds (from the sub-dataset it maps to). */
  keyInfo(key: string): DataKeyInfo {
    this._requireKey(key);
    const [d, k] = this.#dataMap.get(key)!;
    return this.#datasets.get(d)!.keyInfo(k);
  }

  /** Sequences of the controlling dataset. */
  get totalNumSeqs(): number {
    return this.#datasets.get(this.#defaultKey)!.totalNumSeqs;
  }

  /** Tags of the controlling dataset. */
  allTags(): readonly string[] {
    return this.#datasets.get(this.#defaultKey)!.allTags();
  }

  /**
   * Fix the order of an epoch: from the control dataset, or this dataset's own ordering; the
   * other datasets follow by tag.
   *
   * @param epoch The 1-based epoch.
   * @param options A fixed order instead.
   * @throws {RangeError} If a sub-dataset lacks a tag of the controlling dataset.
   */
  async initSeqOrder(epoch: number, options: InitSeqOrderOptions = {}): Promise<void> {
    const main = this.#datasets.get(this.#defaultKey)!;
    const tags = main.allTags();
    let controlled: SequenceDataset | undefined;
    if (options.seqOrder !== undefined) {
      this.#seqIndex = [...options.seqOrder];
    } else if (options.seqList !== undefined) {
      this.#tagIndex ??= new Map(tags.map((t, i) => [t, i]));
      this.#seqIndex = options.seqList.map((t) => {
        const i = this.#tagIndex!.get(t);
        if (i === undefined) {
          throw new RangeError(`Dataset '${this.name}' has no sequence tagged '${t}'`);
        }
        return i;
      });
    } else if (this.#control !== undefined) {
      controlled = main;
      await main.initSeqOrder(epoch);
      this.#seqIndex = [...main.currentSeqOrder()];
    } else {
      let getLen: ((c: number) => number) | undefined;
      if (orderingNeedsLengths(parseSeqOrdering(this.#order.seqOrdering ?? "default"))) {
        // RETURNN: the controlling dataset in corpus order, its "data" length per sequence.
        await main.initSeqOrder(epoch, { seqOrder: tags.map((_, i) => i) });
        const lengths = tags.map((_, i) => main.seqLength(i).data);
        if (lengths.some((l) => l === undefined)) {
          throw new RangeError(
            `MetaDataset '${this.name}': seq_ordering '${this.#order.seqOrdering}' sorts by the ` +
              `'data' length of dataset '${this.#defaultKey}', which has no 'data' key; set ` +
              "seq_order_control_dataset and the ordering there",
          );
        }
        getLen = (c) => lengths[c];
      }
      this.#seqIndex = seqOrderForEpoch(this.#order, epoch, tags.length, getLen, () => tags);
    }
    for (const [name, ds] of this.#datasets) {
      if (ds.totalNumSeqs < tags.length && ds !== main) {
        throw new RangeError(
          `MetaDataset '${this.name}': dataset '${name}' has ${ds.totalNumSeqs} sequences, fewer ` +
            `than the ${tags.length} of '${this.#defaultKey}'; it must contain every tag`,
        );
      }
    }
    this.#orderedTags = this.#seqIndex.map((i) => tags[i]);
    for (const ds of this.#datasets.values()) {
      if (ds !== controlled) await ds.initSeqOrder(epoch, { seqList: this.#orderedTags });
    }
    this.epoch = epoch;
  }

  /** Sequences in the current epoch. */
  get numSeqs(): number {
    return this.#seqIndex.length;
  }

  /** The current order (corpus indices of the controlling dataset). */
  currentSeqOrder(): readonly number[] {
    return this.#seqIndex;
  }

  /** The tag at a position. */
  tag(seqIdx: number): string {
    this._requireEpoch("tag()");
    const t = this.#orderedTags[seqIdx];
    if (t === undefined) throw new RangeError(`Sequence position ${seqIdx} is out of range`);
    return t;
  }

  /** Lengths per key at a position (each from its sub-dataset; the tags are checked). */
  seqLength(seqIdx: number): Readonly<Record<string, number>> {
    const tag = this.tag(seqIdx);
    const out: Record<string, number> = {};
    for (const key of this.dataKeys) {
      const [d, k] = this.#dataMap.get(key)!;
      const ds = this.#datasets.get(d)!;
      if (ds.tag(seqIdx) !== tag) {
        throw new RangeError(
          `MetaDataset '${this.name}': dataset '${d}' has '${
            ds.tag(seqIdx)
          }' where '${tag}' was expected`,
        );
      }
      out[key] = ds.seqLength(seqIdx)[k];
    }
    return out;
  }

  /** Frames of a key at a position, from its sub-dataset. */
  getData(seqIdx: number, key: string, start?: number, end?: number): Promise<DataArray> {
    try {
      this._requireKey(key);
      const [d, k] = this.#dataMap.get(key)!;
      return this.#datasets.get(d)!.getData(seqIdx, k, start, end);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Close every sub-dataset. */
  override async close(): Promise<void> {
    for (const ds of this.#datasets.values()) await ds.close();
  }
}

function _validate(dict: Readonly<Record<string, unknown>>, where: string): {
  problems: string[];
  common: ReturnType<typeof readCommonOptions>;
  dataMap: Map<string, [string, string]>;
} {
  const problems: string[] = [];
  const common = readCommonOptions(dict, where, META_DATASET_OPTIONS, problems);
  for (const k of ["seq_list_file", "seq_lens_file"]) {
    if (dict[k] !== undefined && dict[k] !== null) {
      problems.push(
        `${where}: '${k}' is not supported; the sub-datasets must share tags (the controlling ` +
          "dataset's tags are used)",
      );
    }
  }
  const subs = dict.datasets;
  const map = dict.data_map;
  const control = dict.seq_order_control_dataset;
  const names = subs && typeof subs === "object" && !Array.isArray(subs) ? Object.keys(subs) : [];
  if (names.length === 0) {
    problems.push(`${where}: 'datasets' must be a dict of name -> dataset dict`);
  }
  const dataMap = new Map<string, [string, string]>();
  if (!map || typeof map !== "object" || Array.isArray(map)) {
    problems.push(`${where}: 'data_map' must be a dict of key -> [dataset name, its key]`);
  } else {
    for (const [key, v] of Object.entries(map)) {
      if (!Array.isArray(v) || v.length !== 2 || v.some((x) => typeof x !== "string")) {
        problems.push(
          `${where}: data_map['${key}'] must be [dataset name, data key], got ${JSON.stringify(v)}`,
        );
      } else if (!names.includes(v[0])) {
        problems.push(
          `${where}: data_map['${key}'] names dataset '${v[0]}', which is not in 'datasets'.` +
            `${didYouMeanSuffix(v[0], names)} Datasets: ${names.join(", ")}`,
        );
      } else dataMap.set(key, [v[0], v[1]]);
    }
  }
  if (
    control !== undefined && control !== null &&
    (typeof control !== "string" || !names.includes(control))
  ) {
    problems.push(
      `${where}: seq_order_control_dataset '${control}' is not in 'datasets'.` +
        `${didYouMeanSuffix(String(control), names)} Datasets: ${names.join(", ")}`,
    );
  }
  if (
    (control === undefined || control === null) && !dataMap.has("data") && map &&
    typeof map === "object"
  ) {
    problems.push(
      `${where}: without seq_order_control_dataset, data_map needs a 'data' key (its dataset ` +
        "controls the order); setting seq_order_control_dataset is recommended",
    );
  }
  return { problems, common, dataMap };
}
