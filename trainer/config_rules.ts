/**
 * The rules between keys of a config (conflicts, keys that need others, notes about keys without
 * effect) and the checks of the nested `model`, `data` and `optimizer` dicts, as one table that
 * `resolveConfig` runs in order after each key was checked on its own. A new area (sequence
 * data, a network dict) adds its rules here.
 *
 * @module
 */

import { didYouMeanSuffix } from "../_util/did_you_mean.ts";
import { clipName, numberProblem, problemOf, showValue } from "../_util/validate.ts";
import { resolveControlSettings } from "../control/config.ts";
import { optimizerConfigErrors } from "../optimizers/registry.ts";
import { DIGITS_TARGETS } from "./digits.ts";
import { isObject, KEYS, TRAINER_DEFAULTS } from "./config_keys.ts";
import { DATA_CONFIG_KEYS } from "../datasets/data_config.ts";
import { isSequenceConfig, sequenceProblems } from "./seq_config.ts";

/** Keys that only mean something in a sequence config (RETURNN datasets and models). */
const SEQUENCE_ONLY = [
  ...DATA_CONFIG_KEYS.filter((k) => k !== "batch_size"),
  "extern_data",
  "num_inputs",
  "num_outputs",
  "model_outputs",
];

/** What a rule sees and reports. */
export interface RuleContext {
  /** The config (normalized: `null`-as-unset keys dropped, float strings read). */
  readonly config: Readonly<Record<string, unknown>>;
  /** The problems so far (each key's own, then earlier rules'). */
  readonly problems: string[];
  /** Non-fatal remarks (keys without effect), printed before training. */
  readonly notes: string[];
}

/** One rule of the table. */
export interface ConfigRule {
  /** The keys it reads (for readers and for finding a rule). */
  readonly keys: readonly string[];
  /** Add its problems and notes. */
  check(ctx: RuleContext): void;
}

/** Data sets the trainer can load. */
export const DATA_SETS: readonly string[] = ["digits"];
const DATA_KEYS = ["name", "dev_fraction", "targets"];
const MODEL_KEYS = ["type", "hidden", "activation", "outputs"];
/** Output names become score keys (`dev_score_<name>`): no `:` or `/`, not empty. */
const OUTPUT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TARGET_NAMES = Object.keys(DIGITS_TARGETS);
const EXAMPLE_OUTPUTS = "{ output: 10, parity: 2 }";
const EXAMPLE_TARGETS = '{ output: "digit", parity: "parity" }';
/** Messages of other modules are cut to this length in a problem. */
const MAX_MESSAGE = 500;

const show = (v: unknown) => showValue(v, 60);
const isPosInt = (v: unknown) => numberProblem("", v, { min: 1, integer: true }) === undefined;

/** The number of pretraining epochs and of epochs, as the translation will read them. */
function epochCounts(c: Readonly<Record<string, unknown>>): [number, number] {
  const pre = numberProblem("", c.pretrain_epochs, { min: 0, integer: true }) === undefined;
  const epochs = isPosInt(c.num_epochs) ? c.num_epochs as number : TRAINER_DEFAULTS.num_epochs;
  return [pre ? c.pretrain_epochs as number : 0, epochs];
}

function checkOutputName(where: string, name: string, problems: string[]): boolean {
  if (OUTPUT_NAME.test(name)) return true;
  problems.push(
    `'${where}.${clipName(name)}': output names must be letters, digits and '_' (they name ` +
      "score keys like dev_score_<name>); rename it",
  );
  return false;
}

/** The target of one model output (`undefined` after reporting why there is none). */
function targetOf(
  name: string,
  given: Record<string, unknown> | undefined,
  problems: string[],
): unknown {
  if (given !== undefined) {
    if (Object.hasOwn(given, name)) return given[name];
    problems.push(
      `'data.targets' has no target for the model output '${clipName(name)}': add it, like ` +
        `data: { targets: ${EXAMPLE_TARGETS} }`,
    );
    return undefined;
  }
  if (name === "output") return "digit";
  if (TARGET_NAMES.includes(name)) return name;
  problems.push(
    `the model output '${clipName(name)}' has no target: set data: { name: "digits", targets: ` +
      `{ ${clipName(name)}: "parity" } } (known targets: ${TARGET_NAMES.join(", ")})`,
  );
  return undefined;
}

/**
 * The target of every model output, when the model has several outputs or the data names
 * targets (else `undefined`: one output, the digit). Reports outputs and targets that do not
 * match and heads whose class count is not their target's.
 *
 * @param model The config's `model`.
 * @param data The config's `data`.
 * @param problems Where problems go (pass a scratch array to only read the targets).
 * @returns Output name -> target name, or `undefined`.
 */
export function resolveTargets(
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
    const target = targetOf(name, given, problems);
    if (typeof target !== "string" || !TARGET_NAMES.includes(target)) continue; // checkData
    targets[name] = target;
    const k = heads[name];
    if (typeof k === "number" && isPosInt(k) && k !== DIGITS_TARGETS[target]) {
      problems.push(
        `'model.outputs.${clipName(name)}' is ${k} but its target '${target}' has ` +
          `${DIGITS_TARGETS[target]} classes: set it to ${DIGITS_TARGETS[target]}`,
      );
    }
  }
  for (const name of Object.keys(given ?? {})) {
    if (Object.hasOwn(heads, name)) continue;
    problems.push(
      `'data.targets.${clipName(name)}' names no output of the model (outputs: ` +
        `${Object.keys(heads).join(", ")})${
          outputs === undefined ? `; add model: { outputs: ${EXAMPLE_OUTPUTS} }` : ""
        }.${didYouMeanSuffix(name, Object.keys(heads))}`,
    );
  }
  return targets;
}

function unknownKeys(where: string, d: Record<string, unknown>, known: readonly string[]) {
  return Object.keys(d).filter((k) => !known.includes(k)).map((k) =>
    `unknown key '${where}.${clipName(k)}'.${didYouMeanSuffix(k, known)}`
  );
}

function checkTargets(targets: unknown, problems: string[]): void {
  if (!isObject(targets) || Object.keys(targets).length === 0) {
    problems.push(
      `'data.targets' must map output names to targets, like ${EXAMPLE_TARGETS}: current value ` +
        `is ${show(targets)}`,
    );
    return;
  }
  for (const [name, target] of Object.entries(targets)) {
    if (!checkOutputName("data.targets", name, problems)) continue;
    if (typeof target === "string" && TARGET_NAMES.includes(target)) continue;
    problems.push(
      `'data.targets.${clipName(name)}' must be one of ${TARGET_NAMES.join(", ")}: current ` +
        `value is ${show(target)}.${
          typeof target === "string" ? didYouMeanSuffix(target, TARGET_NAMES) : ""
        }`,
    );
  }
}

function checkData(d: unknown, problems: string[]): void {
  if (typeof d === "string" && !DATA_SETS.includes(d)) {
    problems.push(
      `'data' must name a known data set (${DATA_SETS.join(", ")}): current value is ` +
        `${show(d)}.${didYouMeanSuffix(d, DATA_SETS)}`,
    );
  }
  if (!isObject(d)) return;
  problems.push(...unknownKeys("data", d, DATA_KEYS));
  if (typeof d.name === "string" && !DATA_SETS.includes(d.name)) {
    problems.push(
      `'data.name' must name a known data set (${DATA_SETS.join(", ")}): current value is ` +
        show(d.name),
    );
  }
  if (d.targets !== undefined) checkTargets(d.targets, problems);
  const f = numberProblem("data.dev_fraction", d.dev_fraction, { min: 0, max: 1, maxOpen: true });
  if (d.dev_fraction !== undefined && f !== undefined) {
    problems.push(
      `'data.dev_fraction' must be a number in [0, 1): current value is ${show(d.dev_fraction)}`,
    );
  }
}

function checkOutputs(outputs: unknown, problems: string[]): void {
  if (!isObject(outputs) || Object.keys(outputs).length === 0) {
    problems.push(
      `'model.outputs' must map output names to class counts, like ${EXAMPLE_OUTPUTS}: ` +
        `current value is ${show(outputs)}`,
    );
    return;
  }
  for (const [name, k] of Object.entries(outputs)) {
    if (!checkOutputName("model.outputs", name, problems)) continue;
    if (numberProblem("", k, { min: 2, integer: true }) === undefined) continue;
    problems.push(
      `'model.outputs.${clipName(name)}' must be a number of classes (an integer >= 2): ` +
        `current value is ${show(k)}`,
    );
  }
}

function checkModel(m: unknown, problems: string[]): void {
  if (!isObject(m)) return;
  problems.push(...unknownKeys("model", m, MODEL_KEYS));
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
  if (m.outputs !== undefined) checkOutputs(m.outputs, problems);
}

/** A message of another module, cut for a problem list. */
function cut(message: string): string {
  return message.length > MAX_MESSAGE ? message.slice(0, MAX_MESSAGE - 3) + "..." : message;
}

/**
 * The optimizer dict: a learning rate inside it (set `learning_rate` outside), its multiplier,
 * and every problem of its class and parameters, now rather than after the data and model are
 * loaded.
 */
function checkOptimizer(opt: unknown, problems: string[]): void {
  if (!isObject(opt)) return;
  const rest: Record<string, unknown> = { ...opt };
  for (const k of ["lr", "learning_rate"]) {
    if (!(k in opt)) continue;
    problems.push(
      `'optimizer.${k}' must not be set: set 'learning_rate' (and 'learning_rate_control') ` +
        "outside the optimizer dict",
    );
    delete rest[k];
  }
  if ("learning_rate_multiplier" in opt) {
    if (numberProblem("", opt.learning_rate_multiplier, { min: 0 }) !== undefined) {
      problems.push(
        `'optimizer.learning_rate_multiplier' must be a finite number >= 0: current value is ${
          show(opt.learning_rate_multiplier)
        }`,
      );
    }
    delete rest.learning_rate_multiplier;
  }
  if (typeof opt.class !== "string") return;
  for (const e of optimizerConfigErrors(rest, { notice: false })) {
    problems.push(`'optimizer': ${cut(e.message)}`);
  }
}

/** The control keys of a config, as the control module reads them. */
export function controlKeys(c: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const control: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(c)) {
    if (KEYS[key]?.control && value !== undefined) control[key] = value;
  }
  if (
    c.relative_error_div_by_old !== undefined && c.newbob_relative_error_div_by_old === undefined
  ) {
    control.newbob_relative_error_div_by_old = c.relative_error_div_by_old;
  }
  return control;
}

/** The rules between keys, in the order their problems are listed. */
export const CONFIG_RULES: readonly ConfigRule[] = [
  {
    // RETURNN's datasets, data keys and model (network dict or functions), or the digits job.
    keys: ["train", "network", "get_model", "train_step", ...SEQUENCE_ONLY],
    check: ({ config: c, problems }) => {
      if (isSequenceConfig(c)) {
        problems.push(...sequenceProblems(c).map(cut));
        return;
      }
      if (c.batch_size !== undefined && !Number.isInteger(c.batch_size)) {
        problems.push(
          `'batch_size' of the digits job counts rows (an integer): current value is ${
            show(c.batch_size)
          }; per-key batch sizes need RETURNN's train/dev datasets`,
        );
      }
      const stray = SEQUENCE_ONLY.filter((k) => c[k] !== undefined && c[k] !== null);
      if (stray.length > 0) {
        problems.push(
          `${stray.map((k) => `'${k}'`).join(", ")} ${stray.length > 1 ? "need" : "needs"} a ` +
            "sequence config: add 'train' (a dataset dict) and 'network' (or get_model/" +
            "train_step), or remove them",
        );
      }
    },
  },
  {
    keys: ["model"],
    check: ({ config, problems }) => checkModel(config.model, problems),
  },
  {
    keys: ["data"],
    check: ({ config, problems }) => checkData(config.data, problems),
  },
  {
    keys: ["model", "data"],
    check: ({ config, problems }) => void resolveTargets(config.model, config.data, problems),
  },
  {
    // A learning-rate string (RETURNN evaluates it) is read as a Python literal by the control:
    // data only, never code. Checked here so that it is reported with every other problem.
    keys: ["learning_rates"],
    check: ({ config, problems }) => {
      if (typeof config.learning_rates !== "string") return;
      try {
        resolveControlSettings({ learning_rates: config.learning_rates });
      } catch (e) {
        problems.push(problemOf(e)?.text ?? cut(String((e as Error)?.message)));
      }
    },
  },
  {
    keys: ["relative_error_div_by_old", "newbob_relative_error_div_by_old"],
    check: ({ config: c, problems }) => {
      const [a, b] = [c.relative_error_div_by_old, c.newbob_relative_error_div_by_old];
      if (a === undefined || b === undefined || Boolean(a) === Boolean(b)) return;
      problems.push(
        `'relative_error_div_by_old' (${show(a)}) and 'newbob_relative_error_div_by_old' ` +
          `(${show(b)}) conflict: they are the same setting (the first is the documented ` +
          "alias); keep one",
      );
    },
  },
  {
    keys: ["optimizer"],
    check: ({ config, problems }) => checkOptimizer(config.optimizer, problems),
  },
  {
    keys: ["pretrain_epochs", "num_epochs"],
    check: ({ config, problems }) => {
      const [pretrain, epochs] = epochCounts(config);
      if (pretrain <= epochs) return;
      problems.push(
        `'pretrain_epochs' (${pretrain}) is larger than 'num_epochs' (${epochs}); lower ` +
          "'pretrain_epochs' or raise 'num_epochs'",
      );
    },
  },
  {
    keys: ["pretrain_learning_rate", "use_learning_rate_control_always", "pretrain_epochs"],
    check: ({ config, notes }) => {
      if (epochCounts(config)[0] > 0) return;
      for (const key of ["pretrain_learning_rate", "use_learning_rate_control_always"]) {
        if (config[key] === undefined) continue;
        notes.push(
          `'${key}' has no effect without pretraining (as in RETURNN): set 'pretrain_epochs' ` +
            ">= 1 to use it",
        );
      }
    },
  },
  {
    keys: ["learning_rate_control_error_measure", "learning_rate_control"],
    check: ({ config: c, notes }) => {
      const control = c.learning_rate_control;
      if (c.learning_rate_control_error_measure !== null) return;
      if (control === undefined || control === "constant") return;
      notes.push(
        "'learning_rate_control_error_measure' = None does not disable the control (RETURNN's " +
          "documentation says so, its code does not): the default key (dev_score, ...) is " +
          'used; set learning_rate_control: "constant" to keep the rate',
      );
    },
  },
  {
    keys: ["log_verbosity", "use_tensorflow", "model_outputs"],
    check: ({ config: c, notes }) => {
      const why: Record<string, string> = {
        log_verbosity:
          "newbob's output is the progress bar or lines (--progress) and the summaries",
        use_tensorflow: "the engine follows from the config's form ('network': TF engine)",
        model_outputs: "newbob trains, it does not run forward_step",
      };
      for (const [k, reason] of Object.entries(why)) {
        if (c[k] !== undefined) notes.push(`'${k}' is accepted and has no effect (${reason})`);
      }
    },
  },
  {
    keys: ["accum_grad_window", "accum_grad_multiple_step"],
    check: ({ config: c, problems }) => {
      if (c.accum_grad_window === undefined || isPosInt(c.accum_grad_multiple_step)) return;
      problems.push(
        "'accum_grad_window' is set but 'accum_grad_multiple_step' is not: set " +
          "'accum_grad_multiple_step' >= 2 or remove 'accum_grad_window'",
      );
    },
  },
  {
    keys: ["reset_updater_vars_unit", "reset_updater_vars_mod_step"],
    check: ({ config: c, problems }) => {
      if (c.reset_updater_vars_unit === undefined || isPosInt(c.reset_updater_vars_mod_step)) {
        return;
      }
      problems.push(
        "'reset_updater_vars_unit' is set but 'reset_updater_vars_mod_step' is not: set it >= 1 " +
          "or remove 'reset_updater_vars_unit'",
      );
    },
  },
  {
    // The control's own checks (ranges, combinations), on a config without other problems.
    keys: ["learning_rate_control"],
    check: ({ config, problems }) => {
      if (problems.length > 0) return;
      try {
        resolveControlSettings(controlKeys(config));
      } catch (e) {
        problems.push(`learning-rate control: ${cut(String((e as Error)?.message))}`);
      }
    },
  },
];
