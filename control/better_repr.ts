/**
 * RETURNN's `better_repr` (spec 8.1): Python `repr` with sorted dict keys, multi-line dicts once
 * their items reach 40 characters, and `float('nan')` for non-finite floats. Used to write
 * learning-rate files byte for byte.
 *
 * @module
 */

import { _measure } from "./_repr.ts";

/** Options of {@linkcode betterRepr}. */
export interface BetterReprOptions {
  /**
   * Whether an integral JavaScript `number` is written as a Python int (`3`) rather than a float
   * (`3.0`). Meta data uses ints (step counters); scores and learning rates are floats.
   * @default {false}
   */
  integralNumbersAsInt?: boolean;
}

/**
 * RETURNN's `better_repr(value)` for the values newbob keeps in learning-rate files: `null`
 * (None), booleans, numbers (floats; integral ones as ints with `integralNumbersAsInt`), bigints
 * (ints), strings, {@linkcode PyFloat}, arrays (lists), {@linkcode PyTuple},
 * {@linkcode PyDict}, `Map`s and plain objects (dicts). A numpy float is written as plain `x`
 * (the one normalisation newbob makes) but counted with RETURNN's `np.float64(x)` length, so the
 * line breaking stays RETURNN's.
 *
 * @param value The value.
 * @param options Number handling.
 * @returns The Python text.
 * @throws {TypeError} For values with no Python literal (functions, symbols, class instances,
 * cyclic or more than 100 levels deep structures).
 *
 * @example Usage
 * ```ts
 * import { betterRepr, type BetterReprOptions } from "./better_repr.ts";
 * import { equal } from "node:assert/strict";
 * const meta: BetterReprOptions = { integralNumbersAsInt: true };
 * equal(betterRepr({ b: 1.5, a: NaN }), "{'a': float('nan'), 'b': 1.5}");
 * equal(betterRepr({ step: 3 }, meta), "{'step': 3}");
 * equal(betterRepr([1]), "[\n1.0,\n]");
 * ```
 */
export function betterRepr(value: unknown, options: BetterReprOptions = {}): string {
  return _measure(value, options.integralNumbersAsInt ?? false, 0).text;
}
