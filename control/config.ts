/**
 * Reading and validating the learning-rate-control keys of a RETURNN-style config (spec 1.1).
 * Keys this module does not know are ignored: the trainer's config carries many others.
 *
 * @module
 */

import {
  booleanProblem,
  kindOf,
  numberProblem,
  type Problem,
  problemError,
  showValue,
  throwProblem,
  typeProblem,
} from "../_util/validate.ts";
import { didYouMeanSuffix } from "../_util/did_you_mean.ts";
import { parsePyFloatString, parsePyLiteral } from "./py_literal.ts";
import { PyDict, PyFloat } from "./py_value.ts";
import { type ReduceOnPlateauOptions, resolveReduceOnPlateauOptions } from "./reduce_on_plateau.ts";

/** A decay or growth update: `null` (no change), a factor, or a function of the rate. */
export type LearningRateUpdate = null | number | ((lr: number) => number);

/** The control types, with RETURNN's names. */
export const CONTROL_TYPES = [
  "constant",
  "newbob",
  "newbob_rel",
  "newbob_relative",
  "newbob_abs",
  "newbob_multi_epoch",
  "reduce_on_plateau",
] as const;

/** The rule a control type name selects (`newbob`, `newbob_rel`, `newbob_relative` are one). */
export type ControlKind =
  | "constant"
  | "newbob_rel"
  | "newbob_abs"
  | "newbob_multi_epoch"
  | "reduce_on_plateau";

/** Every learning-rate-control setting, resolved with RETURNN's defaults. */
export interface ControlSettings {
  /** `learning_rate_control` as written (default `"constant"`). */
  typeName: string;
  /** The rule it selects. */
  kind: ControlKind;
  /** `learning_rate` D (default 1.0). */
  defaultLearningRate: number;
  /** `min_learning_rate` (default 0.0), applied right after a decay only. */
  minLearningRate: number;
  /** `learning_rates` seeds by epoch (empty when unset). */
  learningRates: ReadonlyMap<number, number>;
  /** `learning_rate_control_error_measure`: a key, a list of keys, or `null`. */
  errorMeasure: string | readonly string[] | null;
  /** `learning_rate_control_relative_error_relative_lr` (default false). */
  relativeErrorRelativeLr: boolean;
  /** `learning_rate_control_min_num_epochs_per_new_lr` M (default 0). */
  minNumEpochsPerNewLr: number;
  /** `newbob_relative_error_div_by_old` / `relative_error_div_by_old` (default false). */
  relativeErrorDivByOld: boolean;
  /** The decay update (`learning_rate_decay`, else `newbob_learning_rate_decay`, default 0.5). */
  decay: LearningRateUpdate;
  /** The growth update (`learning_rate_growth`, else `newbob_learning_rate_growth`, default 1.0). */
  growth: LearningRateUpdate;
  /** `newbob_relative_error_threshold` T (default -0.01). */
  relativeErrorThreshold: number;
  /** `newbob_relative_error_grow_threshold` G (default T). */
  relativeErrorGrowThreshold: number;
  /** `newbob_error_threshold` A (default -0.01). */
  errorThreshold: number;
  /** `newbob_multi_num_epochs` N (default 5). */
  multiNumEpochs: number;
  /** `newbob_multi_update_interval` U (default N). */
  multiUpdateInterval: number;
  /** `learning_rate_file` (default none). */
  learningRateFile: string | null;
  /** `pretrain_learning_rate` (default D). */
  pretrainLearningRate: number;
  /** `pretrain_epochs`: the number of pretraining epochs (default 0). */
  pretrainEpochs: number;
  /** `use_learning_rate_control_always` (default false). */
  useLearningRateControlAlways: boolean;
  /** `reduce_on_plateau` options with torch's defaults. */
  reduceOnPlateau: Readonly<Required<ReduceOnPlateauOptions>>;
}

function _has(config: Record<string, unknown>, key: string): boolean {
  return Object.hasOwn(config, key) && config[key] !== undefined;
}

/** The prefix of every message of this module. */
const _PREFIX = "Cannot read the config as ";

function _fail(problem: Problem): never {
  throw problemError(_PREFIX, problem);
}

function _float(config: Record<string, unknown>, key: string, fallback: number): number {
  const v = config[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v === "number") return v;
  // RETURNN's `config.float` casts strings (`"inf"`, `"1e-3"`).
  const x = typeof v === "string" ? parsePyFloatString(v) : undefined;
  return x ?? _fail(typeProblem(key, "a number", v));
}

function _int(config: Record<string, unknown>, key: string, fallback: number, min: number): number {
  const v = config[key];
  if (v === undefined || v === null) return fallback;
  throwProblem(_PREFIX, numberProblem(key, v, { min, integer: true }));
  return v as number;
}

function _bool(config: Record<string, unknown>, key: string): boolean | undefined {
  const v = config[key];
  if (v === undefined || v === null) return undefined;
  throwProblem(_PREFIX, booleanProblem(key, v, { expect: "a boolean", zeroOne: true }));
  return v === true || v === 1;
}

function _update(
  config: Record<string, unknown>,
  key: string,
  newbobKey: string,
  fallback: number,
): LearningRateUpdate {
  // `learning_rate_decay` wins when present, even when it is null (RETURNN's typed_value).
  const useKey = Object.hasOwn(config, key) && config[key] !== undefined ? key : newbobKey;
  if (!Object.hasOwn(config, useKey) || config[useKey] === undefined) return fallback;
  const v = config[useKey];
  if (v === null || typeof v === "number" || typeof v === "function") {
    return v as LearningRateUpdate;
  }
  return _fail(typeProblem(useKey, "a number, a function (lr) => number, or null", v));
}

function _learningRates(v: unknown): Map<number, number> {
  const out = new Map<number, number>();
  if (v === undefined || v === null || v === "") return out;
  if (typeof v === "string") v = _fromPythonText(v);
  const bad = (what: string): never =>
    _fail({
      kind: "type",
      text: `'learning_rates' ${what}: use a list [lr1, lr2, ...] (epochs 1, 2, ...) or a dict ` +
        "{epoch: lr}",
    });
  const number = (x: unknown, where: string): number => {
    if (typeof x === "number") return x;
    if (typeof x === "bigint") return Number(x);
    if (x instanceof PyFloat) return x.value;
    return bad(`has a non-number ${where}: ${JSON.stringify(x)}`);
  };
  const epochKey = (k: unknown): number => {
    const e = typeof k === "bigint"
      ? Number(k)
      : typeof k === "string" && /^\s*\d+\s*$/.test(k)
      ? Number(k)
      : k;
    if (typeof e !== "number" || !Number.isSafeInteger(e) || e < 1) {
      return bad(`has the key ${JSON.stringify(String(k))}, which is not an epoch number >= 1`);
    }
    return e;
  };
  if (Array.isArray(v)) {
    v.forEach((x, i) => out.set(i + 1, number(x, `entry at index ${i}`)));
  } else if (v instanceof PyDict) {
    for (const [k, x] of v.entries) out.set(epochKey(k), number(x, `value for epoch ${k}`));
  } else if (v instanceof Map) {
    for (const [k, x] of v) out.set(epochKey(k), number(x, `value for epoch ${k}`));
  } else if (typeof v === "object") {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      out.set(epochKey(k), number(x, `value for epoch ${k}`));
    }
  } else {
    bad(`must be a list or a dict: current value is ${JSON.stringify(v)} (${kindOf(v)})`);
  }
  return out;
}

function _fromPythonText(text: string): unknown {
  try {
    return parsePyLiteral(text, { path: "learning_rates" });
  } catch (e) {
    return _fail({
      kind: "type",
      text: "'learning_rates' is a string that is not a Python list or dict literal (newbob " +
        `reads it as data and never evaluates code): ${(e as Error).message}`,
    });
  }
}

function _errorMeasure(v: unknown): string | readonly string[] | null {
  if (v === undefined || v === null || v === "") return null;
  if (typeof v === "string") return v;
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) {
    return v.length === 0 ? null : [...v];
  }
  return _fail(
    typeProblem("learning_rate_control_error_measure", "a string, a list of strings or null", v),
  );
}

function _controlKind(typeName: unknown): ControlKind {
  switch (typeName) {
    case "constant":
    case "newbob_abs":
    case "newbob_multi_epoch":
    case "reduce_on_plateau":
      return typeName;
    case "newbob":
    case "newbob_rel":
    case "newbob_relative":
      return "newbob_rel";
  }
  const valid = `Valid types: ${CONTROL_TYPES.join(", ")}.`;
  if (typeof typeName !== "string") {
    return _fail(typeProblem("learning_rate_control", `a string. ${valid}`, typeName));
  }
  return _fail({
    kind: "value",
    text: `'learning_rate_control' is unknown: current value is ${showValue(typeName, 60)}. ` +
      valid + didYouMeanSuffix(typeName, CONTROL_TYPES),
  });
}

/**
 * Resolve the learning-rate-control settings of a config object, with RETURNN's defaults and
 * precedence rules: `learning_rate_decay` beats `newbob_learning_rate_decay` whenever present
 * (an explicit `null` disables decay; same for growth); `relative_error_div_by_old` is an alias
 * of `newbob_relative_error_div_by_old`; numbers may be given as strings such as `"inf"`.
 *
 * @param config The config (RETURNN key names; unknown keys are ignored).
 * @returns The settings.
 * @throws {TypeError} When a value has the wrong type (the message names the key and the
 * expected type).
 * @throws {RangeError} For an unknown control type (with the valid ones and a did-you-mean), an
 * out-of-range integer, or conflicting values of the div-by-old aliases.
 *
 * @example `newbob` is the relative rule, with RETURNN's defaults
 * ```ts
 * import { resolveControlSettings } from "./config.ts";
 * import { equal } from "node:assert/strict";
 *
 * const s = resolveControlSettings({ learning_rate_control: "newbob", learning_rate: 0.1 });
 * equal(s.kind, "newbob_rel");
 * equal(s.decay, 0.5);
 * ```
 */
export function resolveControlSettings(config: Record<string, unknown>): ControlSettings {
  if (config === null || typeof config !== "object" || Array.isArray(config)) {
    throw new TypeError(
      `Cannot read the config as it must be an object: current value is ${kindOf(config)}`,
    );
  }
  const typeName = _has(config, "learning_rate_control") && config.learning_rate_control !== null
    ? config.learning_rate_control as string
    : "constant";
  const kind = _controlKind(typeName);
  const defaultLearningRate = _float(config, "learning_rate", 1.0);
  const divNew = _bool(config, "newbob_relative_error_div_by_old");
  const divAlias = _bool(config, "relative_error_div_by_old");
  if (divNew !== undefined && divAlias !== undefined && divNew !== divAlias) {
    _fail({
      kind: "value",
      text: `'relative_error_div_by_old' (${divAlias}) and 'newbob_relative_error_div_by_old' ` +
        `(${divNew}) disagree: they are the same setting, set only one of them`,
    });
  }
  const threshold = _float(config, "newbob_relative_error_threshold", -0.01);
  const multiNumEpochs = _int(config, "newbob_multi_num_epochs", 5, 1);
  const file = config.learning_rate_file;
  if (file !== undefined && file !== null && typeof file !== "string") {
    _fail(typeProblem("learning_rate_file", "a string (a path)", file));
  }
  const plateau = config.reduce_on_plateau;
  if (
    plateau !== undefined && plateau !== null &&
    (typeof plateau !== "object" || Array.isArray(plateau))
  ) {
    _fail(typeProblem("reduce_on_plateau", "an object of ReduceLROnPlateau options", plateau));
  }
  return {
    typeName,
    kind,
    defaultLearningRate,
    minLearningRate: _float(config, "min_learning_rate", 0.0),
    learningRates: _learningRates(config.learning_rates),
    errorMeasure: _errorMeasure(config.learning_rate_control_error_measure),
    relativeErrorRelativeLr: _bool(config, "learning_rate_control_relative_error_relative_lr") ??
      false,
    minNumEpochsPerNewLr: _int(config, "learning_rate_control_min_num_epochs_per_new_lr", 0, 0),
    relativeErrorDivByOld: divNew ?? divAlias ?? false,
    decay: _update(config, "learning_rate_decay", "newbob_learning_rate_decay", 0.5),
    growth: _update(config, "learning_rate_growth", "newbob_learning_rate_growth", 1.0),
    relativeErrorThreshold: threshold,
    relativeErrorGrowThreshold: _float(config, "newbob_relative_error_grow_threshold", threshold),
    errorThreshold: _float(config, "newbob_error_threshold", -0.01),
    multiNumEpochs,
    multiUpdateInterval: _int(config, "newbob_multi_update_interval", multiNumEpochs, 1),
    learningRateFile: typeof file === "string" && file !== "" ? file : null,
    pretrainLearningRate: _float(config, "pretrain_learning_rate", defaultLearningRate),
    pretrainEpochs: _int(config, "pretrain_epochs", 0, 0),
    useLearningRateControlAlways: _bool(config, "use_learning_rate_control_always") ?? false,
    reduceOnPlateau: resolveReduceOnPlateauOptions(
      (plateau ?? {}) as Record<string, unknown>,
      "reduce_on_plateau",
    ),
  };
}
