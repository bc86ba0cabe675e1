/**
 * RETURNN's learning-rate control (spec 2-9): per-epoch learning rates decided from the scores
 * of earlier epochs (`constant`, `newbob` / `newbob_rel` / `newbob_relative`, `newbob_abs`,
 * `newbob_multi_epoch`, and torch's `reduce_on_plateau`), the epoch history, and its file.
 *
 * @module
 */

import { type ControlSettings, type LearningRateUpdate, resolveControlSettings } from "./config.ts";
import { type EpochScores, flattenScores, resolveErrorKey } from "./error_key.ts";
import { LearningRateControlError } from "./errors.ts";
import { writeTextFileAtomic } from "./atomic_write.ts";
import { type EpochView, epochViews, scoreValue } from "./epoch_view.ts";
import {
  type EpochRecord,
  formatLearningRateFile,
  parseLearningRateFile,
  type StoredScore,
} from "./lr_file.ts";
import { numpyMean } from "./numpy_mean.ts";
import { PyFloat } from "./py_value.ts";
import { ReduceLROnPlateau } from "./reduce_on_plateau.ts";

/** Options of {@linkcode createLearningRateControl} and the {@linkcode LearningRateControl} constructor. */
export interface LearningRateControlOptions {
  /**
   * The learning-rate file to load (if it exists) and to save to. Default: the config's
   * `learning_rate_file`; `null` for none (history kept in memory only).
   */
  file?: string | null;
}

/** What decided an epoch's learning rate (see {@linkcode LearningRateControl.explain}). */
export type DecisionKind =
  | "initial"
  | "keep"
  | "hold"
  | "decay"
  | "grow"
  | "seed"
  | "stored"
  | "pretrain"
  | "error";

/** A structured description of an epoch's learning-rate decision, plus a sentence. */
export interface LearningRateDecision {
  /** The epoch. */
  epoch: number;
  /**
   * `initial`: `learning_rate` (no earlier epoch); `keep`: the rule made no change (`reason`
   * says why); `hold`: `learning_rate_control_min_num_epochs_per_new_lr` kept the rate; `decay`
   * / `grow`: the rule fired; `seed`: from `learning_rates`; `stored`: from the file or set
   * otherwise; `pretrain`: a pretraining epoch; `error`: the rule cannot decide (see `text`).
   */
  kind: DecisionKind;
  /** The epoch's rate: the stored one, or the one it would get. */
  learningRate: number;
  /** What the control's rule gives from the earlier epochs (`null` on error). */
  computedLearningRate: number | null;
  /** The rate before the decision (the latest earlier epoch's, or `learning_rate`). */
  previousLearningRate: number | null;
  /** The error key the decision compared, if any. */
  key: string | null;
  /** The epochs whose scores were compared. */
  comparedEpochs: number[];
  /** newbob_rel: the relative error. */
  relativeError?: number | null;
  /** newbob_multi_epoch: the relative errors of the window. */
  relativeErrors?: (number | null)[];
  /** newbob_multi_epoch: their numpy mean. */
  meanRelativeError?: number | null;
  /** newbob_abs: the score difference. */
  errorDiff?: number | null;
  /** reduce_on_plateau: the last metric. */
  metric?: number | null;
  /** Whether a decay was clipped to `min_learning_rate`. */
  clippedToMin?: boolean;
  /** A short machine-readable reason, e.g. `no_scores`, `key_changed`, `interval`, `threshold`. */
  reason: string;
  /** One human-readable sentence. */
  text: string;
}

interface _Decision {
  kind: "initial" | "keep" | "hold" | "decay" | "grow";
  lr: number;
  prevLr: number | null;
  key: string | null;
  compared: number[];
  reason: string;
  relativeError?: number | null;
  relativeErrors?: (number | null)[];
  meanRelativeError?: number | null;
  errorDiff?: number | null;
  metric?: number | null;
  clippedToMin?: boolean;
}

const _num = scoreValue;

function _same(a: number, b: number): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

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
  let data: Map<number, EpochRecord> | undefined;
  if (file) {
    let text: string | undefined;
    try {
      text = await Deno.readTextFile(file);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    if (text !== undefined) data = parseLearningRateFile(text, file);
  }
  return new LearningRateControl(settings, { file: file ?? null, data });
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
    const lr = this.#decide(epoch).lr;
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
    await writeTextFileAtomic(this.file, this.toText());
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
    let d: _Decision;
    try {
      d = this.#decide(epoch);
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
    const { lr, prevLr, compared, ...details } = d;
    const out: LearningRateDecision = {
      ...details,
      epoch,
      learningRate: stored ?? lr,
      computedLearningRate: lr,
      previousLearningRate: prevLr,
      comparedEpochs: compared,
      text: `epoch ${epoch}: ${this.#describe(d)}`,
    };
    if (stored !== undefined && !_same(stored, lr)) {
      const seed = s.learningRates.get(epoch);
      out.kind = seed !== undefined && _same(seed, stored) ? "seed" : "stored";
      out.reason = out.kind;
      out.text = `epoch ${epoch}: learning rate ${stored} ` +
        (out.kind === "seed" ? "from learning_rates" : "stored in the history (file or trainer)") +
        ` (the ${s.typeName} rule alone would give ${lr})`;
    }
    return out;
  }

  #describe(d: _Decision): string {
    const s = this.settings;
    const lr = d.lr;
    const [a, b] = d.compared.length >= 2
      ? [d.compared[0], d.compared[d.compared.length - 1]]
      : [0, 0];
    switch (d.reason) {
      case "no_history":
        return `learning_rate ${lr} (no earlier epoch)`;
      case "constant":
        return `constant learning rate ${lr}`;
      case "min_epochs":
        return `keep ${lr}: learning_rate_control_min_num_epochs_per_new_lr=${s.minNumEpochsPerNewLr} ` +
          "and the recent epochs had different (or too few) learning rates";
      case "one_epoch":
        return `keep ${lr}: only one earlier epoch to compare`;
      case "no_scores":
        return `keep ${lr}: epochs ${d.compared.join(", ")} do not all have scores`;
      case "key_changed":
        return `keep ${lr}: the error key differs between epochs ${d.compared.join(" and ")}`;
      case "interval":
        return `keep ${lr}: no decision this epoch (newbob_multi_update_interval=${s.multiUpdateInterval})`;
      case "no_metric":
        return `keep ${lr}: no metric recorded yet`;
    }
    const verb = d.kind === "decay"
      ? `decay ${d.prevLr} -> ${lr}`
      : d.kind === "grow"
      ? `grow ${d.prevLr} -> ${lr}`
      : `keep ${lr}`;
    const clip = d.clippedToMin ? ` (clipped to min_learning_rate ${s.minLearningRate})` : "";
    if (d.relativeError !== undefined) {
      const cmp = d.kind === "decay" ? ">" : "<=";
      return `${verb}${clip}: relative error of '${d.key}' from epoch ${a} to ${b} is ${d.relativeError} ` +
        `${cmp} newbob_relative_error_threshold ${s.relativeErrorThreshold}`;
    }
    if (d.errorDiff !== undefined) {
      const cmp = d.kind === "decay" ? ">" : "<=";
      return `${verb}${clip}: '${d.key}' changed by ${d.errorDiff} from epoch ${a} to ${b}, ${cmp} ` +
        `newbob_error_threshold ${s.errorThreshold}`;
    }
    if (d.meanRelativeError !== undefined) {
      return `${verb}${clip}: mean relative error of '${d.key}' over epochs ${a}..${b} is ` +
        `${d.meanRelativeError} (decay if > ${s.relativeErrorThreshold}, grow if < ` +
        `${s.relativeErrorGrowThreshold})`;
    }
    const p = s.reduceOnPlateau;
    return `${verb}: ReduceLROnPlateau (mode ${p.mode}, patience ${p.patience}) after metric ${d.metric}`;
  }

  // ------------------------------------------------------------------------------ the rules

  #setDefault(epoch: number, lr: number): void {
    const rec = this.#data.get(epoch);
    if (!rec) this.#data.set(epoch, { learningRate: lr, error: new Map(), meta: {} });
    else if (rec.learningRate === 0) rec.learningRate = lr; // Python: `if not lr` (0.0 only)
  }

  #epochsBefore(epoch: number): number[] {
    return [...this.#data.keys()].filter((e) => e < epoch).sort((a, b) => a - b);
  }

  #keyValue(epoch: number): [string | null, StoredScore] {
    const rec = this.#data.get(epoch);
    if (!rec || rec.error.size === 0) return [null, null];
    const key = this.errorKey(epoch)!;
    return [key, rec.error.get(key) ?? null];
  }

  /** RETURNN's `calc_relative_error(old, new)`; `null` when it cannot be computed. */
  #relativeError(
    epoch: number,
    oldEpoch: number,
    newEpoch: number,
  ): { r: number | null; key: string | null } {
    const s = this.settings;
    const [ko, vo] = this.#keyValue(oldEpoch);
    const [kn, vn] = this.#keyValue(newEpoch);
    if (vo === null || vn === null) return { r: null, key: kn ?? ko };
    if (ko !== kn) return { r: null, key: kn };
    const o = _num(vo)!;
    const n = _num(vn)!;
    const numpy = vo instanceof PyFloat && vo.numpy || vn instanceof PyFloat && vn.numpy;
    const divisor = Math.abs(s.relativeErrorDivByOld ? o : n);
    if (divisor === 0 && !numpy) {
      const which = s.relativeErrorDivByOld ? `older epoch ${oldEpoch}` : `newer epoch ${newEpoch}`;
      throw new LearningRateControlError(
        `Cannot compute the learning rate of epoch ${epoch}: the relative error of '${kn}' ` +
          `between epochs ${oldEpoch} (${o}) and ${newEpoch} (${n}) divides by the score of the ` +
          `${which}, which is 0 (RETURNN raises ZeroDivisionError here). Fix: choose a score ` +
          "that is never exactly 0 with learning_rate_control_error_measure (e.g. a loss " +
          "instead of an error rate)" +
          (s.relativeErrorDivByOld ? "" : ", set newbob_relative_error_div_by_old") +
          ', or use learning_rate_control "newbob_abs"',
        { epoch, key: kn },
      );
    }
    let r = (n - o) / divisor;
    if (s.relativeErrorRelativeLr) {
      const lr = this.#mostRecentLearningRate(newEpoch, true);
      if (lr > 0) {
        if (s.defaultLearningRate === 0) {
          throw new LearningRateControlError(
            `Cannot compute the learning rate of epoch ${epoch}: ` +
              "learning_rate_control_relative_error_relative_lr divides by learning_rate, which " +
              "is 0 (RETURNN raises ZeroDivisionError here). Fix: set learning_rate > 0 or " +
              "learning_rate_control_relative_error_relative_lr=false",
            { epoch, key: kn },
          );
        }
        r /= lr / s.defaultLearningRate;
      }
    }
    return { r, key: kn };
  }

  /** RETURNN's `get_most_recent_learning_rate`. */
  #mostRecentLearningRate(epoch: number, includeCurrent: boolean): number {
    let best: number | undefined;
    for (const e of this.#data.keys()) {
      if (e < epoch || (includeCurrent && e === epoch)) {
        if (best === undefined || e > best) best = e;
      }
    }
    return best === undefined
      ? this.settings.defaultLearningRate
      : this.#data.get(best)!.learningRate;
  }

  #update(epoch: number, lr: number, update: LearningRateUpdate, name: string): number {
    if (update === null) return lr;
    if (typeof update === "number") return lr * update;
    const out = update(lr);
    if (typeof out !== "number") {
      throw new LearningRateControlError(
        `Cannot compute the learning rate of epoch ${epoch}: the ${name} function returned ` +
          `${String(out)} (${typeof out}) for the rate ${lr}. Fix: make it return a number`,
        { epoch, key: null },
      );
    }
    return out;
  }

  /** RETURNN's `calc_learning_rate_decay_or_grow`. */
  #apply(epoch: number, d: _Decision, decay: boolean, grow: boolean): _Decision {
    let lr = d.lr;
    if (decay) {
      lr = this.#update(epoch, lr, this.settings.decay, "decay");
      if (lr < this.settings.minLearningRate) {
        lr = this.settings.minLearningRate;
        d.clippedToMin = true;
      }
    }
    if (grow) lr = this.#update(epoch, lr, this.settings.growth, "growth");
    return { ...d, lr, kind: decay ? "decay" : grow ? "grow" : "keep", reason: "threshold" };
  }

  #decide(epoch: number): _Decision {
    const s = this.settings;
    const prev = this.#epochsBefore(epoch);
    const lrOf = (e: number) => this.#data.get(e)!.learningRate;
    const last = prev.length > 0 ? prev[prev.length - 1] : undefined;
    const base: _Decision = {
      kind: "keep",
      lr: last === undefined ? s.defaultLearningRate : lrOf(last),
      prevLr: last === undefined ? null : lrOf(last),
      key: null,
      compared: [],
      reason: "",
    };
    const M = s.minNumEpochsPerNewLr;
    if (M > 1 && s.kind !== "reduce_on_plateau") {
      const lastLrs = prev.slice(-M).map(lrOf);
      if (new Set(lastLrs).size >= 2 || (lastLrs.length > 0 && lastLrs.length < M)) {
        return { ...base, kind: "hold", lr: lastLrs[lastLrs.length - 1], reason: "min_epochs" };
      }
    }
    if (last === undefined) return { ...base, kind: "initial", reason: "no_history" };
    switch (s.kind) {
      case "constant":
        return { ...base, reason: "constant" };
      case "newbob_rel":
      case "newbob_abs": {
        if (prev.length < 2) return { ...base, reason: "one_epoch" };
        const last2 = prev[prev.length - 2];
        const compared = [last2, last];
        if (s.kind === "newbob_rel") {
          const { r, key } = this.#relativeError(epoch, last2, last);
          const d = { ...base, key, compared, relativeError: r };
          if (r === null) return { ...d, reason: this.#missingReason(last2, last) };
          const decay = r > s.relativeErrorThreshold;
          return this.#apply(epoch, d, decay, !decay);
        }
        const [ko, vo] = this.#keyValue(last2);
        const [kn, vn] = this.#keyValue(last);
        const d = { ...base, key: kn ?? ko, compared, errorDiff: null as number | null };
        if (vo === null || vn === null) return { ...d, reason: "no_scores" };
        if (ko !== kn) return { ...d, reason: "key_changed" };
        const diff = _num(vn)! - _num(vo)!;
        const decay = diff > s.errorThreshold;
        return this.#apply(epoch, { ...d, errorDiff: diff }, decay, !decay);
      }
      case "newbob_multi_epoch": {
        const U = s.multiUpdateInterval;
        if (U > 1 && epoch % U !== 1) return { ...base, reason: "interval" };
        const win = prev.slice(-(s.multiNumEpochs + 1));
        if (win.length <= 1) return { ...base, reason: "one_epoch" };
        const rel: (number | null)[] = [];
        let key: string | null = null;
        for (let i = 0; i + 1 < win.length; i++) {
          const r = this.#relativeError(epoch, win[i], win[i + 1]);
          rel.push(r.r);
          key = r.key;
        }
        const d = { ...base, key, compared: win, relativeErrors: rel };
        if (rel.includes(null)) {
          const i = rel.indexOf(null);
          return { ...d, meanRelativeError: null, reason: this.#missingReason(win[i], win[i + 1]) };
        }
        const m = numpyMean(rel as number[]);
        const decay = m > s.relativeErrorThreshold;
        const grow = m < s.relativeErrorGrowThreshold;
        if (decay && grow) {
          throw new LearningRateControlError(
            `Cannot compute the learning rate of epoch ${epoch}: the mean relative error ${m} of ` +
              `'${key}' over epochs ${win[0]}..${last} is above newbob_relative_error_threshold ` +
              `(${s.relativeErrorThreshold}) and below newbob_relative_error_grow_threshold ` +
              `(${s.relativeErrorGrowThreshold}), so decay and growth would both apply (RETURNN ` +
              "raises AssertionError here). Fix: set newbob_relative_error_grow_threshold <= " +
              "newbob_relative_error_threshold",
            { epoch, key },
          );
        }
        return this.#apply(epoch, { ...d, meanRelativeError: m }, decay, grow);
      }
      case "reduce_on_plateau": {
        const sched = new ReduceLROnPlateau(s.defaultLearningRate, s.reduceOnPlateau);
        let reduced = false;
        let metric: number | null = null;
        let key: string | null = null;
        for (const e of prev) {
          sched.setLr(lrOf(e));
          const [k, v] = this.#keyValue(e);
          reduced = false;
          if (v === null) continue;
          key = k;
          metric = _num(v);
          reduced = sched.stepReduced(metric!);
        }
        const d = { ...base, lr: sched.lr, key, metric, compared: prev.slice(-1) };
        if (metric === null) return { ...d, reason: "no_metric" };
        return { ...d, kind: reduced ? "decay" : "keep", reason: reduced ? "plateau" : "patience" };
      }
    }
  }

  #missingReason(a: number, b: number): string {
    const [ka, va] = this.#keyValue(a);
    const [kb, vb] = this.#keyValue(b);
    return va === null || vb === null || ka === kb ? "no_scores" : "key_changed";
  }
}

function _isSettings(c: Record<string, unknown> | ControlSettings): c is ControlSettings {
  return typeof (c as ControlSettings).kind === "string" &&
    (c as ControlSettings).learningRates instanceof Map;
}
