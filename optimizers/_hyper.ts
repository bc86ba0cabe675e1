/**
 * Private helpers shared by the optimizer definitions: hyperparameter validation with
 * PyTorch-style messages (`Cannot create optimizer 'adam': 'betas[0]' must be in [0, 1): current
 * value is 1.5`).
 *
 * @module
 */

import {
  booleanProblem,
  clipName,
  errorMakers,
  numberProblem,
  problemError,
  showValue,
  throwProblem,
  typeProblem,
} from "../_util/validate.ts";
import { didYouMeanSuffix } from "../_util/did_you_mean.ts";
import type { Hyper, HyperValue, OptimizerDef } from "./types.ts";

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
}

/** `[0, Infinity)`: the range of most PyTorch hyperparameters. */
export const _NONNEG: _Range = { min: 0 };
/** `[0, 1)`: the range of Adam's betas. */
export const _UNIT_OPEN: _Range = { min: 0, max: 1, maxOpen: true };

/** Render a user value for an error message (the shared {@linkcode showValue}). */
export const _show: (value: unknown) => string = showValue;

const _ERRORS = errorMakers((opt) => `Cannot create optimizer '${opt}': `);
/** The prefix of every optimizer message. */
const _prefix = _ERRORS.prefix;
/** A `TypeError` with the standard prefix. */
export const _typeError: (opt: string, message: string) => TypeError = _ERRORS.typeError;
/** A `RangeError` with the standard prefix. */
export const _rangeError: (opt: string, message: string) => RangeError = _ERRORS.rangeError;

/** Check one number against a range; `label` names it in the message (`betas[0]`). */
export function _checkNumber(opt: string, label: string, value: unknown, range: _Range): number {
  // PyTorch's wording: the bounds alone (`must be >= 0`), `a finite number` for NaN and ±Inf.
  throwProblem(_prefix(opt), numberProblem(label, value, { ...range, noun: "" }));
  return value as number;
}

/** Read and check a numeric hyperparameter. */
export function _number(
  opt: string,
  merged: Readonly<Record<string, unknown>>,
  key: string,
  range: _Range = {},
): number {
  return _checkNumber(opt, key, merged[key], range);
}

/** Read and check a boolean hyperparameter. */
export function _boolean(
  opt: string,
  merged: Readonly<Record<string, unknown>>,
  key: string,
): boolean {
  const value = merged[key];
  throwProblem(_prefix(opt), booleanProblem(key, value));
  return value as boolean;
}

/** Read and check a pair such as `betas`, `etas` or `step_sizes`. */
export function _pair(
  opt: string,
  merged: Readonly<Record<string, unknown>>,
  key: string,
  ranges: readonly [_Range, _Range],
): readonly [number, number] {
  const value = merged[key];
  if (!Array.isArray(value) || value.length !== 2) {
    throw problemError(_prefix(opt), typeProblem(key, "a list of 2 numbers", value));
  }
  const a = _checkNumber(opt, `${key}[0]`, value[0], ranges[0]);
  const b = _checkNumber(opt, `${key}[1]`, value[1], ranges[1]);
  return Object.freeze([a, b] as const);
}

/**
 * Reject keys that are not hyperparameters of this optimizer, with the list of valid ones and a
 * did-you-mean; a learning rate gets its own message (it is set outside the `optimizer` dict).
 */
export function _checkKeys(
  opt: string,
  merged: Readonly<Record<string, unknown>>,
  defaults: Hyper,
): void {
  const [first] = _unknownKeys(merged, defaults);
  if (first !== undefined) throw _typeError(opt, first);
}

/**
 * The sentence for every key of `merged` that is not a hyperparameter in `defaults` (a learning
 * rate gets its own: it is set outside the `optimizer` dict), in the dict's order.
 */
export function _unknownKeys(
  merged: Readonly<Record<string, unknown>>,
  defaults: Hyper,
): string[] {
  const valid = Object.keys(defaults);
  return Object.keys(merged).filter((key) => !(key in defaults)).map((key) =>
    key === "lr" || key === "learning_rate"
      ? `'${key}' must not be set inside the 'optimizer' dict: set 'learning_rate' (and the ` +
        `learning-rate control) outside of it; the optimizer gets the learning rate per step`
      : `unknown parameter '${clipName(key)}'. Valid parameters: ${valid.join(", ")}.` +
        didYouMeanSuffix(key, valid)
  );
}

/** Freeze a resolved hyperparameter record. */
export function _freeze(h: Record<string, HyperValue>): Hyper {
  return Object.freeze(h);
}

/**
 * Read `decoupled_weight_decay` (PyTorch >= 2.1 NAdam/RAdam, Adam): a plain definition is the
 * coupled variant and only accepts `false`; `true` selects the decoupled twin, which the registry
 * builds (`resolveOptimizerConfig`, `createOptimizer`).
 */
export function _coupledOnly(opt: string, merged: Readonly<Record<string, unknown>>): false {
  if (_boolean(opt, merged, "decoupled_weight_decay")) {
    throw _rangeError(
      opt,
      `'decoupled_weight_decay' is true but this definition applies coupled (L2) weight decay: ` +
        `resolve the config dict with resolveOptimizerConfig or createOptimizer, which select ` +
        `the decoupled variant`,
    );
  }
  return false;
}

/**
 * A frozen optimizer definition; `slotInit` defaults to filling every slot with 0 and `hostInit`
 * to no host scalars besides `step`.
 */
export function _defineOptimizer(
  def:
    & Omit<OptimizerDef, "slotInit" | "hostInit">
    & Partial<Pick<OptimizerDef, "slotInit" | "hostInit">>,
): OptimizerDef {
  return Object.freeze({ slotInit: () => 0, hostInit: () => ({}), ...def });
}
