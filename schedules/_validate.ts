/**
 * Private helpers shared by the schedule factories: option validation with messages that name the
 * parameter, the bad value and the fix (`Cannot create schedule 'stepSchedule': 'stepSize' must be
 * an integer >= 1: current value is 0`), step validation, and "did you mean" suggestions.
 *
 * @module
 */

import { showValue } from "../_util/show.ts";

/** Render a user value for an error message (the shared {@linkcode showValue}). */
export const _show: (value: unknown) => string = showValue;

/** The JavaScript kind of a value, for type error messages. */
export function _kind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/** A `TypeError` with the standard prefix. */
export function _typeError(where: string, message: string): TypeError {
  return new TypeError(`Cannot create schedule '${where}': ${message}`);
}

/** A `RangeError` with the standard prefix. */
export function _rangeError(where: string, message: string): RangeError {
  return new RangeError(`Cannot create schedule '${where}': ${message}`);
}

/** A numeric range; bounds are inclusive unless marked open. */
export interface _Range {
  /** Lower bound. */
  min?: number;
  /** Upper bound. */
  max?: number;
  /** Whether `min` itself is excluded. */
  minOpen?: boolean;
  /** Whether `max` itself is excluded. */
  maxOpen?: boolean;
  /** Whether the value must be an integer. */
  integer?: boolean;
}

function _rangeText(r: _Range): string {
  const what = r.integer ? "an integer" : "a finite number";
  if (r.max === undefined) {
    return r.min === undefined ? what : `${what} ${r.minOpen ? ">" : ">="} ${r.min}`;
  }
  if (r.min === undefined) return `${what} ${r.maxOpen ? "<" : "<="} ${r.max}`;
  return `${what} in ${r.minOpen ? "(" : "["}${r.min}, ${r.max}${r.maxOpen ? ")" : "]"}`;
}

/**
 * Check one option value. `undefined` takes `fallback` (the documented default); when there is no
 * default the option is required.
 */
export function _num(
  where: string,
  name: string,
  value: unknown,
  range: _Range = {},
  fallback?: number,
): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (value === undefined) {
    throw _typeError(where, `'${name}' is required: pass ${name}: <${_rangeText(range)}>`);
  }
  if (typeof value !== "number") {
    throw _typeError(
      where,
      `'${name}' must be a number: current value is ${_show(value)} (${_kind(value)})`,
    );
  }
  const r = range;
  const ok = Number.isFinite(value) &&
    (!r.integer || Number.isInteger(value)) &&
    (r.min === undefined || (r.minOpen ? value > r.min : value >= r.min)) &&
    (r.max === undefined || (r.maxOpen ? value < r.max : value <= r.max));
  if (!ok) {
    throw _rangeError(
      where,
      `'${name}' must be ${_rangeText(r)}: current value is ${_show(value)}`,
    );
  }
  return value;
}

/** Check a boolean option. */
export function _bool(where: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") {
    throw _typeError(
      where,
      `'${name}' must be true or false: current value is ${_show(value)} (${_kind(value)})`,
    );
  }
  return value;
}

/** Check a string option against its allowed values. */
export function _choice<T extends string>(
  where: string,
  name: string,
  value: unknown,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    const hint = typeof value === "string" ? _didYouMean(value, allowed) : "";
    throw _rangeError(
      where,
      `'${name}' must be one of ${allowed.map((a) => `"${a}"`).join(", ")}: current value is ${
        _show(value)
      }.${hint}`,
    );
  }
  return value as T;
}

/** Check that `options` is a plain object with only the known keys. */
export function _options(
  where: string,
  options: unknown,
  known: readonly string[],
): Record<string, unknown> {
  if (options === undefined) return {};
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw _typeError(
      where,
      `'options' must be an object: current value is ${_show(options)} (${_kind(options)})`,
    );
  }
  const rec = options as Record<string, unknown>;
  for (const key of Object.keys(rec)) {
    if (!known.includes(key)) {
      throw _typeError(
        where,
        `unknown option '${key}'; valid options are ${known.map((k) => `'${k}'`).join(", ")}.${
          _didYouMean(key, known)
        }`,
      );
    }
  }
  return rec;
}

/**
 * Check the step a schedule is evaluated at: a non-negative integer (step 0 is the first
 * optimizer step).
 */
export function _step(where: string, step: number): number {
  if (typeof step !== "number" || !Number.isSafeInteger(step) || step < 0) {
    throw new RangeError(
      `Cannot evaluate schedule '${where}': 'step' must be a non-negative integer (0 is the first` +
        ` optimizer step): current value is ${_show(step)}`,
    );
  }
  return step;
}

/** Optimal string alignment distance (Levenshtein plus adjacent swaps), case-insensitive. */
export function _editDistance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    d.push(new Array<number>(b.length + 1).fill(0));
    d[i][0] = i;
  }
  for (let j = 0; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        v = Math.min(v, d[i - 2][j - 2] + 1);
      }
      d[i][j] = v;
    }
  }
  return d[a.length][b.length];
}

/** `" Did you mean 'x'?"` for the closest candidate within a third of the length, else `""`. */
export function _didYouMean(name: string, candidates: readonly string[]): string {
  let best = "";
  let bestD = Infinity;
  const lower = name.toLowerCase();
  for (const c of candidates) {
    const lc = c.toLowerCase();
    if (lc !== "" && lower !== "" && (lower.startsWith(lc) || lc.startsWith(lower))) {
      const dist = Math.abs(lc.length - lower.length);
      if (dist < bestD) {
        bestD = dist;
        best = c;
      }
      continue;
    }
    const dist = _editDistance(name, c);
    if (dist < bestD) {
      bestD = dist;
      best = c;
    }
  }
  const limit = Math.max(2, Math.ceil(Math.max(name.length, best.length) / 3));
  const prefix = best !== "" &&
    (lower.startsWith(best.toLowerCase()) || best.toLowerCase().startsWith(lower));
  return best !== "" && (bestD <= limit || prefix) ? ` Did you mean '${best}'?` : "";
}
