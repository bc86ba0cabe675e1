/**
 * Private helpers shared by the schedule factories: option validation with messages that name the
 * parameter, the bad value and the fix (`Cannot create schedule 'stepSchedule': 'stepSize' must be
 * an integer >= 1: current value is 0`), step validation, and "did you mean" suggestions.
 *
 * @module
 */

import {
  booleanProblem,
  choiceProblem,
  clipName,
  describeNumber,
  errorMakers,
  kindOf,
  numberProblem,
  type NumberRule,
  problemError,
  showValue,
  throwProblem,
  typeProblem,
} from "../_util/validate.ts";
import { didYouMeanSuffix } from "../_util/did_you_mean.ts";

/** Render a user value for an error message (the shared {@linkcode showValue}). */
export const _show: (value: unknown) => string = showValue;

/** The JavaScript kind of a value, for type error messages (the shared {@linkcode kindOf}). */
export const _kind: (value: unknown) => string = kindOf;

const _ERRORS = errorMakers((where) => `Cannot create schedule '${where}': `);
const _prefix = _ERRORS.prefix;
/** A `TypeError` with the standard prefix. */
export const _typeError: (where: string, message: string) => TypeError = _ERRORS.typeError;
/** A `RangeError` with the standard prefix. */
export const _rangeError: (where: string, message: string) => RangeError = _ERRORS.rangeError;

/** A numeric range; bounds are inclusive unless marked open (the shared {@linkcode NumberRule}). */
export type _Range = Pick<NumberRule, "min" | "max" | "minOpen" | "maxOpen" | "integer">;

/**
 * Check one option value. `undefined` takes `fallback` (the documented default); when there is no
 * default the option is required.
 */
export function _number(
  where: string,
  name: string,
  value: unknown,
  range: _Range = {},
  fallback?: number,
): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (value === undefined) {
    throw _typeError(where, `'${name}' is required: pass ${name}: <${describeNumber(range)}>`);
  }
  throwProblem(_prefix(where), numberProblem(name, value, range));
  return value as number;
}

/** Check a boolean option. */
export function _boolean(where: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  throwProblem(_prefix(where), booleanProblem(name, value, { expect: "true or false" }));
  return value as boolean;
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
  throwProblem(_prefix(where), choiceProblem(name, value, allowed));
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
    throw problemError(_prefix(where), typeProblem("options", "an object", options));
  }
  const rec = options as Record<string, unknown>;
  for (const key of Object.keys(rec)) {
    if (!known.includes(key)) {
      throw _typeError(
        where,
        `unknown option '${clipName(key)}'; valid options are ${
          known.map((k) => `'${k}'`).join(", ")
        }.${_didYouMean(key, known)}`,
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

/**
 * Check the step context of a per-step learning-rate function: `globalTrainStep` a non-negative
 * integer, `learningRate` finite.
 */
export function _stepContext(
  where: string,
  ctx: { globalTrainStep?: unknown; learningRate?: unknown } | null | undefined,
): { globalTrainStep: number; learningRate: number } {
  const s = ctx?.globalTrainStep;
  if (typeof s !== "number" || !Number.isSafeInteger(s) || s < 0) {
    throw new RangeError(
      `Cannot evaluate '${where}': 'globalTrainStep' must be a non-negative integer (0 for the` +
        ` first step): current value is ${_show(s)}`,
    );
  }
  const lr = ctx!.learningRate;
  if (typeof lr !== "number" || !Number.isFinite(lr)) {
    throw new RangeError(
      `Cannot evaluate '${where}': 'learningRate' must be a finite number: current value is ${
        _show(lr)
      }`,
    );
  }
  return { globalTrainStep: s, learningRate: lr };
}

/** `" Did you mean 'x'?"` for a close candidate, else `""` (the shared did-you-mean). */
export const _didYouMean: (name: string, candidates: readonly string[]) => string =
  didYouMeanSuffix;
