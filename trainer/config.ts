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

import { showValue } from "../_util/validate.ts";
import { ConfigError } from "./config_error.ts";
import { parseJsonText } from "./json_text.ts";
import type {
  Config,
  DataSpec,
  DynamicLearningRateArgs,
  DynamicLearningRateDict,
  ModelSpec,
} from "./config_types.ts";
import type { BackendName } from "./model_types.ts";
import { isObject, keyProblems, normalizeConfig, TRAINER_DEFAULTS } from "./config_keys.ts";
import { CONFIG_RULES, controlKeys, resolveTargets, type RuleContext } from "./config_rules.ts";
import { isSequenceConfig, resolveSequence, type SequenceSettings } from "./seq_config.ts";

/** RETURNN's `cleanup_old_models` options (`false`: keep every saved epoch's model). */
export interface CleanupOldModels {
  /** Keep the last N saved epochs. @default 2 */
  readonly keepLastN: number;
  /** Keep the N best saved epochs of every score key. @default 4 */
  readonly keepBestN: number;
  /** Epochs always kept. @default RETURNN's pattern (every 4/20/40/... and doubles of 5/10/20) */
  readonly keep?: readonly number[];
}

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
  /** The data set description of the digits job (snake_case options as written). */
  readonly data: DataSpec;
  /**
   * A sequence config's datasets, data keys and model (RETURNN's `train`/`dev`, `extern_data`,
   * `network` or `get_model`/`train_step`); `undefined` for the digits job (`data`/`model`).
   */
  readonly sequence: SequenceSettings | undefined;
  /** Save the model every N epochs (and after the last epoch of a run): `save_interval`. */
  readonly saveInterval: number;
  /** Which saved epoch models to delete after each epoch (`cleanup_old_models`). */
  readonly cleanupOldModels: CleanupOldModels | false;
  /** Stop when the accumulated train score is inf/nan (`stop_on_nonfinite_train_score`). */
  readonly stopOnNonfiniteTrainScore: boolean;
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
  /** Default output folder when neither the config nor `outputDir` sets one. @default {"out/default"} */
  defaultOutputDir?: string;
}

export { CONFIG_KEYS, TRAINER_DEFAULTS } from "./config_keys.ts";

/**
 * Validate a config and translate it into {@linkcode TrainSettings}. Nothing is run.
 *
 * Each key is checked on its own (the table in `trainer/config_keys.ts`), then the rules
 * between keys run (`CONFIG_RULES` in `trainer/config_rules.ts`); every problem found is
 * reported at once.
 *
 * @param config The config object (from a module's default export or parsed JSON).
 * @param options Source name for messages, CLI overrides.
 * @returns The settings for the training loop.
 * @throws {ConfigError} listing every problem at once.
 *
 * @example A typo is reported with a did-you-mean
 * ```ts
 * import { resolveConfig } from "./config.ts";
 * import { ConfigError } from "./config_error.ts";
 * import { equal, throws } from "node:assert/strict";
 *
 * equal(resolveConfig({ learning_rate: 0.01, num_epochs: 3 }).numEpochs, 3);
 * throws(() => resolveConfig({ learning_rte: 0.01 }), ConfigError); // did you mean learning_rate?
 * ```
 */
export function resolveConfig(config: unknown, options: ResolveConfigOptions = {}): TrainSettings {
  if (!isObject(config)) {
    throw new ConfigError(
      [`the config must be an object of settings: got ${showValue(config, 60)}`],
      options.source,
    );
  }
  const c = normalizeConfig(config);
  const ctx: RuleContext = { config: c, problems: keyProblems(c), notes: [] };
  for (const rule of CONFIG_RULES) rule.check(ctx);
  if (ctx.problems.length > 0) throw new ConfigError(ctx.problems, options.source);
  return toSettings(c, options, ctx.notes);
}

/** The translation of a valid config (the one place where snake_case becomes camelCase). */
function toSettings(
  c: Readonly<Record<string, unknown>>,
  options: ResolveConfigOptions,
  notes: readonly string[],
): TrainSettings {
  const outputDir = options.outputDir ?? (c.output_dir as string | undefined) ??
    options.defaultOutputDir ?? "out/default";
  const optimizer: Record<string, unknown> = { ...(c.optimizer ?? TRAINER_DEFAULTS.optimizer) };
  const multiplier = (optimizer.learning_rate_multiplier ?? 1) as number;
  delete optimizer.learning_rate_multiplier;
  const get = <T>(key: string, fallback: T): T => (c[key] as T | undefined) ?? fallback;
  return Object.freeze({
    model: (c.model as ModelSpec | undefined) ??
      structuredClone(TRAINER_DEFAULTS.model) as ModelSpec,
    data: dataSpec(c),
    sequence: isSequenceConfig(c) ? resolveSequence(c) : undefined,
    saveInterval: get("save_interval", 1),
    cleanupOldModels: cleanupOf(c.cleanup_old_models),
    stopOnNonfiniteTrainScore: get("stop_on_nonfinite_train_score", true),
    numEpochs: get("num_epochs", TRAINER_DEFAULTS.num_epochs),
    batchSize: typeof c.batch_size === "number" ? c.batch_size : TRAINER_DEFAULTS.batch_size,
    backend: (options.backend ?? c.backend) as BackendName | undefined,
    outputDir,
    learningRateFile: get("learning_rate_file", `${outputDir.replace(/\/+$/, "")}/learning_rates`),
    seed: get("seed", TRAINER_DEFAULTS.seed),
    logEverySteps: get("log_every_steps", TRAINER_DEFAULTS.log_every_steps),
    optimizer: Object.freeze(optimizer),
    optimizerEpsilon: get<number | undefined>("optimizer_epsilon", undefined),
    momentum: get<number | undefined>("momentum", undefined),
    learningRateMultiplier: multiplier,
    dynamicLearningRate: translateDynamic(c.dynamic_learning_rate),
    accumGradMultipleStep: Math.max(1, get("accum_grad_multiple_step", 0)),
    accumGradWindow: get<"global" | "epoch">("accum_grad_window", "global"),
    gradientTransformStyle: get<"torch" | "tf">("gradient_transform_style", "torch"),
    gradientClip: nonZero(c.gradient_clip),
    gradientClipNorm: nonZero(c.gradient_clip_norm),
    gradientClipGlobalNorm: nonZero(c.gradient_clip_global_norm),
    gradientNoise: nonZero(c.gradient_noise),
    numAllowedConsecInvalidGradientSteps: get<number | undefined>(
      "num_allowed_consec_invalid_gradient_steps",
      undefined,
    ),
    resetUpdaterVarsModStep: get("reset_updater_vars_mod_step", 0),
    resetUpdaterVarsUnit: get<"epochs" | "steps">("reset_updater_vars_unit", "epochs"),
    pretrainEpochs: get("pretrain_epochs", 0),
    control: Object.freeze(controlKeys(c)),
    notes: Object.freeze([...notes]),
  });
}

/** The data spec: a name becomes `{ name }`; the targets of several outputs are filled in. */
function dataSpec(c: Readonly<Record<string, unknown>>): DataSpec {
  const given: DataSpec = typeof c.data === "string"
    ? { name: c.data }
    : (c.data as DataSpec | undefined) ?? { name: TRAINER_DEFAULTS.data };
  const targets = resolveTargets(c.model, c.data, []);
  return targets === undefined ? given : { ...given, targets };
}

function cleanupOf(v: unknown): CleanupOldModels | false {
  // RETURNN tests the value's truth: an empty dict, like false, keeps every model.
  if (v === undefined || v === false || (isObject(v) && Object.keys(v).length === 0)) return false;
  const o = (v === true ? {} : v) as Record<string, unknown>;
  return {
    keepLastN: (o.keep_last_n as number | undefined) ?? 2,
    keepBestN: (o.keep_best_n as number | undefined) ?? 4,
    ...(o.keep !== undefined ? { keep: o.keep as number[] } : {}),
  };
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

/**
 * The name of a config file without its folder and its `.config.ts` / `.ts` / `.json` ending:
 * the default output folder is `out/<stem>`.
 *
 * @param path The config file's path.
 * @returns The stem (`"digits"` for `examples/digits.config.ts`), or `"default"` when empty.
 *
 * @example Usage
 * ```ts
 * import { configStem } from "./config.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(configStem("examples/digits.config.ts"), "digits");
 * equal(configStem("C:\\jobs\\run.json"), "run");
 * ```
 */
export function configStem(path: string): string {
  return path.replace(/^.*[\\/]/, "").replace(/(\.config)?\.(ts|js|mjs|json)$/, "") || "default";
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
  const settings = resolveConfig(raw, {
    defaultOutputDir: `out/${configStem(path)}`,
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
