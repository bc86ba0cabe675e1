/**
 * RETURNN's distributed-training keys, validated with RETURNN's meaning and every problem
 * reported at once: `torch_distributed` (RETURNN's PyTorch engine, `returnn/torch/distributed.py`
 * `DistributedContext`) and `use_horovod` with the `horovod_*` keys (RETURNN's TF engine,
 * `returnn/tf/horovod.py` `HorovodContext`), plus newbob's own `mpi_library`,
 * `distributed_timeout_sec` and `distributed_startup_timeout_sec`. Pure (no Deno, no MPI): the
 * trainer's config validation imports it.
 *
 * @module
 */

import { didYouMeanSuffix } from "../_util/did_you_mean.ts";

/** The validated distributed settings (camelCase). */
export interface DistributedSettings {
  /** Which RETURNN key family asked for distribution. */
  readonly source: "torch_distributed" | "use_horovod";
  /**
   * `grad`: every rank computes gradients on its own batch, they are all-reduced before the
   * (identical) update. `param`: every rank updates alone; parameters are averaged every
   * `paramSyncStep` steps (optimizer state is never synced).
   */
  readonly reduceType: "grad" | "param";
  /** Steps between parameter averages (`param`); 1 for `grad`. */
  readonly paramSyncStep: number;
  /**
   * How gradients are combined (`grad`): `avg` (PyTorch DDP; `horovod_avg_grad`) or `sum`
   * (Horovod's default).
   */
  readonly gradReduceOp: "avg" | "sum";
  /** `horovod_scale_lr`: every learning rate is multiplied by the number of ranks. */
  readonly scaleLearningRateBySize: boolean;
  /**
   * Which data a rank trains on: `random_seed_offset` (every rank walks the whole data set in
   * its own order, seed offset `rank * 16127`) or `shard` (Horovod: the same batch order on all
   * ranks, rank r takes batches r, r+N, r+2N, ...).
   */
  readonly dataDistribution: "random_seed_offset" | "shard";
  /**
   * Horovod's `should_sync_every_step`: false only for `param` with `random_seed_offset`, where
   * ranks meet only at parameter syncs (and scores are not reduced per step).
   */
  readonly syncEveryStep: boolean;
  /** Seconds a collective may take before the job is stopped as stuck. */
  readonly timeoutSec: number;
  /** Seconds the ranks have to meet at startup. */
  readonly startupTimeoutSec: number;
  /** The config's `mpi_library`, if set (`NEWBOB_MPI_LIBRARY` wins over it). */
  readonly library: string | undefined;
}

/** Result of {@linkcode parseDistributedConfig}. */
export interface ParsedDistributedConfig {
  /** The settings, or `undefined` when the config asks for no distribution (or has problems). */
  readonly settings: DistributedSettings | undefined;
  /** One sentence per problem (empty when valid). */
  readonly problems: readonly string[];
  /** Remarks about keys without effect. */
  readonly notes: readonly string[];
}

/** RETURNN's default `timeout_sec` of `torch_distributed` (seconds). */
export const DEFAULT_TIMEOUT_SEC = 1800;
/** newbob's default startup timeout (seconds). */
export const DEFAULT_STARTUP_TIMEOUT_SEC = 120;

/** The keys inside `torch_distributed` RETURNN reads. */
const TORCH_KEYS = [
  "reduce_type",
  "param_sync_step",
  "backend",
  "timeout_sec",
  "class",
  "options",
  "sync_on_cpu",
];

/** The top-level Horovod keys RETURNN reads. */
const HOROVOD_KEYS = [
  "horovod_reduce_type",
  "horovod_param_sync_step",
  "horovod_param_sync_time_diff",
  "horovod_avg_grad",
  "horovod_scale_lr",
  "horovod_dataset_distribution",
];

/**
 * Every top-level key this module owns (the trainer leaves them to it). Any other key starting
 * with `horovod_` is also routed here (and reported as unknown with a did-you-mean).
 */
export const DISTRIBUTED_KEYS: readonly string[] = Object.freeze([
  "torch_distributed",
  "use_horovod",
  ...HOROVOD_KEYS,
  "mpi_library",
  "distributed_timeout_sec",
  "distributed_startup_timeout_sec",
]);

/**
 * Whether a top-level config key belongs to the distributed settings.
 *
 * @param key A config key.
 * @returns True for {@linkcode DISTRIBUTED_KEYS} and any `horovod_*` key.
 *
 * @example Usage
 * ```ts
 * import { isDistributedKey } from "./config.ts";
 * import { equal } from "node:assert/strict";
 * equal(isDistributedKey("horovod_reduce_typ"), true);
 * equal(isDistributedKey("learning_rate"), false);
 * ```
 */
export function isDistributedKey(key: string): boolean {
  return DISTRIBUTED_KEYS.includes(key) || key.startsWith("horovod_");
}

/**
 * Validate the distributed keys of a config and translate them.
 *
 * @param config The whole config object (other keys are ignored).
 * @returns The settings (or `undefined`), every problem, and notes.
 *
 * @example Usage
 * ```ts
 * import { parseDistributedConfig } from "./config.ts";
 * import { equal } from "node:assert/strict";
 *
 * const ok = parseDistributedConfig({
 *   torch_distributed: { reduce_type: "param", param_sync_step: 100 },
 * });
 * equal(ok.settings?.paramSyncStep, 100);
 * const bad = parseDistributedConfig({ torch_distributed: { reduce_typ: "grad" } });
 * equal(bad.problems[0].includes("Did you mean 'reduce_type'?"), true);
 * ```
 */
export function parseDistributedConfig(
  config: Readonly<Record<string, unknown>>,
): ParsedDistributedConfig {
  const problems: string[] = [];
  const notes: string[] = [];
  const has = (k: string) => Object.hasOwn(config, k) && config[k] !== undefined;

  for (const key of Object.keys(config)) {
    if (key.startsWith("horovod_") && !HOROVOD_KEYS.includes(key)) {
      problems.push(`unknown key '${_clip(key)}'.${didYouMeanSuffix(key, HOROVOD_KEYS)}`);
    }
  }

  // newbob's own keys.
  let library: string | undefined;
  if (has("mpi_library")) {
    const v = config.mpi_library;
    if (typeof v === "string" && v !== "") library = v;
    else problems.push(`'mpi_library' must be a non-empty path: current value is ${_show(v)}`);
  }
  const startupTimeoutSec = _seconds(config, "distributed_startup_timeout_sec", problems) ??
    DEFAULT_STARTUP_TIMEOUT_SEC;
  let timeoutSec = _seconds(config, "distributed_timeout_sec", problems);

  const torch = has("torch_distributed") && config.torch_distributed !== null;
  const horovod = has("use_horovod") && _isTrue(config.use_horovod, "use_horovod", problems);
  if (torch && horovod) {
    problems.push(
      "'torch_distributed' and 'use_horovod' conflict: they are RETURNN's PyTorch and TF ways to " +
        "ask for the same thing; keep one",
    );
  }

  let settings: DistributedSettings | undefined;
  if (torch) {
    const t = _parseTorch(config.torch_distributed, problems, notes);
    if (t.timeoutSec !== undefined) {
      if (timeoutSec !== undefined && timeoutSec !== t.timeoutSec) {
        problems.push(
          `'torch_distributed.timeout_sec' (${t.timeoutSec}) and 'distributed_timeout_sec' ` +
            `(${timeoutSec}) conflict: they are the same setting; keep one`,
        );
      }
      timeoutSec = t.timeoutSec;
    }
    settings = {
      source: "torch_distributed",
      reduceType: t.reduceType,
      paramSyncStep: t.paramSyncStep,
      gradReduceOp: "avg",
      scaleLearningRateBySize: false,
      dataDistribution: "random_seed_offset",
      syncEveryStep: t.reduceType === "grad",
      timeoutSec: timeoutSec ?? DEFAULT_TIMEOUT_SEC,
      startupTimeoutSec,
      library,
    };
  } else if (horovod) {
    settings = _parseHorovod(config, problems, notes, {
      timeoutSec: timeoutSec ?? DEFAULT_TIMEOUT_SEC,
      startupTimeoutSec,
      library,
    });
  } else {
    const hvd = HOROVOD_KEYS.filter(has);
    if (hvd.length > 0) {
      notes.push(
        `${hvd.map((k) => `'${k}'`).join(", ")} ${hvd.length === 1 ? "has" : "have"} no effect ` +
          "without use_horovod: True (RETURNN reads them only then)",
      );
    }
    const own = ["mpi_library", "distributed_timeout_sec", "distributed_startup_timeout_sec"]
      .filter(has);
    if (own.length > 0) {
      notes.push(
        `${own.map((k) => `'${k}'`).join(", ")} ${own.length === 1 ? "has" : "have"} no effect ` +
          "without torch_distributed or use_horovod",
      );
    }
  }
  if (problems.length > 0) settings = undefined;
  return { settings, problems, notes };
}

function _parseTorch(
  v: unknown,
  problems: string[],
  notes: string[],
): { reduceType: "grad" | "param"; paramSyncStep: number; timeoutSec: number | undefined } {
  const where = "torch_distributed";
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    problems.push(
      `'${where}' must be a dict of options (e.g. { reduce_type: "grad" }) or None: current ` +
        `value is ${_show(v)}`,
    );
    return { reduceType: "grad", paramSyncStep: 1, timeoutSec: undefined };
  }
  const o = v as Record<string, unknown>;
  const set = (k: string) => Object.hasOwn(o, k) && o[k] !== undefined;
  for (const k of Object.keys(o)) {
    if (!TORCH_KEYS.includes(k)) {
      problems.push(`unknown key '${where}.${_clip(k)}'.${didYouMeanSuffix(k, TORCH_KEYS)}`);
    }
  }
  let raw = "grad";
  if (set("reduce_type")) {
    const r = o.reduce_type;
    if (r === "grad" || r === "param" || r === "grad_explicit") raw = r;
    else {
      const hint = typeof r === "string"
        ? didYouMeanSuffix(r, ["grad", "param", "grad_explicit"])
        : "";
      problems.push(
        `'${where}.reduce_type' must be "grad", "param" or "grad_explicit": current value is ` +
          `${_show(r)}.${hint}`.replace(/\.$/, ""),
      );
    }
  }
  if (raw === "grad_explicit") {
    notes.push(
      `'${where}.reduce_type' "grad_explicit" is newbob's "grad": one all-reduce of the ` +
        "whole gradient as a flat buffer before every update",
    );
  }
  const reduceType = raw === "param" ? "param" : "grad";
  let paramSyncStep = 1;
  if (reduceType === "param") {
    const n = o.param_sync_step;
    if (Number.isInteger(n) && (n as number) > 0) paramSyncStep = n as number;
    else {
      problems.push(
        `'${where}.param_sync_step' must be a positive integer with reduce_type "param": ` +
          `current value is ${_show(n)}`,
      );
    }
  } else if (set("param_sync_step")) {
    notes.push(`'${where}.param_sync_step' has no effect with reduce_type "${raw}"`);
  }
  // RETURNN reads `class` and `options` only for "grad", `sync_on_cpu` only for "param", and
  // rejects the others as unused (CollectionReadCheckCovered.assert_all_read).
  for (const [k, only] of [["class", "grad"], ["options", "grad"], ["sync_on_cpu", "param"]]) {
    if (!set(k)) continue;
    if (raw !== only) {
      problems.push(
        `'${where}.${k}' is only read with reduce_type "${only}" (RETURNN rejects it with ` +
          `"${raw}"); remove it`,
      );
    } else if (k === "class") {
      problems.push(
        `'${where}.class' (a custom DistributedDataParallel class) is not supported: newbob ` +
          "all-reduces the gradients itself, as one flat buffer per update; remove it",
      );
    } else if (k === "options") {
      if (typeof o.options !== "object" || o.options === null || Array.isArray(o.options)) {
        problems.push(`'${where}.options' must be a dict: current value is ${_show(o.options)}`);
      } else {
        notes.push(
          `'${where}.options' (DistributedDataParallel's keyword arguments) has no effect in ` +
            "newbob, which has no DDP wrapper",
        );
      }
    } else if (typeof o.sync_on_cpu !== "boolean") {
      problems.push(
        `'${where}.sync_on_cpu' must be a boolean: current value is ${_show(o.sync_on_cpu)}`,
      );
    } else {
      notes.push(`'${where}.sync_on_cpu' has no effect: newbob always averages on the host`);
    }
  }
  if (set("backend")) {
    if (typeof o.backend !== "string") {
      problems.push(`'${where}.backend' must be a string: current value is ${_show(o.backend)}`);
    } else {
      notes.push(
        `'${where}.backend' (${_show(o.backend)}) has no effect: newbob's transport is MPI ` +
          "(started with mpirun)",
      );
    }
  }
  let timeoutSec: number | undefined;
  if (set("timeout_sec")) {
    const t = o.timeout_sec;
    if (typeof t === "number" && t > 0 && Number.isFinite(t)) timeoutSec = t;
    else {
      problems.push(
        `'${where}.timeout_sec' must be a positive number of seconds: current value is ${_show(t)}`,
      );
    }
  }
  return { reduceType, paramSyncStep, timeoutSec };
}

function _parseHorovod(
  c: Readonly<Record<string, unknown>>,
  problems: string[],
  notes: string[],
  own: { timeoutSec: number; startupTimeoutSec: number; library: string | undefined },
): DistributedSettings {
  const set = (k: string) => Object.hasOwn(c, k) && c[k] !== undefined && c[k] !== null;
  const choice = <T extends string>(k: string, values: readonly T[], dflt: T): T => {
    if (!set(k)) return dflt;
    const v = c[k];
    if (values.includes(v as T)) return v as T;
    const hint = typeof v === "string" ? didYouMeanSuffix(v, values) : "";
    problems.push(
      `'${k}' must be ${values.map((x) => `"${x}"`).join(" or ")}: current value is ` +
        `${_show(v)}.${hint}`.replace(/\.$/, ""),
    );
    return dflt;
  };
  const reduceType = choice("horovod_reduce_type", ["grad", "param"] as const, "grad");
  const dataDistribution = choice(
    "horovod_dataset_distribution",
    ["shard", "random_seed_offset"] as const,
    "shard",
  );
  let paramSyncStep = 1;
  if (set("horovod_param_sync_step")) {
    const n = c.horovod_param_sync_step;
    if (!Number.isInteger(n) || (n as number) < 1) {
      problems.push(
        `'horovod_param_sync_step' must be a positive integer: current value is ${_show(n)}`,
      );
    } else if (reduceType === "param") paramSyncStep = n as number;
    else notes.push(`'horovod_param_sync_step' has no effect with horovod_reduce_type "grad"`);
  }
  if (set("horovod_param_sync_time_diff")) {
    problems.push(
      "'horovod_param_sync_time_diff' is not supported: each rank would decide by its own clock " +
        "when to average, which needs Horovod's negotiated collectives (MPI collectives must be " +
        "called in the same order on every rank); use horovod_param_sync_step",
    );
  }
  const avgGrad = set("horovod_avg_grad")
    ? _isTrue(c.horovod_avg_grad, "horovod_avg_grad", problems)
    : false;
  if (set("horovod_avg_grad") && reduceType === "param") {
    notes.push(`'horovod_avg_grad' has no effect with horovod_reduce_type "param"`);
  }
  const scale = set("horovod_scale_lr")
    ? _isTrue(c.horovod_scale_lr, "horovod_scale_lr", problems)
    : false;
  return {
    source: "use_horovod",
    reduceType,
    paramSyncStep,
    gradReduceOp: avgGrad ? "avg" : "sum",
    scaleLearningRateBySize: scale,
    dataDistribution,
    syncEveryStep: !(dataDistribution === "random_seed_offset" && reduceType === "param"),
    ...own,
  };
}

/** RETURNN's `config.is_true` for a boolean key (JSON: true/false/0/1). */
function _isTrue(v: unknown, key: string, problems: string[]): boolean {
  if (v === null) return false;
  if (typeof v === "boolean") return v;
  if (v === 0 || v === 1) return v === 1;
  problems.push(`'${key}' must be a boolean: current value is ${_show(v)}`);
  return false;
}

function _seconds(
  c: Readonly<Record<string, unknown>>,
  key: string,
  problems: string[],
): number | undefined {
  if (!Object.hasOwn(c, key) || c[key] === undefined) return undefined;
  const v = c[key];
  if (typeof v === "number" && v > 0 && Number.isFinite(v)) return v;
  problems.push(`'${key}' must be a positive number of seconds: current value is ${_show(v)}`);
  return undefined;
}

function _clip(name: string): string {
  return name.length > 60 ? name.slice(0, 57) + "..." : name;
}

function _show(v: unknown): string {
  if (typeof v === "function") return "a function";
  try {
    const s = JSON.stringify(v);
    if (s === undefined) return String(v);
    return s.length > 60 ? s.slice(0, 57) + "..." : s;
  } catch {
    return String(v);
  }
}
