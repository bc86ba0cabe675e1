/**
 * The table of every key a config may hold: its check (type and range of the key alone), whether
 * it belongs to the learning-rate control, or why newbob rejects it although RETURNN knows it.
 * Rules between keys live in `trainer/config_rules.ts`.
 *
 * @module
 */

import { CONTROL_TYPES } from "../control/config.ts";
import { parsePyFloatString } from "../control/py_literal.ts";
import {
  booleanProblem,
  choiceProblem,
  clipName,
  describeNumber,
  numberProblem,
  type NumberRule,
  type Problem,
  typeProblem,
  valueProblem,
} from "../_util/validate.ts";
import { didYouMeanSuffix } from "../_util/did_you_mean.ts";
import { MLP_DEFAULTS } from "./model_types.ts";
import { DATA_CONFIG_KEYS } from "../datasets/data_config.ts";

/** One key of the table. */
export interface KeySpec {
  /** The problem of a set value (`undefined`: any value passes). */
  check?: (key: string, value: unknown) => Problem | undefined;
  /** Why the key is rejected although RETURNN knows it (and what to write instead). */
  unsupported?: string;
  /** Control key: forwarded to the learning-rate control. */
  control?: boolean;
}

/** A plain object (not an array, not null). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A numeric key: the type problem names the whole rule (`an integer >= 1`). */
function num(rule: NumberRule): KeySpec["check"] {
  return (key, v) =>
    typeof v === "number" ? numberProblem(key, v, rule) : typeProblem(key, describeNumber(rule), v);
}

/** A key whose values `ok` accepts, described by `expect`. */
function expect(text: string, ok: (v: unknown) => boolean): KeySpec["check"] {
  return (key, v) => (ok(v) ? undefined : valueProblem(key, text, v));
}

const POS_INT = num({ min: 1, integer: true });
const NON_NEG_INT = num({ min: 0, integer: true });
const NON_NEG = num({ min: 0 });
/** Any number but NaN (RETURNN's `config.float`; thresholds may be ±inf). */
const NUMBER = num({ infinite: true, noun: "a number" });
const BOOL: KeySpec["check"] = (key, v) =>
  booleanProblem(key, v, { expect: "a boolean", zeroOne: true });
const UPDATE = expect(
  "a number, a function (lr) => lr, or null",
  (v) => v === null || (typeof v === "number" && Number.isFinite(v)) || typeof v === "function",
);
const choice = (allowed: readonly string[]): KeySpec["check"] => (key, v) =>
  choiceProblem(key, v, allowed);

const NOT_IN_NEWBOB = "is a RETURNN key newbob does not implement";

/** A rejected RETURNN key. */
function rejected(why: string): KeySpec {
  return { unsupported: why };
}

/** Every key a config may hold, with its check. */
export const KEYS: Readonly<Record<string, KeySpec>> = {
  // trainer
  model: {
    check: (key, v) =>
      typeof v === "string"
        ? valueProblem(
          key,
          'an object like { type: "mlp", hidden: [64] } (RETURNN\'s model path prefix is not ' +
            "used: newbob writes checkpoints into the output folder; remove it)",
          v,
        )
        : isObject(v)
        ? undefined
        : valueProblem(key, 'an object like { type: "mlp", hidden: [64] }', v),
  },
  data: {
    check: expect(
      'a data set name ("digits") or an object like { name: "digits" }',
      (v) => typeof v === "string" || (isObject(v) && typeof v.name === "string"),
    ),
  },
  num_epochs: { check: POS_INT },
  // Rows of the digits job; RETURNN's padded frames per batch (a number or per data key) in a
  // sequence config (checked with the data settings).
  batch_size: {
    check: expect(
      "an integer >= 1, or a dict of them per data key (sequence configs)",
      (v) =>
        (Number.isInteger(v) && (v as number) >= 1) ||
        (isObject(v) && Object.values(v).every((x) => Number.isInteger(x) && (x as number) >= 1)),
    ),
  },
  backend: {
    check: (key, v) =>
      v === "torch" || v === "tensorflow" || v === "jax"
        ? valueProblem(
          key,
          '"cpu", "wasm" or "webgpu" (the TensorFlow.js backend; RETURNN\'s engine choice is ' +
            "made by the config's form: a 'network' dict trains as RETURNN's TF engine, " +
            "get_model/train_step as its PyTorch engine; remove the setting)",
          v,
        )
        : choiceProblem(key, v, ["cpu", "wasm", "webgpu"]),
  },
  output_dir: { check: expect("a folder path (string)", (v) => typeof v === "string" && v !== "") },
  seed: { check: num({ integer: true, noun: "an integer" }) },
  log_every_steps: { check: POS_INT },

  // sequence configs (RETURNN): datasets and batching (checked by datasets/data_config.ts), data
  // keys, the model, saving
  ...Object.fromEntries(DATA_CONFIG_KEYS.filter((k) => k !== "batch_size").map((k) => [k, {}])),
  network: {
    check: expect(
      'RETURNN\'s network dict, like { output: { class: "softmax", loss: "ce" } }',
      isObject,
    ),
  },
  extern_data: {},
  num_inputs: {},
  num_outputs: {},
  get_model: {},
  train_step: {},
  model_outputs: { check: expect("a dict of output names", isObject) },
  task: {
    check: expect(
      '"train" (newbob trains; RETURNN\'s other tasks are not implemented)',
      (v) => v === "train",
    ),
  },
  log_verbosity: { check: NON_NEG_INT },
  use_tensorflow: { check: BOOL },
  save_interval: { check: POS_INT },
  cleanup_old_models: {
    check: expect(
      "true/false or a dict { keep_last_n?: int >= 1, keep_best_n?: int >= 0, keep?: [epochs] }",
      (v) =>
        typeof v === "boolean" ||
        (isObject(v) && Object.entries(v).every(([k, x]) =>
          (k === "keep_last_n" && Number.isInteger(x) && (x as number) >= 1) ||
          (k === "keep_best_n" && Number.isInteger(x) && (x as number) >= 0) ||
          (k === "keep" && Array.isArray(x) && x.every((e) => Number.isInteger(e) && e >= 1))
        )),
    ),
  },
  stop_on_nonfinite_train_score: { check: BOOL },
  device: rejected(
    "is RETURNN's PyTorch device; newbob computes on the TensorFlow.js 'backend' (cpu, wasm, " +
      "webgpu): set that instead",
  ),

  // learning-rate control (section 1.1)
  learning_rate_control: { check: choice(CONTROL_TYPES), control: true },
  reduce_on_plateau: {
    check: expect(
      "an object of PyTorch ReduceLROnPlateau options, like { factor: 0.5, patience: 2 }",
      isObject,
    ),
    control: true,
  },
  learning_rate: { check: NON_NEG, control: true },
  learning_rates: {
    check: expect(
      "a list of numbers (epochs 1..n), an object { epoch: number }, or a string holding a " +
        "Python list or dict literal (as RETURNN accepts; read as data, never evaluated)",
      (v) =>
        v === null || typeof v === "string" ||
        (Array.isArray(v) && v.every(Number.isFinite)) ||
        (isObject(v) &&
          Object.entries(v).every(([k, x]) => /^[1-9][0-9]*$/.test(k) && Number.isFinite(x))),
    ),
    control: true,
  },
  min_learning_rate: { check: NON_NEG, control: true },
  learning_rate_decay: { check: UPDATE, control: true },
  newbob_learning_rate_decay: { check: UPDATE, control: true },
  learning_rate_growth: { check: UPDATE, control: true },
  newbob_learning_rate_growth: { check: UPDATE, control: true },
  newbob_relative_error_threshold: { check: NUMBER, control: true },
  newbob_relative_error_grow_threshold: { check: NUMBER, control: true },
  newbob_error_threshold: { check: NUMBER, control: true },
  newbob_multi_num_epochs: { check: POS_INT, control: true },
  newbob_multi_update_interval: { check: POS_INT, control: true },
  learning_rate_control_min_num_epochs_per_new_lr: { check: NON_NEG_INT, control: true },
  learning_rate_control_relative_error_relative_lr: { check: BOOL, control: true },
  newbob_relative_error_div_by_old: { check: BOOL, control: true },
  // The documented alias; it reaches the control as newbob_relative_error_div_by_old.
  relative_error_div_by_old: { check: BOOL },
  learning_rate_control_error_measure: {
    check: expect(
      'a score key such as "dev_error", a list of keys, or null',
      (v) =>
        v === null || typeof v === "string" ||
        (Array.isArray(v) && v.every((x) => typeof x === "string")),
    ),
    control: true,
  },
  learning_rate_file: {
    check: expect("a file path (string)", (v) => typeof v === "string" && v !== ""),
  },
  pretrain_epochs: { check: NON_NEG_INT, control: true },
  pretrain_learning_rate: { check: NON_NEG, control: true },
  use_learning_rate_control_always: { check: BOOL, control: true },

  // optimizer and update (section 1.2)
  optimizer: {
    check: expect(
      "an object with a 'class' string, like { class: \"adam\" } (RETURNN asserts a dict with " +
        "'class' too)",
      (v) => isObject(v) && typeof v.class === "string",
    ),
  },
  optimizer_epsilon: { check: NON_NEG },
  momentum: { check: NON_NEG },
  dynamic_learning_rate: {
    check: expect(
      "a function ({ global_train_step, learning_rate, ...kwargs }) => number (TypeScript " +
        "configs only) or an object { interval, decay }",
      (v) =>
        typeof v === "function" ||
        (isObject(v) && Object.keys(v).sort().join(",") === "decay,interval" &&
          Number.isInteger(v.interval) && (v.interval as number) >= 1 &&
          Number.isFinite(v.decay)),
    ),
  },
  accum_grad_multiple_step: { check: NON_NEG_INT },
  accum_grad_window: { check: choice(["global", "epoch"]) },
  gradient_transform_style: { check: choice(["torch", "tf"]) },
  gradient_clip: { check: NON_NEG },
  gradient_clip_norm: { check: NON_NEG },
  gradient_clip_global_norm: { check: NON_NEG },
  gradient_noise: { check: NON_NEG },
  num_allowed_consec_invalid_gradient_steps: { check: NON_NEG_INT },
  reset_updater_vars_mod_step: { check: NON_NEG_INT },
  reset_updater_vars_unit: { check: choice(["epochs", "steps"]) },

  // RETURNN keys newbob rejects
  gradient_clip_avg_norm: rejected(
    `${NOT_IN_NEWBOB} (TF only); use 'gradient_clip_norm' or 'gradient_clip_global_norm'`,
  ),
  gradient_nan_inf_filter: rejected(
    `${NOT_IN_NEWBOB} (TF only); use 'num_allowed_consec_invalid_gradient_steps'`,
  ),
  grad_norm_to_clip_to_zero: rejected(`${NOT_IN_NEWBOB} (TF only); remove it`),
  maximize_grad_norm: rejected(`${NOT_IN_NEWBOB} (TF only); remove it`),
  global_norm_tag: rejected(`${NOT_IN_NEWBOB} (TF only, per-tag global norms); remove it`),
  gradient_clip_global_norm_tag: rejected(
    `${NOT_IN_NEWBOB} (TF only, per-tag global norms); remove it`,
  ),
  debug_grad_summaries: rejected(`${NOT_IN_NEWBOB} (TF only); remove it`),
  decouple_constraints: rejected(
    `${NOT_IN_NEWBOB}; put 'weight_decay' into the optimizer dict (adamw decouples it)`,
  ),
  learning_rate_multiplier: rejected(
    "is not a top-level key (RETURNN reads it only inside the optimizer dict and ignores it " +
      'here): write optimizer: { class: "adam", learning_rate_multiplier: 0.5 }',
  ),
  weight_decay: rejected(
    "is not a top-level key; put it into the optimizer dict: " +
      'optimizer: { class: "adamw", weight_decay: 0.01 }',
  ),
  grad_clip: rejected(
    "is not a key (RETURNN rejects it as a typo); use 'gradient_clip' (per element) or " +
      "'gradient_clip_global_norm'",
  ),
  pretrain: rejected(
    `${NOT_IN_NEWBOB} (network construction); set 'pretrain_epochs' for the pretraining ` +
      "learning-rate rule",
  ),
  horovod_scale_lr: rejected(`${NOT_IN_NEWBOB} (no multi-worker training); remove it`),
  use_horovod: rejected(`${NOT_IN_NEWBOB} (no multi-worker training); remove it`),
  ...Object.fromEntries(
    ["adam", "nadam", "adadelta", "adagrad", "rmsprop"].map((legacy) => [
      legacy,
      rejected(
        `is RETURNN's legacy optimizer flag, not implemented in newbob; write ` +
          `optimizer: { class: "${legacy}" }`,
      ),
    ]),
  ),
};

/** Defaults of the trainer's own keys. */
export const TRAINER_DEFAULTS: Readonly<{
  model: Readonly<{ type: string; hidden: readonly number[]; activation: string }>;
  data: string;
  num_epochs: number;
  batch_size: number;
  seed: number;
  log_every_steps: number;
  optimizer: Readonly<{ class: string }>;
}> = Object.freeze({
  model: Object.freeze({ type: "mlp", ...MLP_DEFAULTS }),
  data: "digits",
  num_epochs: 10,
  batch_size: 32,
  seed: 42,
  log_every_steps: 10,
  optimizer: Object.freeze({ class: "sgd" }),
});

/** Every key name a config may contain (valid ones and rejected RETURNN ones). */
export const CONFIG_KEYS: readonly string[] = Object.freeze(Object.keys(KEYS));

/** The keys a config may use (the did-you-mean candidates). */
const VALID_KEYS = CONFIG_KEYS.filter((k) => KEYS[k].unsupported === undefined);

/**
 * Keys where RETURNN treats a typed `None` like "not set" (off, or the default): a config
 * written from Python (`gradient_clip = None`, JSON `null`) means the same here. Other keys keep
 * rejecting `null` where RETURNN would crash on it (`learning_rate = None`).
 */
const NULL_IS_UNSET: ReadonlySet<string> = new Set([
  "optimizer",
  "network",
  "get_model",
  "train_step",
  "extern_data",
  "num_inputs",
  "num_outputs",
  "save_interval",
  "cleanup_old_models",
  "stop_on_nonfinite_train_score",
  "model_outputs",
  "log_verbosity",
  "momentum",
  "dynamic_learning_rate",
  "accum_grad_multiple_step",
  "gradient_clip",
  "gradient_clip_norm",
  "gradient_clip_global_norm",
  "gradient_noise",
  "num_allowed_consec_invalid_gradient_steps",
  "reset_updater_vars_mod_step",
  "learning_rate_file",
  "learning_rate_control_relative_error_relative_lr",
  "newbob_relative_error_div_by_old",
  "relative_error_div_by_old",
  "use_learning_rate_control_always",
]);

/**
 * Keys RETURNN reads with `config.float`, which casts a string (`"inf"`, `"1e-3"`): the only way
 * to write an infinite threshold in a JSON config.
 */
const FLOAT_KEYS: ReadonlySet<string> = new Set([
  "learning_rate",
  "min_learning_rate",
  "newbob_relative_error_threshold",
  "newbob_relative_error_grow_threshold",
  "newbob_error_threshold",
  "pretrain_learning_rate",
  "optimizer_epsilon",
  "momentum",
  "gradient_clip",
  "gradient_clip_norm",
  "gradient_clip_global_norm",
  "gradient_noise",
]);

/**
 * The config as RETURNN reads it: a `null` that means "not set" is dropped, a float key's string
 * is read as a Python float.
 *
 * @param config The config object.
 * @returns A new object.
 */
export function normalizeConfig(config: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(config)
      .filter(([k, v]) => !(v === null && NULL_IS_UNSET.has(k)))
      .map(([k, v]) => {
        const x = typeof v === "string" && FLOAT_KEYS.has(k) ? parsePyFloatString(v) : undefined;
        return [k, x === undefined ? v : x];
      }),
  );
}

/** Problems listed with a did-you-mean at most (a hostile config may hold millions of keys). */
const MAX_SUGGESTIONS = 50;

/**
 * The problems of each key on its own: unknown keys (with a did-you-mean), rejected RETURNN keys
 * and values of the wrong type or range.
 *
 * @param c The normalized config.
 * @returns One sentence per problem, in the config's order.
 */
export function keyProblems(c: Readonly<Record<string, unknown>>): string[] {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(c)) {
    const spec = Object.hasOwn(KEYS, key) ? KEYS[key] : undefined;
    if (spec === undefined && key.startsWith("horovod_")) {
      problems.push(`'${clipName(key)}' ${NOT_IN_NEWBOB} (no multi-worker training); remove it`);
    } else if (spec === undefined) {
      const hint = problems.length < MAX_SUGGESTIONS ? didYouMeanSuffix(key, VALID_KEYS) : "";
      problems.push(`unknown key '${clipName(key)}'.${hint}`);
    } else if (spec.unsupported !== undefined) {
      problems.push(`'${key}' ${spec.unsupported}`);
    } else if (value !== undefined) {
      const p = spec.check?.(key, value);
      if (p !== undefined) problems.push(p.text);
    }
  }
  return problems;
}
