/**
 * The optimizer registry: turns a config's `optimizer` dict (RETURNN style, PyTorch parameter
 * names) into an optimizer definition and validated hyperparameters.
 *
 * ## The RETURNN epsilon quirk (read this if you use Adam)
 *
 * RETURNN (TF backend) injects `optimizer_epsilon`, default **1e-16**, as the epsilon of every
 * optimizer that takes one, unless the dict sets it. newbob follows RETURNN here by default
 * (`returnnEpsilon: true`): `{class: "adam"}` runs with eps = 1e-16, not PyTorch's 1e-8, and a
 * one-time notice is printed. Set `eps` (or `epsilon`) in the dict, set the config key
 * `optimizer_epsilon` (`optimizerEpsilon`), or pass `returnnEpsilon: false` for PyTorch's
 * defaults. An explicit `eps` always wins.
 *
 * @module
 */

import { didYouMean, didYouMeanSuffix } from "../_util/did_you_mean.ts";
import { problemOf } from "../_util/validate.ts";
import { _boolean, _checkNumber, _rangeError, _show, _typeError, _unknownKeys } from "./_hyper.ts";
import { adadelta } from "./adadelta.ts";
import { adagrad } from "./adagrad.ts";
import { adam } from "./adam.ts";
import { adamax } from "./adamax.ts";
import { adamw } from "./adamw.ts";
import { asgd } from "./asgd.ts";
import { lion } from "./lion.ts";
import { nadam } from "./nadam.ts";
import { radam } from "./radam.ts";
import { rmsprop } from "./rmsprop.ts";
import { rprop } from "./rprop.ts";
import { sgd } from "./sgd.ts";
import type { Hyper, OptimizerDef } from "./types.ts";

/**
 * Every optimizer definition newbob ships, in a stable order.
 *
 * @example Usage
 * ```ts
 * import { OPTIMIZERS } from "./registry.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(OPTIMIZERS.map((d) => d.name).slice(0, 3), ["sgd", "adam", "adamw"]);
 * ```
 */
export const OPTIMIZERS: readonly OptimizerDef[] = Object.freeze([
  sgd,
  adam,
  adamw,
  nadam,
  radam,
  adamax,
  adagrad,
  adadelta,
  rmsprop,
  asgd,
  rprop,
  lion,
]);

/**
 * PyTorch's default learning rate of each optimizer class (newbob takes the learning rate from
 * the config's `learning_rate` and the learning-rate control, never from the `optimizer` dict;
 * this table is for documentation and for callers that want torch's defaults).
 *
 * @example Usage
 * ```ts
 * import { TORCH_DEFAULT_LR } from "./registry.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(TORCH_DEFAULT_LR.adadelta, 1.0);
 * ```
 */
export const TORCH_DEFAULT_LR: Readonly<Record<string, number>> = Object.freeze({
  sgd: 1e-3,
  adam: 1e-3,
  adamw: 1e-3,
  nadam: 2e-3,
  radam: 1e-3,
  adamax: 2e-3,
  adagrad: 1e-2,
  adadelta: 1.0,
  rmsprop: 1e-2,
  asgd: 1e-2,
  rprop: 1e-2,
  lion: 1e-4,
});

/** RETURNN's default `optimizer_epsilon`. */
const _RETURNN_EPSILON = 1e-16;

/** Options of {@link resolveOptimizerConfig}. */
export interface ResolveOptimizerOptions {
  /**
   * Apply RETURNN's epsilon default: optimizers that take an `eps` get `optimizerEpsilon`
   * (1e-16 unless set) when the dict sets none. `false` gives PyTorch's defaults (Adam 1e-8,
   * Adagrad 1e-10, Adadelta 1e-6, ...).
   *
   * @default {true}
   */
  returnnEpsilon?: boolean;
  /**
   * The config key `optimizer_epsilon`: the epsilon injected when the dict sets none (ignored
   * when `returnnEpsilon` is false).
   *
   * @default {1e-16}
   */
  optimizerEpsilon?: number;
  /**
   * Print the one-time notice when the RETURNN epsilon default is applied.
   *
   * @default {true}
   */
  notice?: boolean;
}

/** The result of {@link resolveOptimizerConfig}. */
export interface ResolvedOptimizer {
  /** The algorithm. */
  def: OptimizerDef;
  /** Every hyperparameter of the algorithm, validated (PyTorch names). */
  hyper: Hyper;
  /** RETURNN's `learning_rate_multiplier` from the dict: the optimizer runs at lr × this. */
  learningRateMultiplier: number;
}

const _BY_NAME: ReadonlyMap<string, OptimizerDef> = (() => {
  const m = new Map<string, OptimizerDef>();
  for (const def of OPTIMIZERS) {
    for (const n of [def.name, ...def.aliases]) m.set(n, def);
  }
  return m;
})();

/**
 * The decoupled twin of a definition with a `decoupled_weight_decay` option (adam, nadam, radam):
 * the same algorithm and name, with `weightDecay: "decoupled"` (`p *= 1 - lr·weight_decay`
 * before the update, like AdamW) and `decoupled_weight_decay: true` in its hyperparameters.
 */
function _decoupledTwin(def: OptimizerDef): OptimizerDef {
  return Object.freeze({
    ...def,
    weightDecay: "decoupled" as const,
    resolve(merged: Readonly<Record<string, unknown>>): Hyper {
      if (!_boolean(def.name, merged, "decoupled_weight_decay")) {
        throw _rangeError(
          def.name,
          `this is the decoupled variant: 'decoupled_weight_decay' must be true: current value ` +
            `is false`,
        );
      }
      const h = def.resolve({ ...merged, decoupled_weight_decay: false });
      return Object.freeze({ ...h, decoupled_weight_decay: true });
    },
  });
}

const _TWINS: ReadonlyMap<OptimizerDef, OptimizerDef> = new Map(
  OPTIMIZERS.filter((d) => "decoupled_weight_decay" in d.defaults).map((d) => [
    d,
    _decoupledTwin(d),
  ]),
);

/**
 * PyTorch's implementation switches (`foreach`, `fused`, `capturable`, `differentiable`; Lion's
 * `use_triton`): they pick a code path, not the math, so they are accepted (boolean or null) and
 * ignored. newbob has one implementation per backend.
 */
const _IMPLEMENTATION_SWITCHES = new Set([
  "foreach",
  "fused",
  "capturable",
  "differentiable",
  "use_triton",
]);

/** Class names that are TF's `MomentumOptimizer`: SGD that requires a `momentum`. */
const _MOMENTUM_CLASSES = new Set(["momentum", "momentumoptimizer"]);

/**
 * Every accepted class name (canonical names and aliases, lower case).
 *
 * @returns The names, sorted.
 *
 * @example RETURNN/TF aliases are accepted names too
 * ```ts
 * import { optimizerClassNames } from "./registry.ts";
 * import { ok } from "node:assert/strict";
 *
 * ok(optimizerClassNames().includes("adamoptimizer"));
 * ```
 */
export function optimizerClassNames(): string[] {
  return [..._BY_NAME.keys()].sort();
}

/**
 * Look up an optimizer definition by class name (case-insensitive, aliases included).
 *
 * @param className A PyTorch class name (`"Adam"`) or RETURNN/TF alias (`"AdamOptimizer"`).
 * @returns The definition.
 * @throws {TypeError} For an unknown name, listing the valid ones with a did-you-mean.
 *
 * @example Usage
 * ```ts
 * import { findOptimizer } from "./registry.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(findOptimizer("GradientDescent").name, "sgd");
 * ```
 */
export function findOptimizer(className: string): OptimizerDef {
  const def = _BY_NAME.get(className.toLowerCase());
  if (def !== undefined) return def;
  const canonical = OPTIMIZERS.map((d) => d.name);
  throw new TypeError(
    `Cannot create optimizer '${className}': unknown optimizer class '${className}'. Valid ` +
      `classes: ${canonical.join(", ")} (aliases: ${
        [..._BY_NAME.keys()].filter((n) => !canonical.includes(n)).join(", ")
      }).` + didYouMeanSuffix(className, _BY_NAME.keys()),
  );
}

let _noticeShown = false;

/** What the keys of a dict say, before the hyperparameters are validated. */
interface _Read {
  /** The definition (a suggested one when the class is misspelt, so that keys can be checked). */
  def: OptimizerDef | undefined;
  /** Constructor parameters by their PyTorch names. */
  params: Record<string, unknown>;
  multiplier: number;
  errors: (TypeError | RangeError)[];
}

/** The class of a dict: its definition, or the error and the closest class (if any). */
function _findClass(cls: unknown): { def?: OptimizerDef; error?: TypeError } {
  if (typeof cls !== "string") {
    return {
      error: new TypeError(
        `Cannot create optimizer: the 'optimizer' dict needs a 'class' string, e.g. ` +
          `{"class": "adam"}: current value is ${_show(cls)}`,
      ),
    };
  }
  try {
    return { def: findOptimizer(cls) };
  } catch (e) {
    const guess = didYouMean(cls, _BY_NAME.keys());
    return { def: guess === undefined ? undefined : _BY_NAME.get(guess), error: e as TypeError };
  }
}

/** Read one key of the dict into `r.params` (aliases resolved), or record its error. */
function _readKey(r: _Read, dict: Readonly<Record<string, unknown>>, key: string): void {
  const def = r.def!;
  const name = def.name;
  const value = dict[key];
  const fail = (message: string): void => {
    r.errors.push(_typeError(name, message));
  };
  if (_IMPLEMENTATION_SWITCHES.has(key) && (name === "lion") === (key === "use_triton")) {
    if (value !== null && typeof value !== "boolean") {
      fail(`'${key}' must be a boolean or null: current value is ${_show(value)}`);
    }
    return;
  }
  if (key === "lr" || key === "learning_rate") {
    return fail(
      `'${key}' must not be set inside the 'optimizer' dict: set 'learning_rate' (and the ` +
        `learning-rate control) outside of it`,
    );
  }
  if (key === "learning_rate_multiplier") {
    try {
      r.multiplier = _checkNumber(name, key, value, { min: 0 });
    } catch (e) {
      r.errors.push(e as RangeError);
    }
    return;
  }
  if ((key === "beta1" || key === "beta2") && "betas" in def.defaults) {
    if ("betas" in dict) return fail(`set either 'betas' or '${key}', not both`);
    const betas = (r.params.betas ?? [...(def.defaults.betas as number[])]) as unknown[];
    betas[key === "beta1" ? 0 : 1] = value;
    r.params.betas = betas;
    return;
  }
  const target = key === "epsilon" ? "eps" : key === "use_nesterov" ? "nesterov" : key;
  if (target === "eps" && "eps" in dict && "epsilon" in dict) {
    if (key === "epsilon") return; // reported once, at 'eps'
    return fail(
      `set only one of 'eps' and 'epsilon' (they are the same parameter): current values are ` +
        `${_show(dict.eps)} and ${_show(dict.epsilon)}`,
    );
  }
  if (target in r.params) {
    // Only an alias can collide with its target (use_nesterov/nesterov), in either order.
    const first = Object.keys(dict).find((k) =>
      k !== key && (k === target || k === "use_nesterov")
    );
    return fail(`'${first}' and '${key}' are the same parameter; set only one`);
  }
  r.params[target] = value;
}

/** Read the dict's keys; the class must have been found (or guessed). */
function _readDict(
  dict: Readonly<Record<string, unknown>>,
  options: ResolveOptimizerOptions,
): _Read {
  const found = _findClass(dict.class);
  const r: _Read = { def: found.def, params: {}, multiplier: 1, errors: [] };
  if (found.error) r.errors.push(found.error);
  if (r.def === undefined) return r;
  for (const key of Object.keys(dict)) if (key !== "class") _readKey(r, dict, key);
  const cls = String(dict.class);
  if (_MOMENTUM_CLASSES.has(cls.toLowerCase()) && !("momentum" in r.params)) {
    r.errors.push(
      new TypeError(
        `Cannot create optimizer '${r.def.name}': class '${cls}' is SGD with momentum and needs ` +
          `a 'momentum' value, e.g. {"class": "${cls}", "momentum": 0.9}`,
      ),
    );
  }
  _injectEpsilon(r, options);
  return r;
}

/** RETURNN's epsilon default for classes that take an `eps`, when the dict sets none. */
function _injectEpsilon(r: _Read, options: ResolveOptimizerOptions): void {
  const def = r.def!;
  if (!("eps" in def.defaults) || "eps" in r.params || options.returnnEpsilon === false) return;
  const eps = options.optimizerEpsilon ?? _RETURNN_EPSILON;
  try {
    r.params.eps = _checkNumber(def.name, "optimizer_epsilon", eps, { min: 0 });
  } catch (e) {
    r.errors.push(e as RangeError);
    return;
  }
  if (options.notice !== false && !_noticeShown && r.errors.length === 0) {
    _noticeShown = true;
    console.warn(
      `newbob: optimizer '${def.name}' uses eps = ${eps} (RETURNN's 'optimizer_epsilon' ` +
        `default), not PyTorch's ${def.defaults.eps}. Set "epsilon" in the optimizer dict ` +
        `or 'optimizer_epsilon' in the config to choose it. (Shown once.)`,
    );
  }
}

/** The definition the merged parameters select (the decoupled twin with `decoupled_weight_decay`). */
function _chosen(def: OptimizerDef, merged: Readonly<Record<string, unknown>>): OptimizerDef {
  const twin = _TWINS.get(def);
  return twin !== undefined && merged.decoupled_weight_decay === true ? twin : def;
}

/**
 * The errors of the parameters' values. A definition stops at its first bad value; that value
 * is set back to its default and the rest checked again, until the values pass or an error is
 * not about one value (a combination, such as nesterov without momentum).
 */
function _valueErrors(def: OptimizerDef, params: Record<string, unknown>): Error[] {
  const unknown = _unknownKeys(params, def.defaults);
  if (unknown.length > 0) return unknown.map((m) => _typeError(def.name, m));
  const errors: Error[] = [];
  const merged: Record<string, unknown> = { ...def.defaults, ...params };
  for (let i = 0; i <= Object.keys(params).length; i++) {
    try {
      _chosen(def, merged).resolve(merged);
      break;
    } catch (e) {
      errors.push(e as Error);
      const key = problemOf(e)?.label?.replace(/\[\d+\]$/, "");
      if (key === undefined || !(key in params) || merged[key] === def.defaults[key]) break;
      merged[key] = def.defaults[key];
    }
  }
  return errors;
}

/**
 * Every problem of a config's `optimizer` dict at once, as the errors
 * {@linkcode resolveOptimizerConfig} would throw one by one: a misspelt class (its parameters
 * are then checked against the class it suggests), a learning rate inside the dict, unknown
 * parameters, and each bad value.
 *
 * @param dict The config's `optimizer` value.
 * @param options Epsilon handling (as {@linkcode resolveOptimizerConfig}; no notice is shown).
 * @returns The errors (TypeError for a wrong type or name, RangeError for a bad value); empty
 * when the dict is valid.
 *
 * @example A misspelt class and a learning rate, both reported
 * ```ts
 * import { optimizerConfigErrors } from "./registry.ts";
 * import { equal, match } from "node:assert/strict";
 *
 * const errors = optimizerConfigErrors({ class: "adma", lr: 0.1, betaz: [0.9, 0.99] });
 * equal(errors.length, 3);
 * match(errors[0].message, /unknown optimizer class 'adma'.*Did you mean 'adam'\?/);
 * match(errors[1].message, /'lr' must not be set inside the 'optimizer' dict/);
 * match(errors[2].message, /unknown parameter 'betaz'.*Did you mean 'betas'\?/);
 * ```
 */
export function optimizerConfigErrors(
  dict: Readonly<Record<string, unknown>> | null | undefined,
  options: ResolveOptimizerOptions = {},
): Error[] {
  if (dict === undefined || dict === null) return [];
  if (typeof dict !== "object" || Array.isArray(dict)) {
    return [
      new TypeError(
        `Cannot create optimizer: 'optimizer' must be a dict with a 'class' key, e.g. ` +
          `{"class": "adam"}: current value is ${_show(dict)}`,
      ),
    ];
  }
  const r = _readDict(dict, { ...options, notice: false });
  return r.def === undefined ? r.errors : [...r.errors, ..._valueErrors(r.def, r.params)];
}

/**
 * Resolve a config's `optimizer` dict, RETURNN style: `class` (case-insensitive, PyTorch names
 * or RETURNN/TF aliases) plus constructor parameters in PyTorch's names.
 *
 * - No dict (`undefined`/`null`) means plain SGD.
 * - `epsilon` is accepted for `eps` (setting both is an error); for TF aliases `beta1`/`beta2`
 *   are accepted for `betas` and `use_nesterov` for `nesterov`.
 * - `momentum`/`momentumoptimizer` is SGD and requires `momentum`.
 * - `decoupled_weight_decay: true` (adam, nadam, radam; PyTorch 2.x) returns the decoupled
 *   twin of the definition: same name and math, `weightDecay: "decoupled"`.
 * - PyTorch's implementation switches (`foreach`, `fused`, `capturable`, `differentiable`, and
 *   Lion's `use_triton`) are accepted and ignored: they choose a code path, not the math.
 * - `lr`/`learning_rate` inside the dict is an error: set `learning_rate` outside it.
 * - `learning_rate_multiplier` (RETURNN TF) is returned separately (default 1).
 * - RETURNN's epsilon default: see the module documentation and
 *   {@link ResolveOptimizerOptions.returnnEpsilon}. Default on.
 *
 * @param dict The config's `optimizer` value.
 * @param options Epsilon handling.
 * @returns The definition, its validated hyperparameters and the learning-rate multiplier.
 * @throws {TypeError} For a malformed dict, an unknown class or parameter, or a wrong type.
 * @throws {RangeError} For an out-of-range, NaN or infinite value.
 * With several problems the error (a TypeError if any is one) lists them all, and
 * {@linkcode optimizerConfigErrors} gives each.
 *
 * @example `epsilon` is `eps`; without one RETURNN's 1e-16 applies
 * ```ts
 * import { resolveOptimizerConfig } from "./registry.ts";
 * import { equal } from "node:assert/strict";
 *
 * const r = resolveOptimizerConfig({ class: "Adam", epsilon: 1e-8, betas: [0.9, 0.98] });
 * equal(r.def.name, "adam");
 * equal(r.hyper.eps, 1e-8);
 * equal(resolveOptimizerConfig({ class: "adam" }, { notice: false }).hyper.eps, 1e-16);
 * ```
 */
export function resolveOptimizerConfig(
  dict: Readonly<Record<string, unknown>> | null | undefined,
  options: ResolveOptimizerOptions = {},
): ResolvedOptimizer {
  if (dict === undefined || dict === null) {
    return { def: sgd, hyper: sgd.resolve(sgd.defaults), learningRateMultiplier: 1 };
  }
  const errors = optimizerConfigErrors(dict, options);
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) {
    const Class = errors.some((e) => e instanceof TypeError) ? TypeError : RangeError;
    throw new Class(
      `Cannot create optimizer: the 'optimizer' dict has ${errors.length} problems:\n` +
        errors.map((e) => `  - ${e.message}`).join("\n"),
    );
  }
  const r = _readDict(dict, options);
  const def = r.def!;
  const merged = { ...def.defaults, ...r.params };
  const chosen = _chosen(def, merged);
  return { def: chosen, hyper: chosen.resolve(merged), learningRateMultiplier: r.multiplier };
}
