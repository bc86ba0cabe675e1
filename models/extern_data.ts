/**
 * RETURNN's description of the data keys (`extern_data`, or `num_inputs` / `num_outputs`) and
 * the conversion of a host batch (as the datasets' batcher produces it) into padded
 * {@linkcode SeqTensor}s.
 *
 * @module
 */

import type { Tf } from "./_tf.ts";
import type { SeqTensor } from "./seq.ts";
import { showValue } from "../_util/validate.ts";
import { didYouMeanSuffix } from "../_util/did_you_mean.ts";

/** One data key: its features (dense) or classes (sparse). */
export interface DataKeySpec {
  /** Features (dense) or classes (sparse). */
  readonly dim: number;
  /** Whether the values are class indices. */
  readonly sparse: boolean;
}

/** The data keys by name (`data`, `classes`, ...). */
export type ExternDataSpec = Readonly<Record<string, DataKeySpec>>;

/** The config keys that describe the data (RETURNN's names). */
export interface ExternDataConfig {
  /** RETURNN's `extern_data` dict. */
  extern_data?: unknown;
  /** RETURNN's `num_inputs` (features of `data`). */
  num_inputs?: unknown;
  /** RETURNN's `num_outputs` (classes of `classes`, or a dict per key). */
  num_outputs?: unknown;
}

const KEY_OPTIONS = ["dim", "sparse", "shape", "dtype", "available_for_inference", "sparse_dim"];

/**
 * The data keys of a config, as RETURNN derives them: `extern_data` when given, otherwise
 * `num_inputs` gives `data` (dense, that many features) and `num_outputs` gives `classes`
 * (sparse, that many classes); `num_outputs` may also be a dict `{key: [dim, ndim]}`
 * (`ndim` 1: sparse, 2: dense) or `{key: dim}`. Problems are appended to `problems`.
 *
 * @param config The config (only the three keys are read).
 * @param problems Where problems go (each a full sentence naming the key).
 * @returns The keys that could be read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveExternData } from "./extern_data.ts";
 *
 * const problems: string[] = [];
 * assert.deepEqual(resolveExternData({ num_inputs: 9, num_outputs: 2 }, problems), {
 *   data: { dim: 9, sparse: false },
 *   classes: { dim: 2, sparse: true },
 * });
 * assert.deepEqual(problems, []);
 * ```
 */
export function resolveExternData(config: ExternDataConfig, problems: string[]): ExternDataSpec {
  const out: Record<string, DataKeySpec> = {};
  const ed = config.extern_data;
  if (ed !== undefined && ed !== null) {
    if (typeof ed !== "object" || Array.isArray(ed)) {
      problems.push(`'extern_data' must be a dict of data keys: current value is ${showValue(ed)}`);
      return out;
    }
    for (const [key, spec] of Object.entries(ed as Record<string, unknown>)) {
      const s = _keySpec(`extern_data.${key}`, spec, problems);
      if (s) out[key] = s;
    }
    return out;
  }
  const ni = config.num_inputs;
  if (ni !== undefined && ni !== null) {
    if (!Number.isInteger(ni) || (ni as number) <= 0) {
      problems.push(`'num_inputs' must be a positive integer: current value is ${showValue(ni)}`);
    } else out.data = { dim: ni as number, sparse: false };
  }
  const no = config.num_outputs;
  if (no === undefined || no === null) return out;
  if (Number.isInteger(no) && (no as number) > 0) {
    out.classes = { dim: no as number, sparse: true };
  } else if (typeof no === "object" && !Array.isArray(no)) {
    for (const [key, v] of Object.entries(no as Record<string, unknown>)) {
      if (Number.isInteger(v) && (v as number) > 0) {
        out[key] = { dim: v as number, sparse: key !== "data" };
      } else if (
        Array.isArray(v) && v.length === 2 && Number.isInteger(v[0]) && v[0] > 0 &&
        (v[1] === 1 || v[1] === 2)
      ) {
        out[key] = { dim: v[0], sparse: v[1] === 1 };
      } else if (v && typeof v === "object" && !Array.isArray(v)) {
        const s = _keySpec(`num_outputs.${key}`, v, problems);
        if (s) out[key] = s;
      } else {
        problems.push(
          `'num_outputs.${key}' must be a dim, [dim, ndim] (ndim 1: sparse, 2: dense) or a ` +
            `dict like {"dim": 2, "sparse": true}: current value is ${showValue(v)}`,
        );
      }
    }
  } else {
    problems.push(
      `'num_outputs' must be a positive integer or a dict of data keys: current value is ${
        showValue(no)
      }`,
    );
  }
  return out;
}

function _keySpec(where: string, spec: unknown, problems: string[]): DataKeySpec | null {
  if (!spec || typeof spec !== "object" || Array.isArray(spec)) {
    problems.push(`'${where}' must be a dict like {"dim": 9}: current value is ${showValue(spec)}`);
    return null;
  }
  const s = spec as Record<string, unknown>;
  let ok = true;
  for (const k of Object.keys(s)) {
    if (!KEY_OPTIONS.includes(k)) {
      problems.push(
        `'${where}.${k}' is not supported (supported: ${KEY_OPTIONS.join(", ")}).` +
          didYouMeanSuffix(k, KEY_OPTIONS),
      );
      ok = false;
    }
  }
  if (s.sparse !== undefined && typeof s.sparse !== "boolean") {
    problems.push(
      `'${where}.sparse' must be true or false: current value is ${showValue(s.sparse)}`,
    );
    ok = false;
  }
  const sparse = s.sparse === true || s.sparse_dim !== undefined;
  let dim = s.dim ?? s.sparse_dim;
  if (dim === undefined && Array.isArray(s.shape) && !sparse) dim = s.shape[s.shape.length - 1];
  if (!Number.isInteger(dim) || (dim as number) <= 0) {
    problems.push(`'${where}.dim' must be a positive integer: current value is ${showValue(dim)}`);
    return null;
  }
  if (s.shape !== undefined) {
    const want = sparse ? 1 : 2;
    if (!Array.isArray(s.shape) || s.shape.length !== want || s.shape[0] !== null) {
      problems.push(
        `'${where}.shape' must be ${sparse ? "[null]" : `[null, ${dim}]`} (a time axis, then ` +
          `${sparse ? "nothing" : "the features"}): current value is ${showValue(s.shape)}`,
      );
      ok = false;
    }
  }
  return ok ? { dim: dim as number, sparse } : null;
}

/** One data key of a host batch (what the datasets' batcher produces). */
export interface HostBatchKey {
  /** Row-major values: float32 features or int32 class indices. */
  readonly data: Float32Array | Int32Array;
  /** `[B, T]` (sparse) or `[B, T, F]` (dense). */
  readonly shape: readonly number[];
  /** Frames per sequence. */
  readonly seqLens: Int32Array;
}

/**
 * Turn a host batch into tensors: one {@linkcode SeqTensor} per key, checked against the data
 * keys (dims, sparsity, lengths) when `spec` is given.
 *
 * @param tf The TensorFlow.js namespace.
 * @param batch The batch by key.
 * @param spec The data keys (from {@linkcode resolveExternData}).
 * @returns The tensors by key (dispose their `values` after the step).
 * @throws {RangeError} If a key's shape, dims or lengths do not fit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { externDataFromBatch } from "./extern_data.ts";
 *
 * const x = externDataFromBatch(tf, {
 *   classes: { data: new Int32Array([1, 0, 1, 0]), shape: [2, 2], seqLens: new Int32Array([2, 1]) },
 * }, { classes: { dim: 2, sparse: true } });
 * assert.equal(x.classes.sparse, true);
 * assert.deepEqual(x.classes.values.shape, [2, 2]);
 * ```
 */
export function externDataFromBatch(
  tf: Tf,
  batch: Readonly<Record<string, HostBatchKey>>,
  spec?: ExternDataSpec,
): Record<string, SeqTensor> {
  const out: Record<string, SeqTensor> = {};
  for (const [key, k] of Object.entries(batch)) {
    const s = spec?.[key];
    const sparse = k.data instanceof Int32Array;
    const [B, T, F] = k.shape;
    const n = k.shape.reduce((a, b) => a * b, 1);
    if (k.shape.length !== (sparse ? 2 : 3) || n !== k.data.length) {
      throw new RangeError(
        `Cannot use batch key '${key}' as its shape [${k.shape}] does not fit ${k.data.length} ` +
          `${sparse ? "int32 class indices ([B, T])" : "float32 features ([B, T, F])"}`,
      );
    }
    if (k.seqLens.length !== B || k.seqLens.some((l) => l < 0 || l > T)) {
      throw new RangeError(
        `Cannot use batch key '${key}' as its seqLens [${k.seqLens}] must be ${B} lengths in [0, ${T}]`,
      );
    }
    if (s && (s.sparse !== sparse || (!sparse && s.dim !== F))) {
      throw new RangeError(
        `Cannot use batch key '${key}': extern_data says ${
          s.sparse ? "sparse" : "dense"
        } with dim ` +
          `${s.dim}, the batch has ${sparse ? "class indices" : `${F} features`}`,
      );
    }
    const dim = sparse ? (s?.dim ?? 0) : F;
    out[key] = sparse
      ? {
        values: tf.tensor2d(k.data as Int32Array, [B, T], "int32"),
        seqLens: k.seqLens,
        dim,
        sparse,
        host: k.data as Int32Array,
      }
      : { values: tf.tensor3d(k.data as Float32Array, [B, T, F]), seqLens: k.seqLens, dim, sparse };
  }
  return out;
}
