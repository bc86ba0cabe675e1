/**
 * RETURNN's learning-rate control (spec 2-9): per-epoch learning rates decided from the scores
 * of earlier epochs (`constant`, `newbob` / `newbob_rel` / `newbob_relative`, `newbob_abs`,
 * `newbob_multi_epoch`, and torch's `reduce_on_plateau`), the epoch history, and its file.
 *
 * @module
 */

import { type ControlSettings, resolveControlSettings } from "./config.ts";
import {
  type Decision,
  describeDecision,
  type LearningRateDecision,
  publicFields,
  sameRate,
} from "./decision.ts";
import { type EpochScores, flattenScores, resolveErrorKey } from "./error_key.ts";
import { LearningRateControlError } from "./errors.ts";
import { type EpochView, epochViews } from "./epoch_view.ts";
import {
  type EpochRecord,
  formatLearningRateFile,
  parseLearningRateFile,
  type StoredScore,
} from "./lr_file.ts";
import { decide, type RuleHistory } from "./rules.ts";

/** Options of {@linkcode createLearningRateControl} and the {@linkcode LearningRateControl} constructor. */
export interface LearningRateControlOptions {
  /**
   * The learning-rate file to load (if it exists) and to save to. Default: the config's
   * `learning_rate_file`; `null` for none (history kept in memory only).
   */
  file?: string | null;
  /**
   * The text of a learning-rate file to start from instead of reading `file` (where there is no
   * file system, e.g. a browser: pass `file: null` and the text of an upload), parsed like the
   * file (only {@linkcode createLearningRateControl} reads it).
   */
  text?: string;
}

export type { DecisionKind, LearningRateDecision } from "./decision.ts";

function _epochArg(epoch: number, what: string): void {
  if (!Number.isSafeInteger(epoch) || epoch < 1) {
    throw new RangeError(
      `Cannot ${what} as the epoch must be an integer >= 1: current value is ${epoch}`,
    );
  }
}

/**
 * Create a learning-rate control from a config, loading its learning-rate file if it exists.
 *
 * @param config The config (RETURNN key names; unknown keys are ignored).
 * @param options The file (default: `config.learning_rate_file`).
 * @returns The control.
 * @throws {TypeError} / {RangeError} For invalid config values (see
 * {@linkcode resolveControlSettings}).
 * @throws {LearningRateFileError} If the file exists but is malformed (it is left untouched).
 *
 * @example newbob halves the rate when the dev score improves by less than 1 %
 * ```ts
 * import { createLearningRateControl } from "./learning_rate_control.ts";
 * import { equal } from "node:assert/strict";
 *
 * const control = await createLearningRateControl(
 *   { learning_rate_control: "newbob", learning_rate: 0.01 },
 *   { file: null },
 * );
 * control.setEpochError(1, { dev_score: 2.0 });
 * control.setEpochError(2, { dev_score: 1.99 });
 * equal(control.learningRateForEpoch(3), 0.005);
 * ```
 */
export async function createLearningRateControl(
  config: Record<string, unknown>,
  options: LearningRateControlOptions = {},
): Promise<LearningRateControl> {
  const settings = resolveControlSettings(config);
  const file = options.file !== undefined ? options.file : settings.learningRateFile;
  const data = options.text !== undefined
    ? parseLearningRateFile(options.text, file ?? undefined)
    : file
    ? await (await _fileIo(file)).loadLearningRateFile(file)
    : undefined;
  return new LearningRateControl(settings, { file: file ?? null, data });
}

/**
 * The file functions (`lr_file_io.ts`), loaded on first use: the control itself loads in a
 * browser, where there is no file system to read a learning-rate file from.
 */
async function _fileIo(file: string): Promise<typeof import("./lr_file_io.ts")> {
  if (
    typeof (globalThis as { Deno?: { readTextFile?: unknown } }).Deno?.readTextFile !== "function"
  ) {
    throw new Error(
      `Cannot use the learning-rate file '${file}': this runtime has no file system (a ` +
        "browser?). Pass { file: null } and no 'learning_rate_file'; control.toText() gives the " +
        "file's text and parseLearningRateFile() reads it back",
    );
  }
  return await import("./lr_file_io.ts");
}

/**
 * The learning-rate control: RETURNN's `LearningRateControl` with its epoch data. The rate of
 * an epoch is fixed the first time it is asked for, from earlier epochs only, and then stored.
 *
 * @example Seeds from `learning_rates`; the rule continues from the last one
 * ```ts
 * import { LearningRateControl } from "./learning_rate_control.ts";
 * import { equal } from "node:assert/strict";
 *
 * const control = new LearningRateControl({ learning_rate: 0.1, learning_rates: [0.01, 0.05] });
 * equal(control.learningRateForEpoch(2), 0.05);
 * equal(control.learningRateForEpoch(3), 0.05);
 * equal(control.explain(3).kind, "keep");
 * ```
 */
export class LearningRateControl {
  /** The resolved settings. */
  readonly settings: ControlSettings;
  /** The learning-rate file, or `null`. */
  readonly file: string | null;
  readonly #data: Map<number, EpochRecord>;

  /**
   * Create a control from a config (no file is read here: see
   * {@linkcode createLearningRateControl}).
   *
   * @param config The config, or already resolved settings.
   * @param options The file name (not read here: see {@linkcode createLearningRateControl}) and
   * epoch data to start from (e.g. a parsed file).
   * @throws {TypeError} / {RangeError} For invalid config values.
   */
  constructor(
    config: Record<string, unknown> | ControlSettings,
    options: { file?: string | null; data?: Map<number, EpochRecord> } = {},
  ) {
    this.settings = _isSettings(config) ? config : resolveControlSettings(config);
    this.file = options.file ?? (_isSettings(config) ? null : this.settings.learningRateFile);
    this.#data = options.data ?? new Map();
    for (const [epoch, lr] of this.settings.learningRates) this.#setDefault(epoch, lr);
  }

  /**
   * The learning rate of an epoch (RETURNN's `get_learning_rate_for_epoch`): the stored one if
   * the epoch has data (seeded, loaded or computed before), else decided now from the earlier
   * epochs and stored.
   *
   * @param epoch The epoch (>= 1).
   * @returns The learning rate.
   * @throws {RangeError} For an epoch < 1 or not an integer.
   * @throws {LearningRateControlError} Where RETURNN crashes (a zero score as divisor, decay and
   * growth both firing, a decay function returning a non-number).
   */
  learningRateForEpoch(epoch: number): number {
    _epochArg(epoch, "get the learning rate");
    const rec = this.#data.get(epoch);
    if (rec) return rec.learningRate;
    const lr = decide(epoch, this.#history).lr;
    this.#setDefault(epoch, lr);
    return lr;
  }

  /**
   * The learning rate to train an epoch with, following RETURNN's TF engine (spec 9): with
   * `pretrain_epochs` P > 0 and without `use_learning_rate_control_always`, epochs 1..P use
   * `pretrain_learning_rate` and epoch P+1 uses `learning_rate`, both stored with set-default
   * (an already stored non-zero rate stays in the history); every other epoch uses
   * {@linkcode learningRateForEpoch}.
   *
   * @param epoch The epoch (>= 1).
   * @returns The learning rate to train with.
   * @throws {RangeError} / {LearningRateControlError} As {@linkcode learningRateForEpoch}.
   */
  epochStartLearningRate(epoch: number): number {
    _epochArg(epoch, "get the learning rate");
    const s = this.settings;
    if (s.useLearningRateControlAlways || s.pretrainEpochs === 0 || epoch > s.pretrainEpochs + 1) {
      return this.learningRateForEpoch(epoch);
    }
    const lr = epoch <= s.pretrainEpochs ? s.pretrainLearningRate : s.defaultLearningRate;
    this.#setDefault(epoch, lr);
    return lr;
  }

  /**
   * Record scores of an epoch (RETURNN's `set_epoch_error`), flattening one level of nested
   * dicts (`{dev_score: {"cost:output": x}}`); repeated calls merge. An epoch without data gets
   * its learning rate first.
   *
   * @param epoch The epoch (>= 1).
   * @param scores The scores.
   * @throws {TypeError} For a value that is not a number (or a dict of numbers).
   * @throws {RangeError} / {LearningRateControlError} As {@linkcode learningRateForEpoch}.
   */
  setEpochError(epoch: number, scores: EpochScores): void {
    _epochArg(epoch, "record scores");
    this.mergeStoredScores(epoch, flattenScores(scores));
  }

  /**
   * Merge already flat scores, keeping the Python types read from a learning-rate file (ints,
   * numpy floats, None). Used to replay a file; normal callers use {@linkcode setEpochError}.
   *
   * @param epoch The epoch (>= 1).
   * @param scores Flat scores.
   * @throws {RangeError} / {LearningRateControlError} As {@linkcode learningRateForEpoch}.
   */
  mergeStoredScores(epoch: number, scores: ReadonlyMap<string, StoredScore>): void {
    if (!this.#data.has(epoch)) this.learningRateForEpoch(epoch);
    const error = this.#data.get(epoch)!.error;
    for (const [k, v] of scores) error.set(k, v);
  }

  /**
   * The error key of an epoch (RETURNN's `get_error_key`): for an epoch without data the
   * configured measure (the first of a list; `null` if unset), for one without scores `null`,
   * else the resolved key (see {@linkcode resolveErrorKey}).
   *
   * @param epoch The epoch.
   * @returns The key, or `null`.
   */
  errorKey(epoch: number): string | null {
    const rec = this.#data.get(epoch);
    const m = this.settings.errorMeasure;
    if (!rec) return m === null ? null : typeof m === "string" ? m : m[0];
    return resolveErrorKey(rec.error.keys(), m);
  }

  /**
   * The meta data of an epoch, to read or extend (saved as `':meta:<key>'` entries). An epoch
   * without data gets its learning rate first.
   *
   * @param epoch The epoch (>= 1).
   * @returns The epoch's (mutable) meta object.
   * @throws {RangeError} / {LearningRateControlError} As {@linkcode learningRateForEpoch}.
   */
  epochMeta(epoch: number): Record<string, unknown> {
    _epochArg(epoch, "get meta data");
    if (!this.#data.has(epoch)) this.learningRateForEpoch(epoch);
    return this.#data.get(epoch)!.meta;
  }

  /**
   * A read-only snapshot of all epochs, sorted by epoch.
   *
   * @returns One view per epoch with data.
   */
  epochs(): EpochView[] {
    return epochViews(this.#data);
  }

  /**
   * The text {@linkcode save} writes (RETURNN's file format, byte for byte).
   *
   * @returns The file text.
   * @throws {TypeError} If meta data holds a value with no Python literal.
   */
  toText(): string {
    return formatLearningRateFile(this.#data);
  }

  /**
   * Write the history to the learning-rate file atomically (temp file, fsync, rename); does
   * nothing without a file.
   *
   * @returns Nothing, once written.
   * @throws {TypeError} If meta data holds a value with no Python literal.
   */
  async save(): Promise<void> {
    if (!this.file) return;
    await (await _fileIo(this.file)).saveLearningRateFile(this.file, this.#data);
  }

  /**
   * Describe how the learning rate of an epoch is (or would be) decided, without changing
   * anything. For the per-epoch summary.
   *
   * @param epoch The epoch (>= 1).
   * @returns The decision.
   * @throws {RangeError} For an epoch < 1.
   */
  explain(epoch: number): LearningRateDecision {
    _epochArg(epoch, "explain the learning rate");
    const s = this.settings;
    const stored = this.#data.get(epoch)?.learningRate;
    const base = { epoch, previousLearningRate: null, key: null, comparedEpochs: [] };
    if (!s.useLearningRateControlAlways && s.pretrainEpochs > 0 && epoch <= s.pretrainEpochs + 1) {
      const first = epoch === s.pretrainEpochs + 1;
      const lr = first ? s.defaultLearningRate : s.pretrainLearningRate;
      return {
        ...base,
        kind: first ? "initial" : "pretrain",
        learningRate: lr,
        computedLearningRate: lr,
        reason: first ? "first_after_pretrain" : "pretrain",
        text: first
          ? `epoch ${epoch}: first epoch after pretraining uses learning_rate ${lr}`
          : `epoch ${epoch}: pretraining epoch uses pretrain_learning_rate ${lr}`,
      };
    }
    let d: Decision;
    try {
      d = decide(epoch, this.#history);
    } catch (e) {
      if (!(e instanceof LearningRateControlError)) throw e;
      return {
        ...base,
        kind: "error",
        learningRate: stored ?? NaN,
        computedLearningRate: null,
        key: e.key,
        reason: "error",
        text: e.message,
      };
    }
    const out: LearningRateDecision = {
      ...publicFields(d),
      epoch,
      learningRate: stored ?? d.lr,
      computedLearningRate: d.lr,
      previousLearningRate: d.prevLr,
      key: d.key,
      comparedEpochs: d.compared,
      text: `epoch ${epoch}: ${describeDecision(d, s)}`,
    };
    if (stored !== undefined && !sameRate(stored, d.lr)) {
      const seed = s.learningRates.get(epoch);
      out.kind = seed !== undefined && sameRate(seed, stored) ? "seed" : "stored";
      out.reason = out.kind;
      out.text = `epoch ${epoch}: learning rate ${stored} ` +
        (out.kind === "seed" ? "from learning_rates" : "stored in the history (file or trainer)") +
        ` (the ${s.typeName} rule alone would give ${d.lr})`;
    }
    return out;
  }

  // ------------------------------------------------------------------------------ the rules

  #setDefault(epoch: number, lr: number): void {
    const rec = this.#data.get(epoch);
    if (!rec) this.#data.set(epoch, { learningRate: lr, error: new Map(), meta: {} });
    else if (rec.learningRate === 0) rec.learningRate = lr; // Python: `if not lr` (0.0 only)
  }

  /** The read-only view of the history the rules decide from. */
  get #history(): RuleHistory {
    const data = this.#data;
    return {
      settings: this.settings,
      epochsBefore: (epoch) => [...data.keys()].filter((e) => e < epoch).sort((a, b) => a - b),
      learningRateOf: (epoch) => data.get(epoch)!.learningRate,
      keyValue: (epoch) => {
        const rec = data.get(epoch);
        if (!rec || rec.error.size === 0) return [null, null];
        const key = this.errorKey(epoch)!;
        return [key, rec.error.get(key) ?? null];
      },
      mostRecentLearningRate: (epoch, includeCurrent) => {
        let best: number | undefined;
        for (const e of data.keys()) {
          if ((e < epoch || (includeCurrent && e === epoch)) && (best === undefined || e > best)) {
            best = e;
          }
        }
        return best === undefined
          ? this.settings.defaultLearningRate
          : data.get(best)!.learningRate;
      },
    };
  }
}

function _isSettings(c: Record<string, unknown> | ControlSettings): c is ControlSettings {
  return typeof (c as ControlSettings).kind === "string" &&
    (c as ControlSettings).learningRates instanceof Map;
}
