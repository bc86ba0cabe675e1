/**
 * One home for checking user input (options objects, hyperparameters, config keys), so every
 * area says the same thing in the same way.
 *
 * - A check returns a {@linkcode Problem} (or `undefined`): one sentence without a prefix, like
 *   `'betas[0]' must be in [0, 1): current value is 1.5`. Callers that collect problems (the
 *   trainer's config) keep the sentences; callers that stop at the first one throw it with
 *   {@linkcode problemError} and their prefix (`Cannot create optimizer 'adam': `).
 * - One error-class rule: a value of the wrong type is a `TypeError`, a value of the right type
 *   that is not allowed (out of range, NaN, an unknown choice) is a `RangeError`.
 * - Unknown names get one did-you-mean ({@linkcode didYouMeanSuffix}); names and values are
 *   clipped in messages, so hostile input costs linear time.
 *
 * @module
 */

import { didYouMeanSuffix } from "./did_you_mean.ts";

/** What is wrong with one value. */
export interface Problem {
  /** `"type"`: the value has the wrong type (a TypeError); `"value"`: a bad value (a RangeError). */
  readonly kind: "type" | "value";
  /** The sentence, without a prefix: `'eps' must be >= 0: current value is -1`. */
  readonly text: string;
  /** The name of the value it is about (`eps`, `betas[0]`), when it is about one. */
  readonly label?: string;
}

/** A `TypeError` or `RangeError` made by {@linkcode problemError}: it keeps its problem. */
export type ProblemError = (TypeError | RangeError) & { readonly problem: Problem };

/** Names longer than this are clipped in messages. */
const MAX_NAME = 60;

/**
 * A user value as a user would write it: strings quoted, `-0` kept, arrays in brackets, objects
 * as JSON, functions as "a function"; clipped to `maxLength` characters with `...`.
 *
 * @param value Any value from a config or an options object.
 * @param maxLength The longest text returned. @default {Infinity}
 * @returns Its text.
 *
 * @example Usage
 * ```ts
 * import { showValue } from "./validate.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(showValue([0.9, "x"]), '[0.9, "x"]');
 * equal(showValue("a".repeat(100), 10), '"aaaaa..."');
 * ```
 */
export function showValue(value: unknown, maxLength = Infinity): string {
  if (typeof value === "string") {
    return JSON.stringify(value.length > maxLength ? value.slice(0, maxLength - 5) + "..." : value);
  }
  const text = _show(value, maxLength, 0);
  return text.length > maxLength ? text.slice(0, maxLength - 3) + "..." : text;
}

/** Nesting shown at most (deeper arrays are `[...]`): hostile input must not blow the stack. */
const MAX_DEPTH = 8;

function _show(value: unknown, maxLength: number, depth: number): string {
  if (typeof value === "number") return Object.is(value, -0) ? "-0" : String(value);
  if (typeof value === "function") return "a function";
  if (Array.isArray(value)) {
    if (depth >= MAX_DEPTH) return "[...]";
    const items: string[] = [];
    let length = 0;
    for (const v of value) {
      if (length > maxLength) break; // clipped by the caller anyway
      const text = typeof v === "string" ? showValue(v, maxLength) : _show(v, maxLength, depth + 1);
      items.push(text);
      length += text.length + 2;
    }
    return `[${items.join(", ")}${items.length < value.length ? ", ..." : ""}]`;
  }
  if (value === undefined || value === null) return String(value);
  if (typeof value === "object") {
    try {
      return JSON.stringify(value) ?? String(value);
    } catch {
      return String(value);
    }
  }
  return String(value);
}

/**
 * A name from user input, clipped for messages (a hostile config may hold huge keys).
 *
 * @param name The name.
 * @returns At most 60 characters.
 *
 * @example Usage
 * ```ts
 * import { clipName } from "./validate.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(clipName("x".repeat(1000)).length, 60);
 * ```
 */
export function clipName(name: string): string {
  return name.length > MAX_NAME ? name.slice(0, MAX_NAME - 3) + "..." : name;
}

/**
 * The JavaScript kind of a value, for type messages (`null` and `array` apart from `object`).
 *
 * @param value Any value.
 * @returns `"null"`, `"array"` or its `typeof`.
 *
 * @example Usage
 * ```ts
 * import { kindOf } from "./validate.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(kindOf([1]), "array");
 * ```
 */
export function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/**
 * The problem "`label` has the wrong type".
 *
 * @param label The name the message gives the value (`eps`, `betas[0]`, `data.name`).
 * @param expect What it must be, e.g. `"a number"`.
 * @param value The value.
 * @returns `'label' must be <expect>: current value is <value> (<kind>)`.
 *
 * @example Usage
 * ```ts
 * import { typeProblem } from "./validate.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(typeProblem("eps", "a number", "1").text, `'eps' must be a number: current value is "1" (string)`);
 * ```
 */
export function typeProblem(label: string, expect: string, value: unknown): Problem {
  return {
    kind: "type",
    text: `'${clipName(label)}' must be ${expect}: current value is ${
      showValue(value, MAX_NAME)
    } (${kindOf(value)})`,
    label,
  };
}

/**
 * The problem "`label` has a value that is not allowed".
 *
 * @param label The name the message gives the value.
 * @param expect What it must be, e.g. `">= 0"`.
 * @param value The value.
 * @returns `'label' must be <expect>: current value is <value>`.
 *
 * @example Usage
 * ```ts
 * import { valueProblem } from "./validate.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(valueProblem("eps", ">= 0", -1).text, "'eps' must be >= 0: current value is -1");
 * ```
 */
export function valueProblem(label: string, expect: string, value: unknown): Problem {
  return {
    kind: "value",
    text: `'${clipName(label)}' must be ${expect}: current value is ${showValue(value, MAX_NAME)}`,
    label,
  };
}

/** A numeric rule: bounds (inclusive unless open), integer-ness and how to name it. */
export interface NumberRule {
  /** Lower bound. */
  min?: number;
  /** Upper bound. */
  max?: number;
  /** Whether `min` itself is excluded. */
  minOpen?: boolean;
  /** Whether `max` itself is excluded. */
  maxOpen?: boolean;
  /** Whether the value must be an integer. @default {false} */
  integer?: boolean;
  /** Whether ±Infinity passes where the bounds allow it (NaN never does). @default {false} */
  infinite?: boolean;
  /**
   * How the expectation starts: `"a finite number"` (`must be a finite number >= 0`),
   * `"a number"`, or `""` for the bounds alone (`must be >= 0`; a non-finite value is then
   * told `must be a finite number`).
   * @default {"an integer" for integer rules, else "a finite number"}
   */
  noun?: string;
}

/**
 * The expectation a rule states: `an integer >= 1`, `a finite number in [0, 1)`, `>= 0`.
 *
 * @param rule The rule.
 * @returns The text after "must be".
 *
 * @example Usage
 * ```ts
 * import { describeNumber } from "./validate.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(describeNumber({ min: 0, max: 1, maxOpen: true }), "a finite number in [0, 1)");
 * equal(describeNumber({ min: 1, integer: true }), "an integer >= 1");
 * ```
 */
export function describeNumber(rule: NumberRule): string {
  const noun = rule.noun ?? (rule.integer ? "an integer" : "a finite number");
  const r = rule;
  let bounds = "";
  if (r.min !== undefined && r.max !== undefined) {
    bounds = `in ${r.minOpen ? "(" : "["}${r.min}, ${r.max}${r.maxOpen ? ")" : "]"}`;
  } else if (r.min !== undefined) bounds = `${r.minOpen ? ">" : ">="} ${r.min}`;
  else if (r.max !== undefined) bounds = `${r.maxOpen ? "<" : "<="} ${r.max}`;
  return [noun, bounds].filter((s) => s !== "").join(" ") || "a finite number";
}

/**
 * Check a number against a rule.
 *
 * @param label The name the message gives the value.
 * @param value The value.
 * @param rule Bounds and kind. @default {{}} (any finite number)
 * @returns The problem (`type` when not a number), or `undefined` when the value passes.
 *
 * @example Usage
 * ```ts
 * import { numberProblem } from "./validate.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(numberProblem("steps", 0, { min: 1, integer: true })?.text, "'steps' must be an integer >= 1: current value is 0");
 * equal(numberProblem("steps", 2, { min: 1, integer: true }), undefined);
 * ```
 */
export function numberProblem(
  label: string,
  value: unknown,
  rule: NumberRule = {},
): Problem | undefined {
  if (typeof value !== "number") {
    return typeProblem(label, rule.integer ? "an integer" : "a number", value);
  }
  const finite = Number.isFinite(value) || (rule.infinite === true && !Number.isNaN(value));
  if (!finite && rule.noun === "") return valueProblem(label, "a finite number", value);
  const r = rule;
  const ok = finite && (!r.integer || Number.isInteger(value)) &&
    (r.min === undefined || (r.minOpen ? value > r.min : value >= r.min)) &&
    (r.max === undefined || (r.maxOpen ? value < r.max : value <= r.max));
  return ok ? undefined : valueProblem(label, describeNumber(r), value);
}

/** Options of {@linkcode booleanProblem}. */
export interface BooleanOptions {
  /** What the message says it must be. @default {"a boolean (true or false)"} */
  expect?: string;
  /** Whether `0` and `1` pass (Python configs: `config.bool` accepts ints). @default {false} */
  zeroOne?: boolean;
}

/**
 * Check a boolean.
 *
 * @param label The name the message gives the value.
 * @param value The value.
 * @param options The wording and whether 0/1 pass.
 * @returns The problem, or `undefined`.
 *
 * @example Usage
 * ```ts
 * import { booleanProblem } from "./validate.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(booleanProblem("amsgrad", "yes")?.kind, "type");
 * equal(booleanProblem("amsgrad", 1, { zeroOne: true }), undefined);
 * ```
 */
export function booleanProblem(
  label: string,
  value: unknown,
  options: BooleanOptions = {},
): Problem | undefined {
  if (typeof value === "boolean" || (options.zeroOne && (value === 0 || value === 1))) {
    return undefined;
  }
  return typeProblem(label, options.expect ?? "a boolean (true or false)", value);
}

/**
 * Check a string against its allowed values, with a did-you-mean.
 *
 * @param label The name the message gives the value.
 * @param value The value.
 * @param allowed The allowed strings.
 * @returns The problem (`value` for a string not allowed, `type` for a non-string), or
 * `undefined`.
 *
 * @example Usage
 * ```ts
 * import { choiceProblem } from "./validate.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(
 *   choiceProblem("mode", "triangle", ["triangular", "exp_range"])?.text,
 *   `'mode' must be one of "triangular", "exp_range": current value is "triangle". Did you mean 'triangular'?`,
 * );
 * ```
 */
export function choiceProblem(
  label: string,
  value: unknown,
  allowed: readonly string[],
): Problem | undefined {
  if (typeof value === "string" && allowed.includes(value)) return undefined;
  const expect = `one of ${allowed.map((a) => `"${a}"`).join(", ")}`;
  if (typeof value !== "string") return typeProblem(label, expect, value);
  const p = valueProblem(label, expect, value);
  return { ...p, text: `${p.text}.${didYouMeanSuffix(value, allowed)}` };
}

/**
 * The error for a problem: a `TypeError` for a `type` problem, a `RangeError` for a `value`
 * problem, with `prefix` before the sentence and the problem kept as `problem`.
 *
 * @param prefix What was being done, e.g. `"Cannot create optimizer 'adam': "`.
 * @param problem The problem.
 * @returns The error (to throw).
 *
 * @example Usage
 * ```ts
 * import { numberProblem, problemError } from "./validate.ts";
 * import { equal, ok } from "node:assert/strict";
 *
 * const e = problemError("Cannot create x: ", numberProblem("eps", -1, { min: 0 })!);
 * ok(e instanceof RangeError);
 * equal(e.message, "Cannot create x: 'eps' must be a finite number >= 0: current value is -1");
 * equal(e.problem.text, "'eps' must be a finite number >= 0: current value is -1");
 * ```
 */
export function problemError(prefix: string, problem: Problem): ProblemError {
  const Class = problem.kind === "type" ? TypeError : RangeError;
  const error = new Class(prefix + problem.text);
  // Not enumerable: printing the error shows its message, not a copy of it.
  Object.defineProperty(error, "problem", { value: problem, enumerable: false });
  return error as ProblemError;
}

/**
 * The error makers of one area: its message prefix before a `TypeError` or a `RangeError`; the
 * errors keep the message without the prefix as their `problem` (see {@linkcode problemOf}).
 */
export interface ErrorMakers {
  /** The prefix for a subject, e.g. `Cannot create optimizer 'adam': `. */
  readonly prefix: (where: string) => string;
  /** A `TypeError`: the prefix, then the message. */
  readonly typeError: (where: string, message: string) => TypeError;
  /** A `RangeError`: the prefix, then the message. */
  readonly rangeError: (where: string, message: string) => RangeError;
}

/**
 * The error makers of an area with its own wording of the prefix.
 *
 * @param prefix The prefix for a subject.
 * @returns The makers.
 *
 * @example Usage
 * ```ts
 * import { errorMakers } from "./validate.ts";
 * import { equal } from "node:assert/strict";
 *
 * const e = errorMakers((opt) => `Cannot create optimizer '${opt}': `);
 * equal(e.rangeError("adam", "'eps' must be >= 0").message, "Cannot create optimizer 'adam': 'eps' must be >= 0");
 * ```
 */
export function errorMakers(prefix: (where: string) => string): ErrorMakers {
  return {
    prefix,
    typeError: (where, message) => problemError(prefix(where), { kind: "type", text: message }),
    rangeError: (where, message) => problemError(prefix(where), { kind: "value", text: message }),
  };
}

/**
 * Throw the problem, if there is one (see {@linkcode problemError}).
 *
 * @param prefix What was being done.
 * @param problem The problem, or `undefined` (nothing happens).
 * @throws {TypeError} For a `type` problem.
 * @throws {RangeError} For a `value` problem.
 *
 * @example Usage
 * ```ts
 * import { numberProblem, throwProblem } from "./validate.ts";
 * import { throws } from "node:assert/strict";
 *
 * throwProblem("Cannot create x: ", numberProblem("eps", 1e-8, { min: 0 })); // passes
 * throws(() => throwProblem("Cannot create x: ", numberProblem("eps", "1", { min: 0 })), TypeError);
 * ```
 */
export function throwProblem(prefix: string, problem: Problem | undefined): void {
  if (problem !== undefined) throw problemError(prefix, problem);
}

/**
 * The problem an error made by {@linkcode problemError} carries.
 *
 * @param error Any thrown value.
 * @returns Its problem, or `undefined` for other errors.
 *
 * @example Usage
 * ```ts
 * import { problemError, problemOf, valueProblem } from "./validate.ts";
 * import { equal } from "node:assert/strict";
 *
 * const p = valueProblem("eps", ">= 0", -1);
 * equal(problemOf(problemError("Cannot: ", p)), p);
 * equal(problemOf(new Error("x")), undefined);
 * ```
 */
export function problemOf(error: unknown): Problem | undefined {
  const p = (error as { problem?: Problem } | null)?.problem;
  return p !== undefined && (p.kind === "type" || p.kind === "value") ? p : undefined;
}
