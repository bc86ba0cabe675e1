/**
 * Write HDF files in RETURNN's `HDFDataset` layout (what its `SimpleHDFWriter` writes), one
 * sequence at a time and streamed to disk, so users can convert their data and RETURNN reads
 * the files back.
 *
 * @module
 */

import { denoFileSource, loadH5, type Mounted, mountSource } from "./_h5.ts";
import type { DataArray } from "./dataset.ts";
import { didYouMeanSuffix } from "../_util/did_you_mean.ts";

/** One data key of a file to write. */
export interface HdfKeySpec {
  /** Feature dimension (dense) or number of classes (sparse). */
  readonly dim: number;
  /** Sparse: one int32 class index per frame. @default false */
  readonly sparse?: boolean;
  /** Shape of a dense frame. @default `[dim]` */
  readonly frameShape?: readonly number[];
  /** Element type of dense data. @default "float32" (sparse data is int32) */
  readonly dtype?: "float32" | "int32";
  /** Label names (`dim` of them). @default none (RETURNN's `dummy-label` for targets) */
  readonly labels?: readonly string[];
}

/** Options of {@linkcode HDFWriter.create}. */
export interface HdfWriterOptions {
  /** The input, written as `inputs` and read back as key `data`. @default no input */
  readonly data?: HdfKeySpec;
  /** Target keys, each written as `targets/data/<key>` with its own lengths. @default none */
  readonly targets?: Readonly<Record<string, HdfKeySpec>>;
  /** Replace an existing file (only once `close()` succeeded). @default false */
  readonly overwrite?: boolean;
}

interface _Key {
  readonly name: string;
  readonly path: string;
  readonly spec: HdfKeySpec;
  readonly frame: number;
  readonly frameShape: number[];
  readonly int: boolean;
  rows: number;
  pending: DataArray[];
  pendingRows: number;
  // deno-lint-ignore no-explicit-any
  dataset?: any;
}

/** Rows per write: buffered values are written once they reach this many bytes. */
const FLUSH_BYTES = 1 << 20;

/**
 * A writer of one HDF file in RETURNN's layout: `inputs`, `seqLengths` (`[N, 1 + targets]`,
 * targets in sorted order), `seqTags`, `targets/data/<key>`, `targets/size` (`[dim, ndim]` per
 * key), `targets/labels/<key>` and the root attributes `inputPattSize`, `numSeqs`,
 * `numTimesteps`, `numDims`, `numLabels`. Data is streamed to a temporary file beside the target
 * (memory: about 1 MiB of buffered rows per key plus the lengths and tags); `close()` renames
 * it into place, so a failed conversion never leaves a half-written file under the real name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HDFWriter } from "./hdf_writer.ts";
 * import { HDFDataset } from "./hdf_dataset.ts";
 *
 * await Deno.mkdir(".tmp", { recursive: true });
 * const path = await Deno.makeTempFile({ dir: ".tmp", suffix: ".hdf" });
 * const w = await HDFWriter.create(path, {
 *   data: { dim: 2 },
 *   targets: { classes: { dim: 3, sparse: true } },
 *   overwrite: true,
 * });
 * await w.insert("seq-0", { data: new Float32Array([1, 2, 3, 4]), classes: new Int32Array([0, 2]) });
 * await w.close();
 * const ds = await HDFDataset.open({ class: "HDFDataset", files: [path] });
 * await ds.initSeqOrder(1);
 * assert.deepEqual(ds.seqLength(0), { data: 2, classes: 2 });
 * assert.deepEqual(await ds.getData(0, "classes"), new Int32Array([0, 2]));
 * await ds.close();
 * await Deno.remove(path);
 * ```
 */
export class HDFWriter {
  /** The file being written. */
  readonly path: string;
  readonly #tmp: string;
  readonly #mounted: Mounted;
  // deno-lint-ignore no-explicit-any
  readonly #file: any;
  readonly #input: _Key | undefined;
  readonly #targets: _Key[];
  readonly #tags: string[] = [];
  readonly #lengths: number[] = [];
  #closed = false;

  private constructor(
    path: string,
    tmp: string,
    mounted: Mounted,
    // deno-lint-ignore no-explicit-any
    file: any,
    input: _Key | undefined,
    targets: _Key[],
  ) {
    this.path = path;
    this.#tmp = tmp;
    this.#mounted = mounted;
    this.#file = file;
    this.#input = input;
    this.#targets = targets;
  }

  /**
   * Start writing a file.
   *
   * @param path Where the file goes (needs write permission for its folder).
   * @param options The keys: `data` (the input) and `targets`.
   * @returns The writer; `insert` sequences, then `close()`.
   * @throws {TypeError} For bad key specs (every problem listed).
   * @throws {Deno.errors.AlreadyExists} If the file exists and `overwrite` is not set.
   */
  static async create(path: string, options: HdfWriterOptions): Promise<HDFWriter> {
    const problems: string[] = [];
    const known = ["data", "targets", "overwrite"];
    for (const k of Object.keys(options)) {
      if (!known.includes(k)) problems.push(`unknown option '${k}'.${didYouMeanSuffix(k, known)}`);
    }
    const keys = (options.targets ? Object.keys(options.targets) : []).sort();
    if (keys.includes("data")) {
      problems.push("a target cannot be called 'data' (that is the input)");
    }
    if (options.data === undefined && keys.length === 0) {
      problems.push("give the input ('data') or at least one target");
    }
    const make = (name: string, path: string, spec: HdfKeySpec): _Key => {
      const sparse = spec.sparse === true;
      if (!Number.isInteger(spec.dim) || spec.dim < 1) {
        problems.push(`'${name}': dim must be a positive integer, got ${spec.dim}`);
      }
      const frameShape = sparse ? [] : [...(spec.frameShape ?? [spec.dim])];
      if (spec.labels !== undefined && spec.labels.length !== spec.dim) {
        problems.push(`'${name}': ${spec.labels.length} labels for dim ${spec.dim}`);
      }
      return {
        name,
        path,
        spec,
        frame: frameShape.reduce((a, b) => a * b, 1),
        frameShape,
        int: sparse || spec.dtype === "int32",
        rows: 0,
        pending: [],
        pendingRows: 0,
      };
    };
    const input = options.data ? make("data", "inputs", options.data) : undefined;
    const targets = keys.map((k) => make(k, `targets/data/${k}`, options.targets![k]));
    if (problems.length > 0) {
      throw new TypeError(`Cannot write HDF file '${path}':\n  - ${problems.join("\n  - ")}`);
    }
    if (!options.overwrite) {
      try {
        await Deno.lstat(path);
        throw new Deno.errors.AlreadyExists(
          `Cannot write HDF file '${path}': it exists (pass overwrite: true to replace it)`,
        );
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
    }
    const slash = path.lastIndexOf("/");
    const dir = slash >= 0 ? path.slice(0, slash) || "/" : ".";
    const tmp = await Deno.makeTempFile({
      dir,
      prefix: `.${path.slice(slash + 1)}.`,
      suffix: ".tmp",
    });
    const h5 = await loadH5();
    const mounted = mountSource(h5, denoFileSource(tmp, true));
    // deno-lint-ignore no-explicit-any
    const file: any = new h5.File(mounted.path, "w");
    if (targets.length > 0) {
      file.create_group("targets");
      file.create_group("targets/data");
      file.create_group("targets/size");
      file.create_group("targets/labels");
    }
    for (const k of targets) {
      file.get("targets/size").create_attribute(
        k.name,
        new Int32Array([k.spec.dim, k.frameShape.length + 1]),
        [2],
        "<i4",
      );
      _strings(file, `targets/labels/${k.name}`, k.spec.labels ?? ["dummy-label"]);
    }
    if (input?.spec.labels) _strings(file, "labels", input.spec.labels);
    else file.create_dataset({ name: "labels", data: new Uint8Array(0), shape: [0], dtype: "S5" });
    return new HDFWriter(path, tmp, mounted, file, input, targets);
  }

  /** Sequences written so far. */
  get numSeqs(): number {
    return this.#tags.length;
  }

  /**
   * Append one sequence. Lengths are the arrays' lengths divided by the frame size.
   *
   * @param tag The sequence tag.
   * @param data Values per key (`data` for the input, then each target), row-major.
   * @returns Resolves once buffered (written in blocks of about 1 MiB).
   * @throws {TypeError} For a missing or unknown key, a wrong element type, or an array whose
   * length is not a multiple of the frame size; nothing of the sequence is written then.
   */
  insert(tag: string, data: Readonly<Record<string, DataArray>>): Promise<void> {
    try {
      if (this.#closed) throw new TypeError(`HDFWriter for '${this.path}' is closed`);
      if (typeof tag !== "string") {
        throw new TypeError(`A sequence tag must be a string, got ${tag}`);
      }
      const all = [...(this.#input ? [this.#input] : []), ...this.#targets];
      const names = all.map((k) => k.name);
      for (const k of Object.keys(data)) {
        if (!names.includes(k)) {
          throw new TypeError(
            `Cannot insert '${tag}': unknown key '${k}'.${
              didYouMeanSuffix(k, names)
            } Keys: ${names}`,
          );
        }
      }
      const lens: number[] = [];
      for (const k of all) {
        const v = data[k.name];
        if (v === undefined) {
          throw new TypeError(`Cannot insert '${tag}': key '${k.name}' is missing`);
        }
        if (k.int ? !(v instanceof Int32Array) : !(v instanceof Float32Array)) {
          throw new TypeError(
            `Cannot insert '${tag}': key '${k.name}' must be an ${
              k.int ? "Int32Array" : "Float32Array"
            }`,
          );
        }
        if (v.length % k.frame !== 0) {
          throw new TypeError(
            `Cannot insert '${tag}': key '${k.name}' has ${v.length} values, not a multiple of ` +
              `its frame size ${k.frame}`,
          );
        }
        lens.push(v.length / k.frame);
      }
      for (const [i, k] of all.entries()) {
        k.dataset ??= _createDataset(this.#file, k, lens[i]);
        k.pending.push(data[k.name].slice());
        k.pendingRows += lens[i];
        if (k.pendingRows * k.frame * 4 >= FLUSH_BYTES) _flush(k);
      }
      this.#tags.push(tag);
      if (!this.#input) this.#lengths.push(...lens);
      else this.#lengths.push(...lens, ...(this.#targets.length === 0 ? [0] : []));
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Write the lengths, tags and attributes, close the file and move it into place.
   *
   * @returns Resolves once the file is at `path`.
   * @throws {RangeError} If no sequence was inserted (RETURNN cannot read such a file); the
   * temporary file is removed.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const f = this.#file;
    try {
      if (this.#tags.length === 0) {
        throw new RangeError(`Cannot write HDF file '${this.path}': no sequence was inserted`);
      }
      const all = [...(this.#input ? [this.#input] : []), ...this.#targets];
      for (const k of all) _flush(k);
      const cols = this.#lengths.length / this.#tags.length;
      f.create_dataset({
        name: "seqLengths",
        data: Int32Array.from(this.#lengths),
        shape: [this.#tags.length, cols],
      });
      f.create_dataset({ name: "seqTags", data: this.#tags });
      const n = this.#tags.length;
      const steps = this.#input ? this.#input.rows : 0;
      const dim = this.#input?.spec.dim ?? 1;
      for (
        const [name, v] of [["numTimesteps", steps], ["inputPattSize", dim], ["numDims", 1], [
          "numLabels",
          dim,
        ], ["numSeqs", n]] as const
      ) {
        f.create_attribute(name, v, null, "<i8");
      }
      f.close();
      this.#mounted.unmount();
      await Deno.rename(this.#tmp, this.path);
    } catch (e) {
      try {
        f.close();
      } catch { /* already closed */ }
      try {
        this.#mounted.unmount();
      } catch { /* already unmounted */ }
      await Deno.remove(this.#tmp).catch(() => {});
      throw e;
    }
  }
}

/**
 * Create a key's resizable dataset. A chunk holds about one sequence (the first one's size,
 * kept within 8-64 KiB): a sequence read in a random order then costs about one or two chunks,
 * and the chunk index stays small enough for HDF5's caches.
 */
// deno-lint-ignore no-explicit-any
function _createDataset(file: any, k: _Key, firstLength: number): any {
  const rowBytes = 4 * k.frame;
  const bytes = Math.min(Math.max(firstLength * rowBytes, 8192), 65536);
  const chunkRows = Math.max(1, Math.floor(bytes / rowBytes));
  return file.create_dataset({
    name: k.path,
    data: k.int ? new Int32Array(0) : new Float32Array(0),
    shape: [0, ...k.frameShape],
    maxshape: [null, ...k.frameShape],
    chunks: [chunkRows, ...k.frameShape],
  });
}

function _flush(k: _Key): void {
  if (k.pendingRows === 0) return;
  const all = k.int
    ? new Int32Array(k.pendingRows * k.frame)
    : new Float32Array(k.pendingRows * k.frame);
  let off = 0;
  for (const p of k.pending) {
    all.set(p, off);
    off += p.length;
  }
  k.dataset.resize([k.rows + k.pendingRows, ...k.frameShape]);
  k.dataset.write_slice([[k.rows, k.rows + k.pendingRows]], all);
  k.rows += k.pendingRows;
  k.pending = [];
  k.pendingRows = 0;
}

// deno-lint-ignore no-explicit-any
function _strings(file: any, name: string, values: readonly string[]): void {
  file.create_dataset({ name, data: [...values] });
}
