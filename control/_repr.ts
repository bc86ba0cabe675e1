/**
 * Private helpers of the writers: `better_repr` with RETURNN's length bookkeeping, Python's
 * ordering of dict keys, and source positions.
 *
 * @module
 */

import { lineColumn } from "../_util/line_column.ts";
import { pyFloatRepr } from "./py_float_repr.ts";
import { pyStrRepr } from "./py_str_repr.ts";
import { PyDict, PyFloat, PyTuple } from "./py_value.ts";

/** Text plus how many characters longer RETURNN's own text would be (its `np.float64(...)`). */
export interface _Measured {
  /** The text newbob writes. */
  text: string;
  /** Extra characters in RETURNN's text (12 per numpy float, `np.float64(` and `)`). */
  extra: number;
}

const _MAX_DEPTH = 100;
const NUMPY_EXTRA = "np.float64()".length;

/** Number of code points (Python's `len`). */
export function _codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/** Compare strings by code point, as Python sorts them. */
export function _compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate (D800-DFFF) stands for a code point above FFFF, so it sorts after E000-FFFF.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys && (x >= 0xe000 || y >= 0xe000)) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/** `better_repr` of a float: `float('nan')` for non-finite values, else `repr`. */
export function _floatRepr(x: number, numpy = false): _Measured {
  const r = pyFloatRepr(x);
  const text = Number.isFinite(x) ? r : `float('${r}')`;
  return { text, extra: numpy ? NUMPY_EXTRA : 0 };
}

/** Join rendered `key: value` items the way `better_repr` renders a dict. */
export function _dictRepr(items: readonly _Measured[]): _Measured {
  let total = 0;
  let extra = 0;
  for (const item of items) {
    total += _codePointLength(item.text) + item.extra;
    extra += item.extra;
  }
  if (total >= 40) return { text: `{\n${items.map((i) => i.text + ",\n").join("")}}`, extra };
  return { text: `{${items.map((i) => i.text).join(", ")}}`, extra };
}

function _rank(k: unknown): number {
  if (typeof k === "number" || typeof k === "bigint" || typeof k === "boolean") return 0;
  if (k instanceof PyFloat) return 0;
  if (typeof k === "string") return 1;
  if (k instanceof PyTuple) return 2;
  return 3;
}

/** Python's ordering for dict keys of one kind (mixed kinds: numbers, strings, tuples). */
export function _compareKeys(a: unknown, b: unknown): number {
  const ra = _rank(a);
  const rb = _rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 0) {
    if (typeof a === "bigint" && typeof b === "bigint") return a < b ? -1 : a > b ? 1 : 0;
    const x = Number(a);
    const y = Number(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (ra === 1) return _compareCodePoints(a as string, b as string);
  if (ra === 2) {
    const xs = (a as PyTuple).items;
    const ys = (b as PyTuple).items;
    for (let i = 0; i < Math.min(xs.length, ys.length); i++) {
      const c = _compareKeys(xs[i], ys[i]);
      if (c !== 0) return c;
    }
    return xs.length - ys.length;
  }
  return 0;
}

/** {@linkcode betterRepr} with the length difference to RETURNN's own text. */
export function _measure(value: unknown, intNumbers: boolean, depth: number): _Measured {
  if (depth > _MAX_DEPTH) {
    throw new TypeError(
      `Cannot write a value nested more than ${_MAX_DEPTH} levels deep (or cyclic) to a ` +
        "learning-rate file: keep meta data flat",
    );
  }
  if (value === null || value === undefined) return { text: "None", extra: 0 };
  switch (typeof value) {
    case "boolean":
      return { text: value ? "True" : "False", extra: 0 };
    case "bigint":
      return { text: value.toString(), extra: 0 };
    case "string":
      return { text: pyStrRepr(value), extra: 0 };
    case "number":
      if (intNumbers && Number.isInteger(value) && !Object.is(value, -0)) {
        return { text: BigInt(value).toString(), extra: 0 };
      }
      return _floatRepr(value);
  }
  if (value instanceof PyFloat) return _floatRepr(value.value, value.numpy);
  if (Array.isArray(value)) {
    const parts = value.map((v) => _measure(v, intNumbers, depth + 1));
    return {
      text: `[\n${parts.map((p) => p.text + ",\n").join("")}]`,
      extra: parts.reduce((s, p) => s + p.extra, 0),
    };
  }
  if (value instanceof PyTuple) {
    if (value.items.length === 1) {
      const only = value.items[0];
      const inner = typeof only === "string" ? { text: only, extra: 0 } : _measure(
        only,
        intNumbers,
        depth + 1,
      );
      return { text: `(${inner.text},)`, extra: inner.extra };
    }
    const parts = value.items.map((v) => _measure(v, intNumbers, depth + 1));
    return {
      text: `(${parts.map((p) => p.text).join(", ")})`,
      extra: parts.reduce((s, p) => s + p.extra, 0),
    };
  }
  let entries: (readonly [unknown, unknown])[] | undefined;
  if (value instanceof PyDict) entries = [...value.entries];
  else if (value instanceof Map) entries = [...value.entries()];
  else if (value instanceof Set) {
    const parts = [...value].map((v) => _measure(v, intNumbers, depth + 1));
    return {
      text: `set([\n${parts.map((p) => p.text + ",\n").join("")}])`,
      extra: parts.reduce((s, p) => s + p.extra, 0),
    };
  } else if (_isPlainObject(value)) {
    entries = Object.entries(value);
  }
  if (entries === undefined) {
    throw new TypeError(
      `Cannot write a value of type ${value?.constructor?.name ?? typeof value} to a ` +
        "learning-rate file: use numbers, strings, booleans, null, arrays or plain objects",
    );
  }
  entries.sort((a, b) => _compareKeys(a[0], b[0]));
  return _dictRepr(entries.map(([k, v]) => {
    const key = _measure(k, true, depth + 1);
    const val = _measure(v, intNumbers, depth + 1);
    return { text: `${key.text}: ${val.text}`, extra: key.extra + val.extra };
  }));
}

/** Whether `value` is a plain object (`{}` or `Object.create(null)`). */
export function _isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object") return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** 1-based line and column of an offset (the shared {@linkcode lineColumn}). */
export const _lineColumn: (text: string, offset: number) => [number, number] = lineColumn;

/** Define an own property (safe for keys such as `__proto__`). */
export function _setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}
