/**
 * RETURNN's `HDFDataset`: sequences from HDF files in RETURNN's layout (as its `SimpleHDFWriter`
 * and `HDFDatasetWriter` write them), streamed: only the per-sequence lengths and tags are held,
 * the data is read from the file as batches need it.
 *
 * @module
 */

import { readCommonOptions, throwProblems } from "./common_options.ts";
import {
  type ByteSource,
  bytesSource,
  denoFileSource,
  type H5Module,
  type IoStats,
  loadH5,
  type Mounted,
  mountSource,
} from "./_h5.ts";
import { CorpusDataset } from "./corpus_dataset.ts";
import type { DataArray, DataKeyInfo } from "./dataset.ts";

/** The options of `HDFDataset` besides the common ones (RETURNN's names). */
export const HDF_DATASET_OPTIONS: readonly string[] = Object.freeze([
  "files",
  "cache_byte_size",
  "use_cache_manager",
]);

/** A file of `files`: a path, or the bytes of a file (for browsers). */
export type HdfFileInput = string | { readonly name: string; readonly bytes: Uint8Array };

/** How far sequential reads read ahead (whole chunks), per key. */
const READ_AHEAD_BYTES = 256 * 1024;

/** HDF5's file signature (at offset 0, or 512, 1024, ... after a user block). */
const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

interface _H5Dataset {
  readonly shape: number[] | null;
  readonly metadata: { type: number; size: number; signed: boolean; chunks?: number[] | null };
  readonly value: unknown;
  slice(ranges: [number, number][]): unknown;
}

interface _H5Group {
  keys(): string[];
  get(name: string): unknown;
  readonly attrs: Record<string, { value: unknown }>;
  close?(): unknown;
}

interface _File {
  readonly name: string;
  readonly mounted: Mounted;
  readonly h5: _H5Group & { close(): unknown };
  readonly numSeqs: number;
  /** Cumulative starts per column: `starts[col][seq]`, `numSeqs + 1` entries. */
  readonly starts: Float64Array[];
  readonly tags: string[];
  readonly datasets: Map<string, _H5Dataset>;
  /** The last block of whole chunks read per key (rows [start, end)). */
  readonly blocks: Map<string, { start: number; end: number; data: DataArray }>;
}

/**
 * RETURNN's `HDFDataset` (`{class: "HDFDataset", files: [...]}`): the input `inputs` as data key
 * `data` (dense `[T, F]` float, or sparse int class indices with `inputPattSize` classes), and
 * each `targets/data/<key>` as its own key with its own lengths (column `1 + i` of
 * `seqLengths`, keys in sorted order). Several files are one corpus, in file order.
 *
 * Memory: the lengths and tags of every sequence (about `8 * (1 + keys) + tag length` bytes per
 * sequence) plus what HDF5 caches per open dataset (its chunk cache, 1 MiB by default); the data
 * is read per sequence slice when a batch needs it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HDFDataset } from "./hdf_dataset.ts";
 *
 * const ds = await HDFDataset.open({
 *   class: "HDFDataset",
 *   files: ["tests/fixtures/returnn_data/pub_a.hdf"],
 *   seq_ordering: "sorted",
 * });
 * await ds.initSeqOrder(1);
 * assert.deepEqual(ds.dataKeys, ["data", "classes"]);
 * const [first] = await Array.fromAsync(ds.batches({ batch_size: 100, max_seqs: 2 }));
 * assert.equal(first.get("data").shape.length, 3);
 * await ds.close();
 * ```
 */
export class HDFDataset extends CorpusDataset {
  readonly #files: _File[];
  readonly #fileStart: number[];
  readonly #keys: string[];
  readonly #info: Map<string, DataKeyInfo>;
  /** Column of each length key in `seqLengths` (includes RETURNN's dummy `classes`). */
  readonly #columns: Map<string, number>;
  readonly #lengthKeys: string[];
  #closed = false;

  private constructor(
    common: ReturnType<typeof readCommonOptions>,
    files: _File[],
    keys: string[],
    info: Map<string, DataKeyInfo>,
    lengthKeys: string[],
  ) {
    super(common);
    this.#files = files;
    this.#fileStart = [0];
    for (const f of files) {
      this.#fileStart.push(this.#fileStart[this.#fileStart.length - 1] + f.numSeqs);
    }
    this.#keys = keys;
    this.#info = info;
    this.#lengthKeys = lengthKeys;
    this.#columns = new Map(lengthKeys.map((k, i) => [k, i]));
  }

  /**
   * Check an `HDFDataset` dict without opening its files (options, and that each file exists and
   * is readable).
   *
   * @param dict The dict.
   * @param where Name for messages.
   * @returns The problems (empty: fine).
   */
  static check(dict: Readonly<Record<string, unknown>>, where = "HDFDataset"): string[] {
    return _validate(dict, where).problems;
  }

  /**
   * Open the files of an `HDFDataset` dict and check them, before any data is read.
   *
   * @param dict `{class: "HDFDataset", files, ...common options}`.
   * @param where Name for messages (`train`, `dev`...). @default "HDFDataset"
   * @returns The dataset (call `initSeqOrder(epoch)` next).
   * @throws {TypeError} For bad options, a missing file, a file that is not HDF, or one not in
   * RETURNN's layout (missing `seqLengths`, lengths that do not add up, other dimensions than
   * the first file); every problem is listed, each naming the file and the fix.
   */
  static async open(
    dict: Readonly<Record<string, unknown>>,
    where = "HDFDataset",
  ): Promise<HDFDataset> {
    const { problems, common, sources } = _validate(dict, where);
    // The files that exist are opened and checked too, so one run reports every problem.
    const h5 = await loadH5();
    const opened: _File[] = [];
    try {
      const layout = new _Layout(where);
      for (const [name, make] of sources) {
        const f = _openFile(h5, name, make, layout, problems);
        if (f !== undefined) opened.push(f);
      }
      throwProblems(problems, `dataset ${where}`);
      return new HDFDataset(common, opened, layout.dataKeys(), layout.info, layout.lengthKeys());
    } catch (e) {
      for (const f of opened) _closeFile(f);
      throw e;
    }
  }

  /** The data keys: `data` (if the files have `inputs`), then the target keys, sorted. */
  get dataKeys(): readonly string[] {
    return this.#keys;
  }

  /** What a key holds. */
  keyInfo(key: string): DataKeyInfo {
    this._requireKey(key);
    return this.#info.get(key)!;
  }

  /** Sequences in all files. */
  get totalNumSeqs(): number {
    return this.#fileStart[this.#fileStart.length - 1];
  }

  /** Bytes HDF5 read from the files so far, and read calls (to check streaming). */
  get ioStats(): IoStats {
    const s = { bytesRead: 0, reads: 0 };
    for (const f of this.#files) {
      s.bytesRead += f.mounted.stats.bytesRead;
      s.reads += f.mounted.stats.reads;
    }
    return s;
  }

  #locate(c: number): [_File, number] {
    let lo = 0;
    let hi = this.#files.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#fileStart[mid] <= c) lo = mid;
      else hi = mid - 1;
    }
    return [this.#files[lo], c - this.#fileStart[lo]];
  }

  /** Lengths per data key of a corpus sequence. */
  protected _corpusLength(c: number): Readonly<Record<string, number>> {
    const [f, s] = this.#locate(c);
    const out: Record<string, number> = {};
    this.#lengthKeys.forEach((k, col) => out[k] = f.starts[col][s + 1] - f.starts[col][s]);
    return out;
  }

  /** The length the sorting orderings use (RETURNN: the input's, column 0). */
  protected override _sortLength(c: number): number {
    const [f, s] = this.#locate(c);
    return f.starts[0][s + 1] - f.starts[0][s];
  }

  /** Tag of a corpus sequence. */
  protected _corpusTag(c: number): string {
    const [f, s] = this.#locate(c);
    return f.tags[s];
  }

  /** All tags, in corpus order. */
  override allTags(): readonly string[] {
    return this.#files.flatMap((f) => f.tags);
  }

  /** Frames [start, end) of a key of a corpus sequence. */
  protected _readCorpus(c: number, key: string, start: number, end: number): Promise<DataArray> {
    if (this.#closed) return Promise.reject(new RangeError(`HDFDataset '${this.name}' is closed`));
    const [f, s] = this.#locate(c);
    const col = this.#columns.get(key)!;
    const p = f.starts[col][s];
    const info = this.#info.get(key)!;
    const frame = info.frameShape.reduce((a, b) => a * b, 1);
    if (end === start) {
      return Promise.resolve(info.dtype === "int32" ? new Int32Array(0) : new Float32Array(0));
    }
    const ds = f.datasets.get(key)!;
    const a = p + start;
    const b = p + end;
    // HDF5 reads whole chunks, and h5wasm reopens the dataset per read (so HDF5's chunk cache
    // does not carry over): read whole chunks here and keep the last block per key, so
    // consecutive sequences sharing a chunk read it once.
    const chunk = ds.metadata.chunks?.[0];
    if (chunk === undefined) {
      return Promise.resolve(_convert(ds.slice([[a, b]]), info, (b - a) * frame, f.name, key));
    }
    let block = f.blocks.get(key);
    if (block === undefined || a < block.start || b > block.end) {
      // Reading on from the last block (file order): read ahead up to 256 KiB of whole chunks.
      const onward = block !== undefined && a >= block.start && a <= block.end;
      const ahead = onward
        ? Math.max(chunk, Math.floor(READ_AHEAD_BYTES / (4 * frame) / chunk) * chunk)
        : 0;
      const start = Math.floor(a / chunk) * chunk;
      const stop = Math.min(Math.ceil((b + ahead) / chunk) * chunk, ds.shape![0]);
      block = {
        start,
        end: stop,
        data: _convert(ds.slice([[start, stop]]), info, (stop - start) * frame, f.name, key),
      };
      f.blocks.set(key, block);
    }
    return Promise.resolve(block.data.slice((a - block.start) * frame, (b - block.start) * frame));
  }

  /** Close the files. Idempotent. */
  override close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      for (const f of this.#files) _closeFile(f);
    }
    return Promise.resolve();
  }
}

function _validate(dict: Readonly<Record<string, unknown>>, where: string): {
  problems: string[];
  common: ReturnType<typeof readCommonOptions>;
  sources: [string, () => ByteSource][];
} {
  const problems: string[] = [];
  const common = readCommonOptions(dict, where, HDF_DATASET_OPTIONS, problems);
  const files = dict.files;
  const inputs: HdfFileInput[] = [];
  if (!Array.isArray(files) || files.length === 0) {
    problems.push(`${where}: 'files' must be a non-empty list of HDF file paths`);
  } else {
    for (const f of files) {
      if (typeof f === "string" || (f && typeof f === "object" && f.bytes instanceof Uint8Array)) {
        inputs.push(f);
      } else {problems.push(
          `${where}: each entry of 'files' must be a path, got ${JSON.stringify(f)}`,
        );}
    }
  }
  const cbs = dict.cache_byte_size;
  if (cbs !== undefined && cbs !== null && !(Number.isInteger(cbs))) {
    problems.push(`${where}: 'cache_byte_size' must be an integer (newbob always streams)`);
  }
  if (dict.use_cache_manager !== undefined && dict.use_cache_manager !== false) {
    problems.push(
      `${where}: 'use_cache_manager' is not supported (RETURNN's i6 cache manager); remove it`,
    );
  }
  const sources: [string, () => ByteSource][] = [];
  for (const f of inputs) {
    if (typeof f !== "string") {
      sources.push([f.name, () => bytesSource(f.bytes)]);
      continue;
    }
    const problem = _checkFile(f);
    if (problem !== undefined) problems.push(`${where}: ${problem}`);
    else sources.push([f, () => denoFileSource(f)]);
  }
  return { problems, common, sources };
}

/** Keys and dimensions across files, checked as RETURNN's `add_file` does. */
class _Layout {
  readonly info = new Map<string, DataKeyInfo>();
  targetKeys: string[] | undefined;
  hasInputs: boolean | undefined;
  readonly where: string;
  constructor(where: string) {
    this.where = where;
  }
  dataKeys(): string[] {
    const targets = this.targetKeys ?? [];
    return [...(this.hasInputs ? ["data"] : []), ...targets.filter((k) => this.info.has(k))];
  }
  lengthKeys(): string[] {
    return [...(this.hasInputs ? ["data"] : []), ...(this.targetKeys ?? [])];
  }
}

function _checkFile(path: string): string | undefined {
  try {
    const st = Deno.statSync(path);
    if (!st.isFile) return `'${path}' in 'files' is not a file`;
    return undefined;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      return `HDF file '${path}' in 'files' does not exist (paths are relative to the working ` +
        `directory ${Deno.cwd()}); fix the path`;
    }
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      return `cannot read HDF file '${path}': no read permission (run deno with --allow-read for it)`;
    }
    return `cannot read HDF file '${path}': ${(e as Error).message}`;
  }
}

function _isHdf5(source: ByteSource): boolean {
  const buf = new Uint8Array(8);
  for (let off = 0; off === 0 || off + 8 <= source.size; off = off === 0 ? 512 : off * 2) {
    if (source.readAt(off, buf) === 8 && HDF5_SIGNATURE.every((b, i) => buf[i] === b)) return true;
    if (off > 1 << 30) break;
  }
  return false;
}

function _decode(s: unknown): string {
  const t = typeof s === "string"
    ? s
    : s instanceof Uint8Array
    ? new TextDecoder().decode(s)
    : String(s);
  return t.split("\0")[0];
}

function _ints(v: unknown): number[] {
  if (typeof v === "number" || typeof v === "bigint") return [Number(v)];
  if (ArrayBuffer.isView(v) || Array.isArray(v)) {
    return Array.from(v as ArrayLike<number | bigint>, Number);
  }
  return [];
}

function _openFile(
  h5: H5Module,
  name: string,
  make: () => ByteSource,
  layout: _Layout,
  problems: string[],
): _File | undefined {
  const where = layout.where;
  const source = make();
  if (!_isHdf5(source)) {
    source.close();
    problems.push(
      `'${name}' is not an HDF5 file (no HDF5 signature); 'files' must list HDF files in ` +
        "RETURNN's layout (write them with HDFWriter or RETURNN's SimpleHDFWriter)",
    );
    return undefined;
  }
  const mounted = mountSource(h5, source);
  const file = new h5.File(mounted.path, "r") as unknown as _H5Group & { close(): unknown };
  const fail = (why: string) => {
    problems.push(`${where}: HDF file '${name}': ${why}`);
    try {
      file.close();
    } finally {
      mounted.unmount();
    }
    return undefined;
  };
  const root = new Set(file.keys());
  if (!root.has("seqLengths")) {
    return fail(
      "has no 'seqLengths' dataset, so it is not in RETURNN's HDFDataset layout (inputs, " +
        "seqLengths, seqTags, targets/...); convert it with HDFWriter",
    );
  }
  if (!root.has("seqTags")) return fail("has no 'seqTags' dataset (one tag per sequence)");
  const seqLengths = file.get("seqLengths") as _H5Dataset;
  const shape = seqLengths.shape ?? [];
  const hasInputs = root.has("inputs");
  const hasTargets = root.has("targets");
  let targetKeys: string[] = ["classes"];
  if (hasTargets) {
    const data = file.get("targets/data") as _H5Group | null;
    const size = file.get("targets/size") as _H5Group | null;
    targetKeys = [...new Set([...(data?.keys() ?? []), ...Object.keys(size?.attrs ?? {})])].sort();
  }
  const numInputKeys = hasInputs ? 1 : 0;
  if (shape.length !== 2 || shape[1] !== numInputKeys + targetKeys.length) {
    return fail(
      `'seqLengths' has shape [${shape}] but must be [num_seqs, ${
        numInputKeys + targetKeys.length
      }]` +
        ` (one column for ${hasInputs ? "'inputs' and one for " : ""}each target key: ` +
        `${targetKeys.join(", ")})`,
    );
  }
  const numSeqs = shape[0];
  const lengths = _ints(seqLengths.value);
  if (lengths.some((l) => !(l >= 0))) return fail("'seqLengths' has negative lengths");
  let columns = Array.from({ length: shape[1] }, (_, c) => c);
  if (layout.targetKeys !== undefined && layout.targetKeys.join() !== targetKeys.join()) {
    // RETURNN: later files may have more target keys; the first file's keys are used.
    const missing = layout.targetKeys.filter((k) => !targetKeys.includes(k));
    if (missing.length > 0 || layout.hasInputs !== hasInputs) {
      return fail(
        `has target keys ${targetKeys.join(", ")} but earlier files have ` +
          `${layout.targetKeys.join(", ")} (${missing.join(", ")} missing); all files must have ` +
          "the earlier files' keys",
      );
    }
    columns = [
      ...(hasInputs ? [0] : []),
      ...layout.targetKeys.map((k) => numInputKeys + targetKeys.indexOf(k)),
    ];
    targetKeys = layout.targetKeys;
  }
  const starts = columns.map((col) => {
    const s = new Float64Array(numSeqs + 1);
    for (let i = 0; i < numSeqs; i++) s[i + 1] = s[i] + lengths[i * shape[1] + col];
    return s;
  });
  const datasets = new Map<string, _H5Dataset>();
  const info = new Map<string, DataKeyInfo>();
  const labelsOf = (path: string) => {
    const l = file.get(path) as _H5Dataset | null;
    const v = l?.value;
    return Array.isArray(v) ? v.map(_decode) : undefined;
  };
  const checkRows = (key: string, path: string, d: _H5Dataset, col: number) => {
    const rows = d.shape?.[0] ?? 0;
    const total = starts[col][numSeqs];
    if (total > rows) {
      fail(
        `the lengths of '${key}' in 'seqLengths' add up to ${total} frames but '${path}' has only ` +
          `${rows} rows; the file is truncated or its seqLengths are wrong (rewrite it)`,
      );
      return false;
    }
    return true;
  };
  if (hasInputs) {
    const d = file.get("inputs") as _H5Dataset;
    const ds = d.shape ?? [];
    const isInt = d.metadata.type === 0;
    const sparse = ds.length === 1;
    const dim = sparse ? _ints(file.attrs.inputPattSize?.value)[0] : ds[1];
    if (dim === undefined) {
      return fail(
        "sparse 'inputs' needs the root attribute 'inputPattSize' (the number of classes)",
      );
    }
    if (!checkRows("data", "inputs", d, 0)) return undefined;
    datasets.set("data", d);
    info.set("data", {
      dim,
      sparse: sparse && isInt,
      dtype: isInt ? "int32" : "float32",
      frameShape: ds.slice(1),
      ...(root.has("labels") && labelsOf("labels")?.length ? { labels: labelsOf("labels") } : {}),
    });
  }
  if (hasTargets) {
    const size = file.get("targets/size") as _H5Group | null;
    for (const [i, key] of targetKeys.entries()) {
      const path = `targets/data/${key}`;
      const d = file.get(path) as _H5Dataset | null;
      if (d === null) continue; // a key only in targets/size has lengths but no data (as RETURNN)
      const ds = d.shape ?? [];
      const attr = size?.attrs[key]?.value;
      const a = _ints(attr);
      const [dim, ndim] = a.length === 2
        ? a
        : [a[0] ?? (ds.length === 1 ? 1 : ds[ds.length - 1]), ds.length];
      const isInt = d.metadata.type === 0;
      if (!checkRows(key, path, d, numInputKeys + i)) return undefined;
      datasets.set(key, d);
      const labels = labelsOf(`targets/labels/${key}`);
      info.set(key, {
        dim,
        sparse: isInt && ndim <= 1,
        dtype: isInt ? "int32" : "float32",
        frameShape: ds.slice(1),
        ...(labels && labels.length === dim ? { labels } : {}),
      });
    }
  }
  if (layout.targetKeys === undefined) {
    layout.targetKeys = targetKeys;
    layout.hasInputs = hasInputs;
    for (const [k, v] of info) layout.info.set(k, v);
  } else {
    for (const [k, v] of info) {
      const first = layout.info.get(k);
      if (first && (first.dim !== v.dim || first.frameShape.join() !== v.frameShape.join())) {
        return fail(
          `key '${k}' has dimension ${v.dim} (frame shape [${v.frameShape}]) but the first file ` +
            `has ${first.dim} ([${first.frameShape}]); all files must have the same dimensions`,
        );
      }
    }
  }
  const tags = file.get("seqTags") as _H5Dataset;
  const tagValues = tags.value;
  const tagList = Array.isArray(tagValues) ? tagValues.map(_decode) : [_decode(tagValues)];
  if (tagList.length !== numSeqs) {
    return fail(`has ${tagList.length} seqTags but ${numSeqs} rows in seqLengths; they must match`);
  }
  return { name, mounted, h5: file, numSeqs, starts, tags: tagList, datasets, blocks: new Map() };
}

function _closeFile(f: _File): void {
  try {
    f.h5.close();
  } finally {
    f.mounted.unmount();
  }
}

function _convert(
  raw: unknown,
  info: DataKeyInfo,
  n: number,
  file: string,
  key: string,
): DataArray {
  if (info.dtype === "float32" && raw instanceof Float32Array) return raw;
  if (info.dtype === "int32" && raw instanceof Int32Array) return raw;
  if (!ArrayBuffer.isView(raw) || (raw as unknown as ArrayLike<number>).length !== n) {
    throw new TypeError(`Cannot read key '${key}' of HDF file '${file}': unexpected data`);
  }
  const src = raw as unknown as ArrayLike<number | bigint>;
  const out = info.dtype === "int32" ? new Int32Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Number(src[i]);
  return out;
}
