/**
 * RETURNN's `StaticDataset`: the sequences given in the dict itself, as a list of
 * `{key: values}` (RETURNN: a list of dicts of numpy arrays).
 *
 * @module
 */

import { readCommonOptions, throwProblems } from "./common_options.ts";
import { MemoryDataset, type MemoryKey } from "./memory_dataset.ts";

/** The options of `StaticDataset` besides the common ones (RETURNN's names). */
export const STATIC_DATASET_OPTIONS: readonly string[] = Object.freeze([
  "data",
  "target_list",
  "input_dim",
  "output_dim",
]);

/** One sequence's values of a key: frames of features, class indices, or a flat typed array. */
export type StaticValues =
  | readonly number[]
  | readonly (readonly number[])[]
  | Float32Array
  | Int32Array;

/** One key as read: its RETURNN `(dim, ndim)` and each sequence's flat values. */
interface _Key {
  dim: number;
  sparse: boolean;
  values: (Float32Array | Int32Array)[];
  lens: number[];
}

/**
 * RETURNN's `StaticDataset` (`{class: "StaticDataset", data: [{data: [[...], ...], classes:
 * [...]}, ...], output_dim?, input_dim?, target_list?}` plus the common options). As in
 * RETURNN:
 * - the keys are those of the first sequence, sorted, with `data` first; every sequence has
 *   them all;
 * - `output_dim` gives `{key: [dim, ndim]}` (`ndim` 1: sparse class indices, 2: dense frames;
 *   an int means `[n, 1]`, or `[n, 2]` for `data`); `input_dim` gives `data`'s dim; a key it
 *   does not name takes its dim from the values (the last axis of dense frames; for class
 *   indices newbob uses the largest index + 1 where RETURNN writes 0);
 * - tags are `seq-<i>`; sorting orderings use the first key's length.
 *
 * Values per sequence: `number[]` or `Int32Array` for class indices (one per frame),
 * `number[][]` (frames of features) or a flat `Float32Array` of `frames * dim` for dense data.
 *
 * @param dict The dataset dict.
 * @param where Name for messages. @default "StaticDataset"
 * @returns The dataset.
 * @throws {TypeError} Listing every problem of the dict.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createStaticDataset } from "./static_dataset.ts";
 *
 * const ds = createStaticDataset({
 *   class: "StaticDataset",
 *   data: [
 *     { data: [[0, 1], [1, 0], [1, 1]], classes: [2, 0] },
 *     { data: [[1, 1]], classes: [1] },
 *   ],
 *   output_dim: { data: [2, 2], classes: [3, 1] },
 * });
 * await ds.initSeqOrder(1);
 * assert.deepEqual(ds.dataKeys, ["data", "classes"]);
 * assert.equal(ds.tag(1), "seq-1");
 * const [b] = await Array.fromAsync(ds.batches({ batch_size: 10 }));
 * assert.deepEqual(b.get("classes").seqLens, new Int32Array([2, 1]));
 * assert.deepEqual(b.get("data").shape, [2, 3, 2]);
 * ```
 */
export function createStaticDataset(
  dict: Readonly<Record<string, unknown>>,
  where = "StaticDataset",
): MemoryDataset {
  const { problems, keys } = _read(dict, where);
  throwProblems(problems, `dataset ${where}`);
  const { data: _d, target_list: _t, input_dim: _i, output_dim: _o, ...common } = dict;
  const data: Record<string, MemoryKey> = {};
  for (const [key, k] of keys) {
    const total = k.values.reduce((a, v) => a + v.length, 0);
    const values = k.sparse ? new Int32Array(total) : new Float32Array(total);
    let off = 0;
    for (const v of k.values) {
      values.set(v, off);
      off += v.length;
    }
    data[key] = { values, seqLens: k.lens, dim: k.dim, ...(k.sparse ? { sparse: true } : {}) };
  }
  const n = keys.values().next().value?.lens.length ?? 0;
  return MemoryDataset.create({
    ...common,
    class: "MemoryDataset",
    data,
    tags: Array.from({ length: n }, (_, i) => `seq-${i}`),
  }, where);
}

/**
 * Check a `StaticDataset` dict (every problem at once).
 *
 * @param dict The dict.
 * @param where Name for messages. @default "StaticDataset"
 * @returns The problems (empty: fine).
 */
export function checkStaticDict(
  dict: Readonly<Record<string, unknown>>,
  where = "StaticDataset",
): string[] {
  return _read(dict, where).problems;
}

function _read(
  dict: Readonly<Record<string, unknown>>,
  where: string,
): { problems: string[]; keys: Map<string, _Key> } {
  const problems: string[] = [];
  readCommonOptions(dict, where, STATIC_DATASET_OPTIONS, problems);
  const keys = new Map<string, _Key>();
  const seqs = dict.data;
  if (!Array.isArray(seqs) || seqs.length === 0 || !seqs.every(_isDict)) {
    problems.push(
      `${where}: 'data' must be a non-empty list of sequences, each a dict like ` +
        `{data: [[...features], ...], classes: [...labels]}`,
    );
    return { problems, keys };
  }
  const names = Object.keys(seqs[0]).sort();
  if (names.includes("data")) names.splice(names.indexOf("data"), 1), names.unshift("data");
  const dims = _outputDims(dict, names, where, problems);
  if (dict.target_list !== undefined && dict.target_list !== null) {
    const t = dict.target_list;
    if (!Array.isArray(t) || t.some((k) => !names.includes(k))) {
      problems.push(
        `${where}: 'target_list' must list keys of the data (${names.join(", ")}), got ` +
          JSON.stringify(t),
      );
    }
  }
  for (const name of names) {
    const given = dims.get(name);
    const first = seqs[0][name];
    const sparse = given ? given[1] === 1 : !_isFrames(first);
    if (given && given[1] !== 1 && given[1] !== 2) {
      problems.push(`${where}: output_dim['${name}'] must have ndim 1 or 2, got ${given[1]}`);
      continue;
    }
    const key: _Key = { dim: given?.[0] ?? 0, sparse, values: [], lens: [] };
    let ok = true;
    seqs.forEach((seq, i) => {
      if (!ok) return;
      const v = (seq as Record<string, unknown>)[name];
      const r = sparse ? _labels(v) : _frames(v, key.dim);
      if (typeof r === "string") {
        problems.push(`${where}: data[${i}]['${name}'] ${r}`);
        ok = false;
        return;
      }
      if (!sparse && key.dim === 0) key.dim = r.dim;
      if (!sparse && r.dim !== key.dim) {
        problems.push(
          `${where}: data[${i}]['${name}'] has ${r.dim} features per frame, expected ${key.dim}`,
        );
        ok = false;
        return;
      }
      key.values.push(r.values);
      key.lens.push(r.frames);
    });
    const extra = seqs.findIndex((s) =>
      Object.keys(s).length !== names.length || !names.every((k) => k in s)
    );
    if (extra >= 0 && ok) {
      problems.push(
        `${where}: data[${extra}] has the keys ${Object.keys(seqs[extra]).join(", ")}, ` +
          `the first sequence ${names.join(", ")}: every sequence needs the same keys`,
      );
      ok = false;
    }
    if (!ok) continue;
    if (sparse && key.dim === 0) {
      let max = -1;
      for (const v of key.values) for (const x of v) max = Math.max(max, x);
      key.dim = max + 1;
    }
    keys.set(name, key);
  }
  return { problems, keys };
}

function _isDict(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

function _isFrames(v: unknown): boolean {
  return v instanceof Float32Array || (Array.isArray(v) && Array.isArray(v[0]));
}

/** `output_dim` / `input_dim` as RETURNN's `convert_data_dims` reads them: key -> [dim, ndim]. */
function _outputDims(
  dict: Readonly<Record<string, unknown>>,
  names: readonly string[],
  where: string,
  problems: string[],
): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  let od = dict.output_dim;
  if (Number.isInteger(od)) od = { classes: od };
  if (od !== undefined && od !== null) {
    if (!_isDict(od)) {
      problems.push(`${where}: 'output_dim' must be a dict key -> [dim, ndim] or an int`);
    } else {
      for (const [k, v] of Object.entries(od)) {
        const pair = Number.isInteger(v) ? [v, k === "data" ? 2 : 1] : v;
        if (
          !Array.isArray(pair) || pair.length !== 2 || !pair.every((x) => Number.isInteger(x)) ||
          pair[0] < 0 || pair[1] < 1
        ) {
          problems.push(
            `${where}: output_dim['${k}'] must be [dim, ndim] (ndim 1: sparse, 2: dense), got ` +
              JSON.stringify(v),
          );
        } else if (!names.includes(k)) {
          problems.push(
            `${where}: output_dim names '${k}', which the data does not have (keys: ` +
              `${names.join(", ")}); RETURNN asserts they match`,
          );
        } else out.set(k, [pair[0], pair[1]]);
      }
    }
  }
  const id = dict.input_dim;
  if (id !== undefined && id !== null) {
    if (!Number.isInteger(id) || (id as number) < 1) {
      problems.push(`${where}: 'input_dim' must be a positive integer, got ${JSON.stringify(id)}`);
    } else if (!out.has("data")) {
      if (!names.includes("data")) {
        problems.push(`${where}: 'input_dim' is set but the sequences have no 'data' key`);
      } else out.set("data", [id as number, 2]);
    }
  }
  return out;
}

function _labels(v: unknown): string | { values: Int32Array; frames: number; dim: number } {
  if (v instanceof Int32Array) return { values: v, frames: v.length, dim: 0 };
  if (Array.isArray(v) && v.every((x) => Number.isInteger(x) && x >= 0)) {
    return { values: Int32Array.from(v), frames: v.length, dim: 0 };
  }
  return "must be class indices (a list of integers >= 0, or an Int32Array)";
}

function _frames(
  v: unknown,
  dim: number,
): string | { values: Float32Array; frames: number; dim: number } {
  if (v instanceof Float32Array) {
    if (dim <= 0 || v.length % dim !== 0) {
      return `is a flat Float32Array of ${v.length} values: give output_dim [dim, 2] with a ` +
        "dim that divides it, or frames as a list of lists";
    }
    return { values: v, frames: v.length / dim, dim };
  }
  if (!Array.isArray(v) || !v.every(Array.isArray)) {
    return "must be frames of features (a list of lists of numbers, or a flat Float32Array)";
  }
  const f = v.length > 0 ? (v[0] as number[]).length : dim;
  const values = new Float32Array(v.length * f);
  for (let t = 0; t < v.length; t++) {
    const row = v[t] as number[];
    if (row.length !== f || !row.every((x) => typeof x === "number")) {
      return `frame ${t} must have ${f} numbers like the first`;
    }
    values.set(row, t * f);
  }
  return { values, frames: v.length, dim: f };
}
