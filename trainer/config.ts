/**
 * Config validation and translation: the one place where RETURNN's snake_case keys become the
 * camelCase settings the training loop uses.
 *
 * {@linkcode resolveConfig} checks everything before any work starts and reports every problem
 * at once in a {@linkcode ConfigError}: unknown keys (with a did-you-mean), wrong types (naming
 * the key and the expected type), RETURNN keys newbob does not implement (never silently
 * ignored), and conflicting keys.
 *
 * @module
 */

import { didYouMeanSuffix } from "../_util/did_you_mean.ts";
import { ConfigError } from "./config_error.ts";
import { parseJsonText } from "./json_text.ts";
import { CONTROL_TYPES, resolveControlSettings } from "../control/config.ts";
import type {
  Config,
  DataSpec,
  DynamicLearningRateArgs,
  DynamicLearningRateDict,
  ModelSpec,
} from "./config_types.ts";
import type { BackendName } from "./model_types.ts";
import { DIGITS_TARGETS } from "./digits.ts";
import { resolveOptimizerConfig } from "../optimizers/registry.ts";
import { parsePyFloatString } from "../control/py_literal.ts";

/** Context passed to a per-step learning-rate function (the schedules' camelCase contract). */
export interface StepContext {
  /** Global index of the step (0-based, across epochs). */
  globalTrainStep: number;
  /** The epoch (1-based). */
  epoch: number;
  /** `epoch - 1 +` the fraction of the epoch done before this step (`null` if unknown). */
  epochContinuous: number | null;
  /** The epoch's learning rate from the control. */
  learningRate: number;
}

/** The validated, camelCase settings the training loop runs on. */
export interface TrainSettings {
  /** The network description for the model factory. */
  readonly model: ModelSpec;
  /** The data set description (snake_case options as written). */
  readonly data: DataSpec;
  /** Epochs `1..numEpochs`. */
  readonly numEpochs: number;
  /** Mini-batch size. */
  readonly batchSize: number;
  /** Backend, or `undefined` for the best available. */
  readonly backend: BackendName | undefined;
  /** Output folder. */
  readonly outputDir: string;
  /** Learning-rate file path. */
  readonly learningRateFile: string;
  /** Seed of initialisation and shuffling. */
  readonly seed: number;
  /** Steps between progress updates. */
  readonly logEverySteps: number;
  /** The optimizer dict for `createOptimizer` (without `learning_rate_multiplier`). */
  readonly optimizer: Readonly<Record<string, unknown>>;
  /** RETURNN TF `optimizer_epsilon`, if set. */
  readonly optimizerEpsilon: number | undefined;
  /** RETURNN TF `momentum`, if set. */
  readonly momentum: number | undefined;
  /** Factor on every step's learning rate. */
  readonly learningRateMultiplier: number;
  /** Per-step learning-rate setting (function in camelCase form, or RETURNN's dict). */
  readonly dynamicLearningRate:
    | ((ctx: StepContext) => number)
    | DynamicLearningRateDict
    | undefined;
  /** Gradient accumulation window in steps (1 = off). */
  readonly accumGradMultipleStep: number;
  /** `"global"` (TF) or `"epoch"` (Torch) accumulation windows. */
  readonly accumGradWindow: "global" | "epoch";
  /** Global-norm clip rule: RETURNN Torch's (default) or TF's. */
  readonly gradientTransformStyle: "torch" | "tf";
  /** Per-element clip, if set. */
  readonly gradientClip: number | undefined;
  /** Per-tensor norm clip, if set. */
  readonly gradientClipNorm: number | undefined;
  /** Global norm clip, if set. */
  readonly gradientClipGlobalNorm: number | undefined;
  /** Gradient noise standard deviation, if set. */
  readonly gradientNoise: number | undefined;
  /** Allowed consecutive invalid steps, if set. */
  readonly numAllowedConsecInvalidGradientSteps: number | undefined;
  /** Optimizer state reset period (0 = never). */
  readonly resetUpdaterVarsModStep: number;
  /** Unit of `resetUpdaterVarsModStep`. */
  readonly resetUpdaterVarsUnit: "epochs" | "steps";
  /** Number of pretraining epochs. */
  readonly pretrainEpochs: number;
  /**
   * The learning-rate-control keys exactly as RETURNN names them (the control module's config),
   * `learning_rate_file` excluded (passed as the file option).
   */
  readonly control: Readonly<Record<string, unknown>>;
  /** Non-fatal remarks about the config (keys without effect), printed before training. */
  readonly notes: readonly string[];
}

/** Options of {@linkcode resolveConfig}. */
export interface ResolveConfigOptions {
  /** Where the config came from, for messages. */
  source?: string;
  /** Overrides the config's `output_dir`. */
  outputDir?: string;
  /** Overrides the config's `backend`. */
  backend?: BackendName;
  /**
   * Update-pipeline keys the installed optimizer engine implements (the transforms). Keys not in
   * this set are reported as "not implemented yet" when set.
   * @default {TRANSFORM_KEYS}
   */
  implementedTransforms?: ReadonlySet<string>;
  /** Default output folder when neither the config nor `outputDir` sets one. @default {"out/default"} */
  defaultOutputDir?: string;
}

type Check = (v: unknown) => boolean;

interface KeySpec {
  /** Expected type, for messages. */
  expect: string;
  check: Check;
  /** Why the key is rejected even though RETURNN knows it. */
  unsupported?: string;
  /** Control key: forwarded to the learning-rate control. */
  control?: boolean;
}

const isNumber: Check = (v) => typeof v === "number" && !Number.isNaN(v);
const isFinite: Check = (v) => typeof v === "number" && Number.isFinite(v);
const isNonNeg: Check = (v) => isFinite(v) && (v as number) >= 0;
const isInt: Check = (v) => Number.isInteger(v);
const isNonNegInt: Check = (v) => Number.isInteger(v) && (v as number) >= 0;
const isPosInt: Check = (v) => Number.isInteger(v) && (v as number) >= 1;
const isBool: Check = (v) => typeof v === "boolean" || v === 0 || v === 1;
const isString: Check = (v) => typeof v === "string";
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const isUpdate: Check = (v) => v === null || isFinite(v) || typeof v === "function";

const NOT_IN_NEWBOB = "is a RETURNN key newbob does not implement";

/**
 * Keys where RETURNN treats a typed `None` like "not set" (off, or the default): a config
 * written from Python (`gradient_clip = None`, JSON `null`) means the same here. Other keys keep
 * rejecting `null` where RETURNN would crash on it (`learning_rate = None`).
 */
const NULL_IS_UNSET: ReadonlySet<string> = new Set([
  "optimizer",
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

/** The update-pipeline keys that need the transforms of the optimizer engine. */
export const TRANSFORM_KEYS: ReadonlySet<string> = new Set([
  "gradient_clip",
  "gradient_clip_norm",
  "gradient_clip_global_norm",
  "gradient_noise",
  "accum_grad_multiple_step",
  "num_allowed_consec_invalid_gradient_steps",
]);

/** Every key a config may hold, with its check. */
const KEYS: Record<string, KeySpec> = {
  // trainer
  model: { expect: 'an object like { type: "mlp", hidden: [64] }', check: (v) => isObject(v) },
  data: {
    expect: 'a data set name ("digits") or an object like { name: "digits" }',
    check: (v) => isString(v) || (isObject(v) && typeof v.name === "string"),
  },
  num_epochs: { expect: "an integer >= 1", check: isPosInt },
  batch_size: { expect: "an integer >= 1", check: isPosInt },
  backend: {
    expect: 'one of "cpu", "wasm", "webgpu"',
    check: (v) => v === "cpu" || v === "wasm" || v === "webgpu",
  },
  output_dir: { expect: "a folder path (string)", check: (v) => isString(v) && v !== "" },
  seed: { expect: "an integer", check: isInt },
  log_every_steps: { expect: "an integer >= 1", check: isPosInt },

  // learning-rate control (section 1.1)
  learning_rate_control: {
    expect: `one of ${CONTROL_TYPES.join(", ")}`,
    check: (v) => (CONTROL_TYPES as readonly string[]).includes(v as string),
    control: true,
  },
  reduce_on_plateau: {
    expect: "an object of PyTorch ReduceLROnPlateau options, like { factor: 0.5, patience: 2 }",
    check: (v) => isObject(v),
    control: true,
  },
  learning_rate: { expect: "a finite number >= 0", check: isNonNeg, control: true },
  learning_rates: {
    expect: "a list of numbers (epochs 1..n), an object { epoch: number }, or a string holding " +
      "a Python list or dict literal (as RETURNN accepts; read as data, never evaluated)",
    check: (v) =>
      v === null || typeof v === "string" ||
      (Array.isArray(v) && v.every(isFinite)) ||
      (isObject(v) &&
        Object.entries(v).every(([k, x]) => /^[1-9][0-9]*$/.test(k) && isFinite(x))),
    control: true,
  },
  min_learning_rate: { expect: "a finite number >= 0", check: isNonNeg, control: true },
  learning_rate_decay: {
    expect: "a number, a function (lr) => lr, or null",
    check: isUpdate,
    control: true,
  },
  newbob_learning_rate_decay: {
    expect: "a number, a function (lr) => lr, or null",
    check: isUpdate,
    control: true,
  },
  learning_rate_growth: {
    expect: "a number, a function (lr) => lr, or null",
    check: isUpdate,
    control: true,
  },
  newbob_learning_rate_growth: {
    expect: "a number, a function (lr) => lr, or null",
    check: isUpdate,
    control: true,
  },
  newbob_relative_error_threshold: { expect: "a number", check: isNumber, control: true },
  newbob_relative_error_grow_threshold: { expect: "a number", check: isNumber, control: true },
  newbob_error_threshold: { expect: "a number", check: isNumber, control: true },
  newbob_multi_num_epochs: { expect: "an integer >= 1", check: isPosInt, control: true },
  newbob_multi_update_interval: { expect: "an integer >= 1", check: isPosInt, control: true },
  learning_rate_control_min_num_epochs_per_new_lr: {
    expect: "an integer >= 0",
    check: isNonNegInt,
    control: true,
  },
  learning_rate_control_relative_error_relative_lr: {
    expect: "a boolean",
    check: isBool,
    control: true,
  },
  newbob_relative_error_div_by_old: { expect: "a boolean", check: isBool, control: true },
  relative_error_div_by_old: { expect: "a boolean", check: isBool },
  learning_rate_control_error_measure: {
    expect: 'a score key such as "dev_error", a list of keys, or null',
    check: (v) => v === null || isString(v) || (Array.isArray(v) && v.every(isString)),
    control: true,
  },
  learning_rate_file: { expect: "a file path (string)", check: (v) => isString(v) && v !== "" },
  pretrain_epochs: { expect: "an integer >= 0", check: isNonNegInt, control: true },
  pretrain_learning_rate: { expect: "a finite number >= 0", check: isNonNeg, control: true },
  use_learning_rate_control_always: { expect: "a boolean", check: isBool, control: true },

  // optimizer and update (section 1.2)
  optimizer: {
    expect: "an object with a 'class' string, like { class: \"adam\" } (RETURNN asserts a dict " +
      "with 'class' too)",
    check: (v) => isObject(v) && typeof v.class === "string",
  },
  optimizer_epsilon: { expect: "a finite number >= 0", check: isNonNeg },
  momentum: { expect: "a finite number >= 0", check: isNonNeg },
  dynamic_learning_rate: {
    expect: "a function ({ global_train_step, learning_rate, ...kwargs }) => number " +
      "(TypeScript configs only) or an object { interval, decay }",
    check: (v) =>
      typeof v === "function" ||
      (isObject(v) && Object.keys(v).sort().join(",") === "decay,interval" &&
        isPosInt(v.interval) && isFinite(v.decay)),
  },
  accum_grad_multiple_step: { expect: "an integer >= 0", check: isNonNegInt },
  accum_grad_window: {
    expect: '"global" (TF) or "epoch" (Torch)',
    check: (v) => v === "global" || v === "epoch",
  },
  gradient_transform_style: {
    expect: '"torch" (norm of the processed gradients, c/(N+1e-6)) or "tf" (raw norm, c/max(N,c))',
    check: (v) => v === "torch" || v === "tf",
  },
  gradient_clip: { expect: "a finite number >= 0", check: isNonNeg },
  gradient_clip_norm: { expect: "a finite number >= 0", check: isNonNeg },
  gradient_clip_global_norm: { expect: "a finite number >= 0", check: isNonNeg },
  gradient_noise: { expect: "a finite number >= 0 (0: off)", check: isNonNeg },
  num_allowed_consec_invalid_gradient_steps: {
    expect: "an integer >= 0",
    check: isNonNegInt,
  },
  reset_updater_vars_mod_step: { expect: "an integer >= 0", check: isNonNegInt },
  reset_updater_vars_unit: {
    expect: '"epochs" (as RETURNN documents) or "steps" (as RETURNN TF does)',
    check: (v) => v === "epochs" || v === "steps",
  },

  // RETURNN keys newbob rejects
  gradient_clip_avg_norm: {
    expect: "",
    check: () => true,
    unsupported: `${NOT_IN_NEWBOB} (TF only); use 'gradient_clip_norm' or ` +
      "'gradient_clip_global_norm'",
  },
  gradient_nan_inf_filter: {
    expect: "",
    check: () => true,
    unsupported: `${NOT_IN_NEWBOB} (TF only); use 'num_allowed_consec_invalid_gradient_steps'`,
  },
  grad_norm_to_clip_to_zero: {
    expect: "",
    check: () => true,
    unsupported: `${NOT_IN_NEWBOB} (TF only); remove it`,
  },
  maximize_grad_norm: {
    expect: "",
    check: () => true,
    unsupported: `${NOT_IN_NEWBOB} (TF only); remove it`,
  },
  global_norm_tag: {
    expect: "",
    check: () => true,
    unsupported: `${NOT_IN_NEWBOB} (TF only, per-tag global norms); remove it`,
  },
  gradient_clip_global_norm_tag: {
    expect: "",
    check: () => true,
    unsupported: `${NOT_IN_NEWBOB} (TF only, per-tag global norms); remove it`,
  },
  debug_grad_summaries: {
    expect: "",
    check: () => true,
    unsupported: `${NOT_IN_NEWBOB} (TF only); remove it`,
  },
  decouple_constraints: {
    expect: "",
    check: () => true,
    unsupported: `${NOT_IN_NEWBOB}; put 'weight_decay' into the optimizer dict (adamw decouples ` +
      "it)",
  },
  learning_rate_multiplier: {
    expect: "",
    check: () => true,
    unsupported: "is not a top-level key (RETURNN reads it only inside the optimizer dict and " +
      'ignores it here): write optimizer: { class: "adam", learning_rate_multiplier: 0.5 }',
  },
  weight_decay: {
    expect: "",
    check: () => true,
    unsupported: "is not a top-level key; put it into the optimizer dict: " +
      'optimizer: { class: "adamw", weight_decay: 0.01 }',
  },
  grad_clip: {
    expect: "",
    check: () => true,
    unsupported: "is not a key (RETURNN rejects it as a typo); use 'gradient_clip' (per " +
      "element) or 'gradient_clip_global_norm'",
  },
  pretrain: {
    expect: "",
    check: () => true,
    unsupported: `${NOT_IN_NEWBOB} (network construction); set 'pretrain_epochs' for the ` +
      "pretraining learning-rate rule",
  },
  horovod_scale_lr: {
    expect: "",
    check: () => true,
    unsupported: `${NOT_IN_NEWBOB} (no multi-worker training); remove it`,
  },
  use_horovod: {
    expect: "",
    check: () => true,
    unsupported: `${NOT_IN_NEWBOB} (no multi-worker training); remove it`,
  },
};

for (const legacy of ["adam", "nadam", "adadelta", "adagrad", "rmsprop"]) {
  KEYS[legacy] = {
    expect: "",
    check: () => true,
    unsupported: `is RETURNN's legacy optimizer flag, not implemented in newbob; write ` +
      `optimizer: { class: "${legacy}" }`,
  };
}

/** Every key name a config may contain (valid ones and rejected RETURNN ones). */
export const CONFIG_KEYS: readonly string[] = Object.freeze(Object.keys(KEYS));

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
  model: Object.freeze({ type: "mlp", hidden: Object.freeze([64]), activation: "relu" }),
  data: "digits",
  num_epochs: 10,
  batch_size: 32,
  seed: 42,
  log_every_steps: 10,
  optimizer: Object.freeze({ class: "sgd" }),
});

/** A name from the config, shortened for messages (hostile configs may hold huge keys). */
function clip(name: string): string {
  return name.length > 60 ? name.slice(0, 57) + "..." : name;
}

function show(v: unknown): string {
  if (typeof v === "function") return "a function";
  if (typeof v === "string") return JSON.stringify(v.length > 60 ? v.slice(0, 57) + "..." : v);
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 60 ? s.slice(0, 57) + "..." : s;
  } catch {
    return String(v);
  }
}

/**
 * Validate a config and translate it into {@linkcode TrainSettings}. Nothing is run.
 *
 * @param config The config object (from a module's default export or parsed JSON).
 * @param options Source name for messages, CLI overrides, implemented transforms.
 * @returns The settings for the training loop.
 * @throws {ConfigError} listing every problem at once.
 *
 * @example Usage
 * ```ts
 * import { resolveConfig } from "./config.ts";
 * import { ConfigError } from "./config_error.ts";
 * import { equal, throws } from "node:assert/strict";
 *
 * const s = resolveConfig({ learning_rate: 0.01, num_epochs: 3 });
 * equal(s.numEpochs, 3);
 * throws(() => resolveConfig({ learning_rte: 0.01 }), ConfigError); // did you mean learning_rate?
 * ```
 */
export function resolveConfig(config: unknown, options: ResolveConfigOptions = {}): TrainSettings {
  const problems: string[] = [];
  if (!isObject(config)) {
    throw new ConfigError(
      [`the config must be an object of settings: got ${show(config)}`],
      options.source,
    );
  }
  const implemented = options.implementedTransforms ?? TRANSFORM_KEYS;
  const c = Object.fromEntries(
    Object.entries(config)
      .filter(([k, v]) => !(v === null && NULL_IS_UNSET.has(k)))
      .map(([k, v]) => {
        const x = typeof v === "string" && FLOAT_KEYS.has(k) ? parsePyFloatString(v) : undefined;
        return [k, x === undefined ? v : x];
      }),
  );
  const valid = CONFIG_KEYS.filter((k) => KEYS[k].unsupported === undefined);
  for (const [key, value] of Object.entries(c)) {
    const spec = Object.hasOwn(KEYS, key) ? KEYS[key] : undefined;
    if (spec === undefined) {
      if (key.startsWith("horovod_")) {
        problems.push(`'${clip(key)}' ${NOT_IN_NEWBOB} (no multi-worker training); remove it`);
      } else {
        // Suggestions only for the keys the message lists (a hostile config may hold millions).
        const hint = problems.length < 50 ? didYouMeanSuffix(key, valid) : "";
        problems.push(`unknown key '${clip(key)}'.${hint}`);
      }
      continue;
    }
    if (spec.unsupported !== undefined) {
      problems.push(`'${key}' ${spec.unsupported}`);
      continue;
    }
    if (value === undefined) continue;
    if (!spec.check(value)) {
      problems.push(`'${key}' must be ${spec.expect}: current value is ${show(value)}`);
      continue;
    }
    if (TRANSFORM_KEYS.has(key) && !implemented.has(key) && !isOff(key, value)) {
      problems.push(
        `'${key}' is not implemented yet in newbob's optimizer engine (transforms); remove it ` +
          "or wait for the transforms to land",
      );
    }
  }
  if (isObject(c.model)) checkModel(c.model, problems);
  if (isObject(c.data)) checkData(c.data, problems);
  else if (typeof c.data === "string" && !DATA_SETS.includes(c.data)) {
    problems.push(
      `'data' must name a known data set (${DATA_SETS.join(", ")}): current value is ` +
        `${show(c.data)}.${didYouMeanSuffix(c.data, DATA_SETS)}`,
    );
  }
  const targets = resolveTargets(c.model, c.data, problems);
  // A learning-rate string (RETURNN evaluates it) is read as a Python literal by the control:
  // data only, never code. Checked here so that it is reported with every other problem.
  if (typeof c.learning_rates === "string") {
    try {
      resolveControlSettings({ learning_rates: c.learning_rates });
    } catch (e) {
      problems.push((e as Error).message.replace(/^Cannot read the config as /, ""));
    }
  }

  // Conflicts.
  if (
    c.relative_error_div_by_old !== undefined && c.newbob_relative_error_div_by_old !== undefined &&
    Boolean(c.relative_error_div_by_old) !== Boolean(c.newbob_relative_error_div_by_old)
  ) {
    problems.push(
      `'relative_error_div_by_old' (${show(c.relative_error_div_by_old)}) and ` +
        `'newbob_relative_error_div_by_old' (${
          show(c.newbob_relative_error_div_by_old)
        }) conflict: ` +
        "they are the same setting (the first is the documented alias); keep one",
    );
  }
  const opt = isObject(c.optimizer) ? c.optimizer : undefined;
  if (opt !== undefined) {
    for (const k of ["lr", "learning_rate"]) {
      if (k in opt) {
        problems.push(
          `'optimizer.${k}' must not be set: set 'learning_rate' (and 'learning_rate_control') ` +
            "outside the optimizer dict",
        );
      }
    }
    if ("learning_rate_multiplier" in opt && !isNonNeg(opt.learning_rate_multiplier)) {
      problems.push(
        `'optimizer.learning_rate_multiplier' must be a finite number >= 0: current value is ${
          show(opt.learning_rate_multiplier)
        }`,
      );
    } else if (
      typeof opt.class === "string" && !problems.some((p) => p.startsWith("'optimizer."))
    ) {
      // The class and its parameters, now rather than after the data and model are loaded.
      try {
        resolveOptimizerConfig(opt, { notice: false });
      } catch (e) {
        problems.push(`'optimizer': ${String((e as Error)?.message).slice(0, 500)}`);
      }
    }
  }
  const pretrainEpochs = isNonNegInt(c.pretrain_epochs) ? c.pretrain_epochs as number : 0;
  const numEpochs = isPosInt(c.num_epochs) ? c.num_epochs as number : TRAINER_DEFAULTS.num_epochs;
  if (pretrainEpochs > numEpochs) {
    problems.push(
      `'pretrain_epochs' (${pretrainEpochs}) is larger than 'num_epochs' (${numEpochs}); ` +
        "lower 'pretrain_epochs' or raise 'num_epochs'",
    );
  }
  const notes: string[] = [];
  for (const key of ["pretrain_learning_rate", "use_learning_rate_control_always"]) {
    if (c[key] !== undefined && pretrainEpochs === 0) {
      notes.push(
        `'${key}' has no effect without pretraining (as in RETURNN): set 'pretrain_epochs' >= 1 ` +
          "to use it",
      );
    }
  }
  if (
    Object.hasOwn(c, "learning_rate_control_error_measure") &&
    c.learning_rate_control_error_measure === null &&
    c.learning_rate_control !== undefined && c.learning_rate_control !== "constant"
  ) {
    notes.push(
      "'learning_rate_control_error_measure' = None does not disable the control (RETURNN's " +
        "documentation says so, its code does not): the default key (dev_score, ...) is used; " +
        'set learning_rate_control: "constant" to keep the rate',
    );
  }
  if (c.accum_grad_window !== undefined && !(isPosInt(c.accum_grad_multiple_step))) {
    problems.push(
      "'accum_grad_window' is set but 'accum_grad_multiple_step' is not: set " +
        "'accum_grad_multiple_step' >= 2 or remove 'accum_grad_window'",
    );
  }
  if (c.reset_updater_vars_unit !== undefined && !isPosInt(c.reset_updater_vars_mod_step)) {
    problems.push(
      "'reset_updater_vars_unit' is set but 'reset_updater_vars_mod_step' is not: set it >= 1 " +
        "or remove 'reset_updater_vars_unit'",
    );
  }
  if (problems.length === 0) {
    // The control's own checks (ranges, combinations) on the control keys.
    const subset: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(c)) {
      if (KEYS[key]?.control || key === "relative_error_div_by_old") subset[key] = value;
    }
    try {
      resolveControlSettings(subset);
    } catch (e) {
      const m = String((e as Error)?.message);
      problems.push(`learning-rate control: ${m.length > 500 ? m.slice(0, 497) + "..." : m}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems, options.source);

  // Translation (the one place where snake_case becomes camelCase).
  const outputDir = options.outputDir ?? (c.output_dir as string | undefined) ??
    options.defaultOutputDir ?? "out/default";
  const control: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(c)) {
    if (KEYS[key].control && value !== undefined) control[key] = value;
  }
  if (
    c.relative_error_div_by_old !== undefined && c.newbob_relative_error_div_by_old === undefined
  ) {
    control.newbob_relative_error_div_by_old = c.relative_error_div_by_old;
  }
  const optimizer: Record<string, unknown> = {
    ...(opt ?? TRAINER_DEFAULTS.optimizer),
  };
  const multiplier = (optimizer.learning_rate_multiplier ?? 1) as number;
  delete optimizer.learning_rate_multiplier;
  const given: DataSpec = typeof c.data === "string"
    ? { name: c.data }
    : (c.data as DataSpec | undefined) ?? { name: TRAINER_DEFAULTS.data };
  const data: DataSpec = targets === undefined ? given : { ...given, targets };
  const accum = (c.accum_grad_multiple_step as number | undefined) ?? 0;
  return Object.freeze({
    model: (c.model as ModelSpec | undefined) ??
      structuredClone(TRAINER_DEFAULTS.model) as ModelSpec,
    data,
    numEpochs,
    batchSize: (c.batch_size as number | undefined) ?? TRAINER_DEFAULTS.batch_size,
    backend: (options.backend ?? c.backend) as BackendName | undefined,
    outputDir,
    learningRateFile: (c.learning_rate_file as string | undefined) ??
      `${outputDir.replace(/\/+$/, "")}/learning_rates`,
    seed: (c.seed as number | undefined) ?? TRAINER_DEFAULTS.seed,
    logEverySteps: (c.log_every_steps as number | undefined) ?? TRAINER_DEFAULTS.log_every_steps,
    optimizer: Object.freeze(optimizer),
    optimizerEpsilon: c.optimizer_epsilon as number | undefined,
    momentum: c.momentum as number | undefined,
    learningRateMultiplier: multiplier,
    dynamicLearningRate: translateDynamic(c.dynamic_learning_rate),
    accumGradMultipleStep: Math.max(1, accum),
    accumGradWindow: (c.accum_grad_window as "global" | "epoch" | undefined) ?? "global",
    gradientTransformStyle: (c.gradient_transform_style as "torch" | "tf" | undefined) ?? "torch",
    gradientClip: nonZero(c.gradient_clip),
    gradientClipNorm: nonZero(c.gradient_clip_norm),
    gradientClipGlobalNorm: nonZero(c.gradient_clip_global_norm),
    gradientNoise: nonZero(c.gradient_noise),
    numAllowedConsecInvalidGradientSteps: c.num_allowed_consec_invalid_gradient_steps as
      | number
      | undefined,
    resetUpdaterVarsModStep: (c.reset_updater_vars_mod_step as number | undefined) ?? 0,
    resetUpdaterVarsUnit: (c.reset_updater_vars_unit as "epochs" | "steps" | undefined) ??
      "epochs",
    pretrainEpochs,
    control: Object.freeze(control),
    notes: Object.freeze(notes),
  });
}

/** Data sets the trainer can load. */
const DATA_SETS = ["digits"];
const DATA_KEYS = ["name", "dev_fraction", "targets"];
const MODEL_KEYS = ["type", "hidden", "activation", "outputs"];
/** Output names become score keys (`dev_score_<name>`): no `:` or `/`, not empty. */
const OUTPUT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TARGET_NAMES = Object.keys(DIGITS_TARGETS);
const EXAMPLE_OUTPUTS = "{ output: 10, parity: 2 }";
const EXAMPLE_TARGETS = '{ output: "digit", parity: "parity" }';

function checkOutputName(where: string, name: string, problems: string[]): boolean {
  if (OUTPUT_NAME.test(name)) return true;
  problems.push(
    `'${where}.${clip(name)}': output names must be letters, digits and '_' (they name score ` +
      "keys like dev_score_<name>); rename it",
  );
  return false;
}

/**
 * The target of every model output, when the model has several outputs or the data names
 * targets (else `undefined`: one output, the digit, as before). Checks that outputs and targets
 * match and that each head has its target's number of classes.
 */
function resolveTargets(
  model: unknown,
  data: unknown,
  problems: string[],
): Record<string, string> | undefined {
  const outputs = isObject(model) && isObject(model.outputs) ? model.outputs : undefined;
  const given = isObject(data) && isObject(data.targets) ? data.targets : undefined;
  if (outputs === undefined && given === undefined) return undefined;
  const heads = outputs ?? { output: undefined };
  const targets: Record<string, string> = {};
  for (const name of Object.keys(heads)) {
    let target: unknown;
    if (given !== undefined) {
      if (!Object.hasOwn(given, name)) {
        problems.push(
          `'data.targets' has no target for the model output '${clip(name)}': add it, like ` +
            `data: { targets: ${EXAMPLE_TARGETS} }`,
        );
        continue;
      }
      target = given[name];
    } else if (name === "output") target = "digit";
    else if (TARGET_NAMES.includes(name)) target = name;
    else {
      problems.push(
        `the model output '${clip(name)}' has no target: set data: { name: "digits", targets: ` +
          `{ ${clip(name)}: "parity" } } (known targets: ${TARGET_NAMES.join(", ")})`,
      );
      continue;
    }
    if (typeof target !== "string" || !TARGET_NAMES.includes(target)) continue; // checkData
    targets[name] = target;
    const k = heads[name];
    if (typeof k === "number" && isPosInt(k) && k !== DIGITS_TARGETS[target]) {
      problems.push(
        `'model.outputs.${clip(name)}' is ${k} but its target '${target}' has ` +
          `${DIGITS_TARGETS[target]} classes: set it to ${DIGITS_TARGETS[target]}`,
      );
    }
  }
  for (const name of Object.keys(given ?? {})) {
    if (!Object.hasOwn(heads, name)) {
      problems.push(
        `'data.targets.${clip(name)}' names no output of the model (outputs: ` +
          `${Object.keys(heads).join(", ")})${
            outputs === undefined ? `; add model: { outputs: ${EXAMPLE_OUTPUTS} }` : ""
          }.${didYouMeanSuffix(name, Object.keys(heads))}`,
      );
    }
  }
  return targets;
}

function checkData(d: Record<string, unknown>, problems: string[]): void {
  for (const k of Object.keys(d)) {
    if (!DATA_KEYS.includes(k)) {
      problems.push(`unknown key 'data.${clip(k)}'.${didYouMeanSuffix(k, DATA_KEYS)}`);
    }
  }
  if (typeof d.name === "string" && !DATA_SETS.includes(d.name)) {
    problems.push(
      `'data.name' must name a known data set (${DATA_SETS.join(", ")}): current value is ` +
        `${show(d.name)}`,
    );
  }
  if (d.targets !== undefined) {
    if (!isObject(d.targets) || Object.keys(d.targets).length === 0) {
      problems.push(
        `'data.targets' must map output names to targets, like ${EXAMPLE_TARGETS}: current ` +
          `value is ${show(d.targets)}`,
      );
    } else {
      for (const [name, target] of Object.entries(d.targets)) {
        if (!checkOutputName("data.targets", name, problems)) continue;
        if (typeof target !== "string" || !TARGET_NAMES.includes(target)) {
          problems.push(
            `'data.targets.${clip(name)}' must be one of ${TARGET_NAMES.join(", ")}: current ` +
              `value is ${show(target)}.${
                typeof target === "string" ? didYouMeanSuffix(target, TARGET_NAMES) : ""
              }`,
          );
        }
      }
    }
  }
  if (
    d.dev_fraction !== undefined && !(isFinite(d.dev_fraction) &&
      (d.dev_fraction as number) >= 0 && (d.dev_fraction as number) < 1)
  ) {
    problems.push(
      `'data.dev_fraction' must be a number in [0, 1): current value is ${show(d.dev_fraction)}`,
    );
  }
}

function checkModel(m: Record<string, unknown>, problems: string[]): void {
  for (const k of Object.keys(m)) {
    if (!MODEL_KEYS.includes(k)) {
      problems.push(`unknown key 'model.${clip(k)}'.${didYouMeanSuffix(k, MODEL_KEYS)}`);
    }
  }
  if (m.type !== "mlp") {
    problems.push(`'model.type' must be "mlp": current value is ${show(m.type)}`);
  }
  if (m.hidden !== undefined && !(Array.isArray(m.hidden) && m.hidden.every(isPosInt))) {
    problems.push(
      `'model.hidden' must be a list of layer sizes (integers >= 1): current value is ${
        show(m.hidden)
      }`,
    );
  }
  if (m.activation !== undefined && m.activation !== "relu" && m.activation !== "tanh") {
    problems.push(
      `'model.activation' must be "relu" or "tanh": current value is ${show(m.activation)}`,
    );
  }
  if (m.outputs !== undefined) {
    if (!isObject(m.outputs) || Object.keys(m.outputs).length === 0) {
      problems.push(
        `'model.outputs' must map output names to class counts, like ${EXAMPLE_OUTPUTS}: ` +
          `current value is ${show(m.outputs)}`,
      );
    } else {
      for (const [name, k] of Object.entries(m.outputs)) {
        if (
          checkOutputName("model.outputs", name, problems) && !(isPosInt(k) && (k as number) >= 2)
        ) {
          problems.push(
            `'model.outputs.${clip(name)}' must be a number of classes (an integer >= 2): ` +
              `current value is ${show(k)}`,
          );
        }
      }
    }
  }
}

function isOff(key: string, value: unknown): boolean {
  if (key === "accum_grad_multiple_step") return value === 0 || value === 1;
  if (key === "num_allowed_consec_invalid_gradient_steps") return value === undefined;
  return value === 0;
}

function nonZero(v: unknown): number | undefined {
  return typeof v === "number" && v !== 0 ? v : undefined;
}

function translateDynamic(
  v: unknown,
): ((ctx: StepContext) => number) | DynamicLearningRateDict | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "function") {
    const fn = v as (args: DynamicLearningRateArgs) => number;
    return (ctx: StepContext) =>
      fn({
        global_train_step: ctx.globalTrainStep,
        epoch: ctx.epoch,
        epoch_continuous: ctx.epochContinuous,
        learning_rate: ctx.learningRate,
      });
  }
  const d = v as DynamicLearningRateDict;
  return { interval: d.interval, decay: d.decay };
}

/** Options of {@linkcode loadConfig}. */
export type LoadConfigOptions = Omit<ResolveConfigOptions, "source">;

/**
 * Load a config file and resolve it. A `.ts`/`.js` module's default export is used (it may hold
 * functions, e.g. `dynamic_learning_rate`); a `.json` file is parsed as data only (JSON can
 * never reach functions, and newbob never evaluates config strings).
 *
 * @param path Path of the config file.
 * @param options CLI overrides and defaults; the default output folder is
 *   `out/<file name without .config.ts>`.
 * @returns The resolved settings and the raw config.
 * @throws {ConfigError} when the file is missing, unreadable or invalid.
 *
 * @example Load the embedded default job
 * ```ts
 * import { loadConfig } from "./config.ts";
 * import { equal } from "node:assert/strict";
 *
 * const { settings } = await loadConfig("examples/digits.config.ts");
 * equal(settings.learningRateFile, "out/digits/learning_rates");
 * ```
 */
export async function loadConfig(
  path: string,
  options: LoadConfigOptions = {},
): Promise<{ settings: TrainSettings; config: Config }> {
  const raw = await readConfigFile(path);
  const stem = path.replace(/^.*[\\/]/, "").replace(/(\.config)?\.(ts|js|mjs|json)$/, "");
  const settings = resolveConfig(raw, {
    defaultOutputDir: `out/${stem || "default"}`,
    ...options,
    source: path,
  });
  return { settings, config: raw as Config };
}

/**
 * Parse the text of a JSON config as data (nothing in it is evaluated; JSON cannot hold
 * functions).
 *
 * @param text The file text.
 * @param path The file name, for messages.
 * @returns The parsed value (not yet validated).
 * @throws {ConfigError} on a syntax error, naming its line and column.
 */
export function parseConfigText(text: string, path?: string): unknown {
  try {
    return parseJsonText(text);
  } catch (e) {
    throw new ConfigError([`the file is not valid JSON: ${(e as Error).message}`], path);
  }
}

/**
 * Read a config file without validating it.
 *
 * @param path `.ts`, `.js`, `.mjs` (default export) or `.json`.
 * @returns The config object.
 * @throws {ConfigError} when the file cannot be read or has no default export.
 *
 * @example Usage
 * ```ts
 * import { readConfigFile } from "./config.ts";
 * import { equal } from "node:assert/strict";
 *
 * const raw = await readConfigFile("examples/digits.config.ts") as { learning_rate_control: string };
 * equal(raw.learning_rate_control, "newbob_rel");
 * ```
 */
export async function readConfigFile(path: string): Promise<unknown> {
  if (path.endsWith(".json")) {
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (e) {
      throw new ConfigError([`cannot read the file: ${(e as Error).message}`], path);
    }
    return parseConfigText(text, path);
  }
  if (!/\.(ts|js|mjs)$/.test(path)) {
    throw new ConfigError(
      ["the config must be a TypeScript/JavaScript module (.ts, .js) or a JSON file (.json)"],
      path,
    );
  }
  const { resolve, isAbsolute } = await import("node:path");
  const { pathToFileURL } = await import("node:url");
  const abs = isAbsolute(path) ? path : resolve(Deno.cwd(), path);
  try {
    await Deno.stat(abs);
  } catch (e) {
    throw new ConfigError([`cannot read the file: ${(e as Error).message}`], path);
  }
  const url = pathToFileURL(abs).href;
  let mod: Record<string, unknown>;
  try {
    mod = await import(url);
  } catch (e) {
    // A syntax error or an exception while the module runs: report it as a config problem
    // with the place in the file (Deno puts it in the message or the stack).
    if (e instanceof Deno.errors.NotCapable) throw e; // the CLI names the flag to grant
    const err = e as Error;
    const message = String(err?.message ?? e).replace(/^SyntaxError: /, "");
    const at = message.includes(url) ? "" : (String(err?.stack ?? "").match(
      new RegExp(`${url.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:\\d+:\\d+`),
    )?.[0] ?? "");
    throw new ConfigError(
      [`cannot load the module: ${message}${at ? ` (at ${at})` : ""}`],
      path,
    );
  }
  if (!("default" in mod)) {
    throw new ConfigError(
      ["the module has no default export: write `export default { ... } satisfies Config`"],
      path,
    );
  }
  return mod.default;
}
