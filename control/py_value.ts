/**
 * JavaScript stand-ins for the Python values a learning-rate file can hold where JavaScript has
 * no equivalent. Plain values map directly: Python `float` is `number`, `int` is `bigint` (from
 * the parser), `str` is `string`, `bool` is `boolean`, `None` is `null`, `list` is an array.
 *
 * @module
 */

/**
 * A Python float that a JavaScript `number` cannot mark as such: a numpy `np.float64(x)`, or an
 * integral float such as `3.0` inside meta data (where an integral `number` is written as an
 * int). Arithmetic works through `valueOf()`.
 *
 * @example A numpy float from a RETURNN file
 * ```ts
 * import { PyFloat } from "./py_value.ts";
 * import { equal } from "node:assert/strict";
 *
 * const x = new PyFloat(0.5, true);
 * equal(+x, 0.5);
 * equal(x.numpy, true);
 * ```
 */
export class PyFloat {
  /** The float value. */
  readonly value: number;
  /** Whether RETURNN would print it as `np.float64(x)`. */
  readonly numpy: boolean;

  /**
   * Wrap a float.
   *
   * @param value The float value.
   * @param numpy Whether it is a numpy float64.
   */
  constructor(value: number, numpy = false) {
    this.value = value;
    this.numpy = numpy;
  }

  /**
   * The float value, for arithmetic.
   *
   * @returns The float value.
   */
  valueOf(): number {
    return this.value;
  }

  /**
   * The float value, for `JSON.stringify` (JSON has no float/int distinction).
   *
   * @returns The float value.
   */
  toJSON(): number {
    return this.value;
  }
}

/**
 * A Python tuple.
 *
 * @example Usage
 * ```ts
 * import { PyTuple } from "./py_value.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(new PyTuple([1n, "a"]).items, [1n, "a"]);
 * ```
 */
export class PyTuple {
  /** The elements. */
  readonly items: readonly unknown[];
  /**
   * Make a tuple.
   *
   * @param items The elements.
   */
  constructor(items: readonly unknown[]) {
    this.items = items;
  }
}

/**
 * A Python dict whose keys are not all strings (string-keyed dicts become plain objects).
 * Entries keep insertion order; a repeated key replaces the value in place, as in Python.
 *
 * @example Keys of any kind, in order
 * ```ts
 * import { PyDict } from "./py_value.ts";
 * import { equal } from "node:assert/strict";
 *
 * const d = new PyDict([[1n, "a"], ["b", null]]);
 * equal(d.entries[1][0], "b");
 * ```
 */
export class PyDict {
  /** The key/value pairs in insertion order. */
  readonly entries: readonly (readonly [unknown, unknown])[];
  /** Source offsets of the keys (parallel to `entries`) when parsed from text. */
  readonly keyOffsets: readonly number[] | undefined;
  /**
   * Make a dict.
   *
   * @param entries The key/value pairs.
   * @param keyOffsets Source offsets of the keys, when parsed.
   */
  constructor(entries: readonly (readonly [unknown, unknown])[], keyOffsets?: readonly number[]) {
    this.entries = entries;
    this.keyOffsets = keyOffsets;
  }
}

/**
 * A call such as `EpochData(learningRate=0.1, error={})` kept for the caller to interpret, with
 * its position for error messages.
 *
 * @example `EpochData(learningRate=0.5)`
 * ```ts
 * import { PyCall } from "./py_value.ts";
 * import { equal } from "node:assert/strict";
 *
 * const c = new PyCall("EpochData", new Map([["learningRate", 0.5]]), 0);
 * equal(c.kwargs.get("learningRate"), 0.5);
 * ```
 */
export class PyCall {
  /** The called name. */
  readonly name: string;
  /** Keyword arguments in source order. */
  readonly kwargs: ReadonlyMap<string, unknown>;
  /** Source offset of the name. */
  readonly offset: number;

  /**
   * Record a call.
   *
   * @param name The called name.
   * @param kwargs Keyword arguments.
   * @param offset Source offset of the name.
   */
  constructor(name: string, kwargs: ReadonlyMap<string, unknown>, offset: number) {
    this.name = name;
    this.kwargs = kwargs;
    this.offset = offset;
  }
}
