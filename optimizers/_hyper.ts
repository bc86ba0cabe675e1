/**
 * Private helpers shared by the optimizer definitions: hyperparameter validation with
 * PyTorch-style messages (`Cannot create optimizer 'adam': 'betas[0]' must be in [0, 1): current
 * value is 1.5`).
 *
 * @module
 */

import { showValue } from "../_util/show.ts";
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

function _kind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function _rangeText(r: _Range): string {
  if (r.max === undefined) {
    return r.min === undefined ? "a finite number" : `${r.minOpen ? ">" : ">="} ${r.min}`;
  }
  if (r.min === undefined) return `${r.maxOpen ? "<" : "<="} ${r.max}`;
  return `in ${r.minOpen ? "(" : "["}${r.min}, ${r.max}${r.maxOpen ? ")" : "]"}`;
}

/** A `TypeError` with the standard prefix. */
export function _typeError(opt: string, message: string): TypeError {
  return new TypeError(`Cannot create optimizer '${opt}': ${message}`);
}

/** A `RangeError` with the standard prefix. */
export function _rangeError(opt: string, message: string): RangeError {
  return new RangeError(`Cannot create optimizer '${opt}': ${message}`);
}

/** Check one number against a range; `label` names it in the message (`betas[0]`). */
export function _checkNumber(opt: string, label: string, value: unknown, range: _Range): number {
  if (typeof value !== "number") {
    throw _typeError(
      opt,
      `'${label}' must be a number: current value is ${_show(value)} (${_kind(value)})`,
    );
  }
  if (!Number.isFinite(value)) {
    throw _rangeError(opt, `'${label}' must be a finite number: current value is ${value}`);
  }
  const r = range;
  const low = r.min !== undefined && (r.minOpen ? value <= r.min : value < r.min);
  const high = r.max !== undefined && (r.maxOpen ? value >= r.max : value > r.max);
  if (low || high) {
    throw _rangeError(opt, `'${label}' must be ${_rangeText(r)}: current value is ${value}`);
  }
  return value;
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
  if (typeof value !== "boolean") {
    throw _typeError(
      opt,
      `'${key}' must be a boolean (true or false): current value is ${_show(value)} (${
        _kind(value)
      })`,
    );
  }
  return value;
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
    throw _typeError(
      opt,
      `'${key}' must be a list of 2 numbers: current value is ${_show(value)} (${_kind(value)})`,
    );
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
  const valid = Object.keys(defaults);
  for (const key of Object.keys(merged)) {
    if (key in defaults) continue;
    if (key === "lr" || key === "learning_rate") {
      throw _typeError(
        opt,
        `'${key}' must not be set inside the 'optimizer' dict: set 'learning_rate' (and the ` +
          `learning-rate control) outside of it; the optimizer gets the learning rate per step`,
      );
    }
    throw _typeError(
      opt,
      `unknown parameter '${key}'. Valid parameters: ${valid.join(", ")}.` +
        didYouMeanSuffix(key, valid),
    );
  }
}

/** Freeze a resolved hyperparameter record. */
export function _freeze(h: Record<string, HyperValue>): Hyper {
  return Object.freeze(h);
}

/** Read a number from a resolved `Hyper` (no checks: `resolve` did them). */
export function _h(h: Hyper, key: string): number {
  return h[key] as number;
}

/** Read a pair from a resolved `Hyper`. */
export function _hp(h: Hyper, key: string): readonly number[] {
  return h[key] as readonly number[];
}

/** Read a boolean from a resolved `Hyper`. */
export function _hb(h: Hyper, key: string): boolean {
  return h[key] as boolean;
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
