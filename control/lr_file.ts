/**
 * The learning-rate file's text (spec 8): parsing every form RETURNN writes or reads, and
 * formatting exactly the text RETURNN writes. Strings only (loads in a browser); reading and
 * writing the file on disk is `lr_file_io.ts`.
 *
 * @module
 */

import {
  _compareCodePoints,
  _dictRepr,
  _floatRepr,
  _lineColumn,
  _measure,
  type _Measured,
  _setOwn,
} from "./_repr.ts";
import { pyStrRepr } from "./py_str_repr.ts";
import { LearningRateFileError } from "./errors.ts";
import { parsePyLiteral } from "./py_literal.ts";
import { PyCall, PyDict, PyFloat, PyTuple } from "./py_value.ts";

/**
 * A score as stored: a float (`number`), a numpy float64 ({@linkcode PyFloat}), and, only when
 * read from a file, a Python int (`bigint`) or `None` (`null`).
 */
export type StoredScore = number | PyFloat | bigint | null;

/** One epoch of the learning-rate history (RETURNN's `EpochData`). */
export interface EpochRecord {
  /** The learning rate of the epoch. */
  learningRate: number;
  /** Scores by name (flat), e.g. `dev_score`. */
  error: Map<string, StoredScore>;
  /** Meta data (saved as `':meta:<key>'` entries), e.g. `global_train_step`. */
  meta: Record<string, unknown>;
}

const META_PREFIX = ":meta:";

/**
 * Meta keys RETURNN's engines always store as Python floats: an integral value (e.g. a learning
 * rate of 1) is written `1.0` there. Other integral meta numbers are written as ints (step
 * counters, `epoch_train_time_secs`, which the engines round to an int).
 */
const FLOAT_META_KEYS: ReadonlySet<string> = new Set(["effective_learning_rate"]);

/**
 * Parse the text of a learning-rate file: `{epoch: EpochData(learningRate=..., error={...}),
 * ...}` with every variation RETURNN reads (`learning_rate=`, `meta=`, the old float `error=2.5`,
 * bare `nan`/`inf`, `float('nan')`, `np.float64(x)`, `':meta:'` keys).
 *
 * @param text The file text.
 * @param path The file name, for error messages.
 * @returns Epoch records by epoch.
 * @throws {LearningRateFileError} With line and column, on a syntax error or an entry RETURNN
 * would reject.
 *
 * @example Usage
 * ```ts
 * import { parseLearningRateFile } from "./lr_file.ts";
 * import { equal } from "node:assert/strict";
 * const data = parseLearningRateFile("{1: EpochData(learningRate=0.01, error={'dev_score': 2.5})}");
 * equal(data.get(1)!.learningRate, 0.01);
 * equal(data.get(1)!.error.get("dev_score"), 2.5);
 * ```
 */
export function parseLearningRateFile(text: string, path?: string): Map<number, EpochRecord> {
  const top = parsePyLiteral(text, { path, calls: ["EpochData"] });
  const fail = (offset: number, problem: string): never => {
    const [line, column] = _lineColumn(text, offset);
    throw new LearningRateFileError(problem, line, column, path);
  };
  if (!(top instanceof PyDict)) {
    return fail(0, "expected a dict {epoch: EpochData(...), ...} at the top of the file");
  }
  const data = new Map<number, EpochRecord>();
  top.entries.forEach(([key, value], i) => {
    const at = top.keyOffsets?.[i] ?? 0;
    if (
      typeof key !== "bigint" || key > BigInt(Number.MAX_SAFE_INTEGER) ||
      key < -BigInt(Number.MAX_SAFE_INTEGER)
    ) {
      fail(at, "expected an integer epoch number as the key");
    }
    if (!(value instanceof PyCall)) {
      fail(at, `expected EpochData(...) as the value of epoch ${key}`);
    }
    data.set(Number(key), _epochRecord(value as PyCall, Number(key), (o, p) => fail(o, p)));
  });
  return data;
}

function _epochRecord(
  call: PyCall,
  epoch: number,
  fail: (offset: number, problem: string) => never,
): EpochRecord {
  const where = `EpochData of epoch ${epoch}`;
  const kwargs = new Map(call.kwargs);
  let lr = kwargs.get("learning_rate");
  kwargs.delete("learning_rate");
  if (lr === undefined || lr === null) {
    lr = kwargs.get("learningRate");
    kwargs.delete("learningRate");
  }
  const errorArg = kwargs.get("error");
  const metaArg = kwargs.get("meta");
  kwargs.delete("error");
  kwargs.delete("meta");
  if (kwargs.size > 0) {
    fail(
      call.offset,
      `${where}: unexpected keyword ${
        [...kwargs.keys()].map((k) => `'${k}'`).join(", ")
      } (expected learningRate=, error=, meta=)`,
    );
  }
  let learningRate: number;
  if (typeof lr === "number") learningRate = lr;
  else if (lr instanceof PyFloat) learningRate = lr.value;
  else {
    const found = lr === undefined || lr === null
      ? "none"
      : typeof lr === "bigint"
      ? `the int ${lr}`
      : `a ${_kind(lr)}`;
    return fail(
      call.offset,
      `${where}: the learning rate must be a float (e.g. 1.0), found ${found}`,
    );
  }
  const error = new Map<string, StoredScore>();
  const meta: Record<string, unknown> = {};
  if (typeof errorArg === "number" || errorArg instanceof PyFloat) {
    error.set("old_format_score", errorArg);
  } else if (errorArg instanceof PyDict) {
    for (const [k, v] of errorArg.entries) {
      if (typeof k !== "string") fail(call.offset, `${where}: score names must be strings`);
      const name = k as string;
      if (name.startsWith(META_PREFIX)) {
        if (metaArg !== undefined && metaArg !== null) {
          fail(call.offset, `${where}: '${name}' in error= while meta= is given too`);
        }
        _setMeta(meta, name.slice(META_PREFIX.length), _toMeta(v, fail, call.offset));
      } else if (
        typeof v === "number" || typeof v === "bigint" || v === null || v instanceof PyFloat
      ) {
        error.set(name, v);
      } else {
        fail(call.offset, `${where}: score '${name}' must be a number, found a ${_kind(v)}`);
      }
    }
  } else if (errorArg !== undefined && errorArg !== null) {
    fail(
      call.offset,
      `${where}: error= must be a dict, a float or None, found a ${_kind(errorArg)}`,
    );
  }
  if (metaArg instanceof PyDict) {
    for (const [k, v] of metaArg.entries) {
      if (typeof k !== "string") fail(call.offset, `${where}: meta keys must be strings`);
      _setMeta(meta, k as string, _toMeta(v, fail, call.offset));
    }
  } else if (metaArg !== undefined && metaArg !== null) {
    fail(call.offset, `${where}: meta= must be a dict or None, found a ${_kind(metaArg)}`);
  }
  return { learningRate, error, meta };
}

function _kind(v: unknown): string {
  if (v === null) return "None";
  if (typeof v === "bigint") return "int";
  if (typeof v === "number" || v instanceof PyFloat) return "float";
  if (typeof v === "string") return "string";
  if (typeof v === "boolean") return "bool";
  if (Array.isArray(v)) return "list";
  if (v instanceof PyTuple) return "tuple";
  if (v instanceof PyDict) return "dict";
  if (v instanceof PyCall) return `${v.name}(...) call`;
  return typeof v;
}

/** Store a meta value; a float key's integral value needs no float mark. */
function _setMeta(meta: Record<string, unknown>, key: string, value: unknown): void {
  const plain = FLOAT_META_KEYS.has(key) && value instanceof PyFloat && !value.numpy;
  _setOwn(meta, key, plain ? value.value : value);
}

/**
 * Convert a parsed value to the JavaScript form kept in meta data: ints become numbers (bigint
 * beyond 2^53), integral floats stay marked as {@linkcode PyFloat} so that they are written
 * back as floats, string-keyed dicts become plain objects.
 */
function _toMeta(
  v: unknown,
  fail: (offset: number, problem: string) => never,
  at: number,
): unknown {
  if (typeof v === "number") return Number.isInteger(v) ? new PyFloat(v) : v;
  if (typeof v === "bigint") {
    return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(v)
      : v;
  }
  if (Array.isArray(v)) return v.map((x) => _toMeta(x, fail, at));
  if (v instanceof PyTuple) return new PyTuple(v.items.map((x) => _toMeta(x, fail, at)));
  if (v instanceof PyDict) {
    if (v.entries.every(([k]) => typeof k === "string")) {
      const obj: Record<string, unknown> = {};
      for (const [k, x] of v.entries) _setOwn(obj, k as string, _toMeta(x, fail, at));
      return obj;
    }
    return new PyDict(
      v.entries.map(([k, x]) => [_toMeta(k, fail, at), _toMeta(x, fail, at)] as const),
    );
  }
  if (v instanceof PyCall) return fail(v.offset, `${v.name}(...) is not allowed inside meta data`);
  return v;
}

/** `better_repr` of a stored score. */
function _scoreRepr(v: StoredScore): _Measured {
  if (v === null) return { text: "None", extra: 0 };
  if (typeof v === "bigint") return { text: v.toString(), extra: 0 };
  if (v instanceof PyFloat) return _floatRepr(v.value, v.numpy);
  return _floatRepr(v);
}

/**
 * The exact text RETURNN's `save()` writes for these epochs (`better_repr(epoch_data) + "\n"`),
 * except that numpy floats are written as plain `x` instead of `np.float64(x)`.
 *
 * @param data Epoch records by epoch.
 * @returns The file text, ending in a newline.
 * @throws {TypeError} If meta data holds a value with no Python literal (a function, a class
 * instance, a cycle).
 *
 * @example Usage
 * ```ts
 * import { formatLearningRateFile, parseLearningRateFile } from "./lr_file.ts";
 * import { equal } from "node:assert/strict";
 * const data = parseLearningRateFile("{1: EpochData(learningRate=0.01, error=2.5)}"); // old format
 * equal(formatLearningRateFile(data), "{\n1: EpochData(learningRate=0.01, error={'old_format_score': 2.5}),\n}\n");
 * ```
 */
export function formatLearningRateFile(data: ReadonlyMap<number, EpochRecord>): string {
  const epochs = [...data.keys()].sort((a, b) => a - b);
  const items = epochs.map((epoch) => {
    const rec = data.get(epoch)!;
    const lr = _floatRepr(rec.learningRate);
    const entries: [string, _Measured][] = [];
    for (const [k, v] of rec.error) entries.push([k, _scoreRepr(v)]);
    for (const [k, v] of Object.entries(rec.meta)) {
      entries.push([META_PREFIX + k, _measure(v, !FLOAT_META_KEYS.has(k), 1)]);
    }
    entries.sort((a, b) => _compareCodePoints(a[0], b[0]));
    const error = _dictRepr(
      entries.map(([k, v]) => ({ text: `${pyStrRepr(k)}: ${v.text}`, extra: v.extra })),
    );
    return {
      text: `${epoch}: EpochData(learningRate=${lr.text}, error=${error.text})`,
      extra: lr.extra + error.extra,
    };
  });
  return _dictRepr(items).text + "\n";
}
