/**
 * RETURNN's learning-rate control rules (spec 3-5), one function per rule, over a read-only
 * view of the epoch history: `learning_rate_control_min_num_epochs_per_new_lr` (3.2),
 * `constant`, `newbob_rel`, `newbob_abs`, `newbob_multi_epoch` (3.3), and torch's
 * `ReduceLROnPlateau`. Each returns a {@linkcode Decision} naming the rule that made it.
 *
 * @module
 */

import type { ControlKind, ControlSettings, LearningRateUpdate } from "./config.ts";
import type { Decision, DecisionBase, Outcome } from "./decision.ts";
import { scoreValue } from "./epoch_view.ts";
import { LearningRateControlError } from "./errors.ts";
import type { StoredScore } from "./lr_file.ts";
import { numpyMean } from "./numpy_mean.ts";
import { PyFloat } from "./py_value.ts";
import { ReduceLROnPlateau } from "./reduce_on_plateau.ts";

/** What the rules read of the control's epoch history. */
export interface RuleHistory {
  /** The control's settings. */
  readonly settings: ControlSettings;
  /** The epochs with data before `epoch`, ascending. */
  epochsBefore(epoch: number): number[];
  /** The stored rate of an epoch with data. */
  learningRateOf(epoch: number): number;
  /** The resolved error key of an epoch and its score (`[null, null]` without scores). */
  keyValue(epoch: number): [string | null, StoredScore];
  /** RETURNN's `get_most_recent_learning_rate`. */
  mostRecentLearningRate(epoch: number, includeCurrent: boolean): number;
}

/** A rule of a control type: the decision of `epoch` from the epochs before it. */
type Rule = (
  epoch: number,
  prev: readonly number[],
  h: RuleHistory,
  base: DecisionBase,
) => Decision;

/**
 * The decision for an epoch without data: the min-epochs hold, the first epoch, or the rule of
 * the control type.
 *
 * @param epoch The epoch (>= 1).
 * @param h The history.
 * @returns The decision.
 * @throws {LearningRateControlError} Where RETURNN crashes (see the rules).
 */
export function decide(epoch: number, h: RuleHistory): Decision {
  const prev = h.epochsBefore(epoch);
  const last = prev.at(-1);
  const prevLr = last === undefined ? null : h.learningRateOf(last);
  const base = { lr: prevLr ?? h.settings.defaultLearningRate, prevLr, key: null, compared: [] };
  const held = holdRule(prev, h, base);
  if (held !== undefined) return held;
  if (last === undefined) return { ...base, rule: "initial" };
  return RULES[h.settings.kind](epoch, prev, h, base);
}

/**
 * Spec 3.2: with M > 1, the rate stays while the last M epochs had different rates (or there
 * are fewer than M of them). Not for `reduce_on_plateau`.
 */
function holdRule(prev: readonly number[], h: RuleHistory, base: DecisionBase) {
  const M = h.settings.minNumEpochsPerNewLr;
  if (M <= 1 || h.settings.kind === "reduce_on_plateau") return undefined;
  const lastLrs = prev.slice(-M).map((e) => h.learningRateOf(e));
  if (new Set(lastLrs).size < 2 && !(lastLrs.length > 0 && lastLrs.length < M)) return undefined;
  return { ...base, rule: "hold", lr: lastLrs[lastLrs.length - 1] } satisfies Decision;
}

/** `constant`: the previous rate. */
const constantRule: Rule = (_epoch, _prev, _h, base) => ({ ...base, rule: "constant" });

/** Which of two epochs' scores is missing, or whose key changed. */
function missingReason(a: number, b: number, h: RuleHistory): "no_scores" | "key_changed" {
  const [ka, va] = h.keyValue(a);
  const [kb, vb] = h.keyValue(b);
  return va === null || vb === null || ka === kb ? "no_scores" : "key_changed";
}

/** `newbob_rel`: decay when the relative error of the last two epochs is above T, else grow. */
const relativeRule: Rule = (epoch, prev, h, base) => {
  if (prev.length < 2) return { ...base, rule: "skip", reason: "one_epoch", measures: {} };
  const [older, last] = prev.slice(-2);
  const { r, key } = relativeError(epoch, older, last, h);
  const d = { ...base, key, compared: [older, last] };
  if (r === null) {
    const reason = missingReason(older, last, h);
    return { ...d, rule: "skip", reason, measures: { relativeError: null } };
  }
  const decay = r > h.settings.relativeErrorThreshold;
  return { ...d, rule: "newbob_rel", relativeError: r, ...apply(epoch, d.lr, h, decay, !decay) };
};

/** `newbob_abs`: decay when the score changed by more than A between the last two epochs. */
const absoluteRule: Rule = (epoch, prev, h, base) => {
  if (prev.length < 2) return { ...base, rule: "skip", reason: "one_epoch", measures: {} };
  const [older, last] = prev.slice(-2);
  const [ko, vo] = h.keyValue(older);
  const [kn, vn] = h.keyValue(last);
  const d = { ...base, key: kn ?? ko, compared: [older, last] };
  if (vo === null || vn === null || ko !== kn) {
    const reason = vo === null || vn === null ? "no_scores" : "key_changed";
    return { ...d, rule: "skip", reason, measures: { errorDiff: null } };
  }
  const diff = scoreValue(vn)! - scoreValue(vo)!;
  const decay = diff > h.settings.errorThreshold;
  return { ...d, rule: "newbob_abs", errorDiff: diff, ...apply(epoch, d.lr, h, decay, !decay) };
};

/**
 * `newbob_multi_epoch`: every U-th epoch, the numpy mean of the relative errors over the last N+1
 * epochs decides: decay above T, grow below G (both at once is RETURNN's AssertionError).
 */
const multiEpochRule: Rule = (epoch, prev, h, base) => {
  const s = h.settings;
  if (s.multiUpdateInterval > 1 && epoch % s.multiUpdateInterval !== 1) {
    return { ...base, rule: "skip", reason: "interval", measures: {} };
  }
  const win = prev.slice(-(s.multiNumEpochs + 1));
  if (win.length <= 1) return { ...base, rule: "skip", reason: "one_epoch", measures: {} };
  const rel = win.slice(1).map((e, i) => relativeError(epoch, win[i], e, h));
  const relativeErrors = rel.map((x) => x.r);
  const d = { ...base, key: rel[rel.length - 1].key, compared: win };
  const missing = relativeErrors.indexOf(null);
  if (missing >= 0) {
    const reason = missingReason(win[missing], win[missing + 1], h);
    return { ...d, rule: "skip", reason, measures: { relativeErrors, meanRelativeError: null } };
  }
  const m = numpyMean(relativeErrors as number[]);
  const decay = m > s.relativeErrorThreshold;
  const grow = m < s.relativeErrorGrowThreshold;
  if (decay && grow) {
    throw new LearningRateControlError(
      `Cannot compute the learning rate of epoch ${epoch}: the mean relative error ${m} of ` +
        `'${d.key}' over epochs ${win[0]}..${win[win.length - 1]} is above ` +
        `newbob_relative_error_threshold (${s.relativeErrorThreshold}) and below ` +
        `newbob_relative_error_grow_threshold (${s.relativeErrorGrowThreshold}), so decay and ` +
        "growth would both apply (RETURNN raises AssertionError here). Fix: set " +
        "newbob_relative_error_grow_threshold <= newbob_relative_error_threshold",
      { epoch, key: d.key },
    );
  }
  return {
    ...d,
    rule: "newbob_multi_epoch",
    relativeErrors: relativeErrors as number[],
    meanRelativeError: m,
    ...apply(epoch, d.lr, h, decay, grow),
  };
};

/** torch's `ReduceLROnPlateau`, replayed over every earlier epoch's metric. */
const plateauRule: Rule = (_epoch, prev, h, base) => {
  const sched = new ReduceLROnPlateau(h.settings.defaultLearningRate, h.settings.reduceOnPlateau);
  let reduced = false;
  let metric: number | null = null;
  let key: string | null = null;
  for (const e of prev) {
    sched.setLr(h.learningRateOf(e));
    const [k, v] = h.keyValue(e);
    reduced = false;
    if (v === null) continue;
    key = k;
    metric = scoreValue(v)!;
    reduced = sched.stepReduced(metric);
  }
  const d = { ...base, lr: sched.lr, key, compared: prev.slice(-1) };
  if (metric === null) return { ...d, rule: "skip", reason: "no_metric", measures: { metric } };
  return { ...d, rule: "reduce_on_plateau", outcome: reduced ? "decay" : "keep", metric };
};

/** The rule of each control type. */
const RULES: Readonly<Record<ControlKind, Rule>> = {
  constant: constantRule,
  newbob_rel: relativeRule,
  newbob_abs: absoluteRule,
  newbob_multi_epoch: multiEpochRule,
  reduce_on_plateau: plateauRule,
};

/** RETURNN's `calc_learning_rate_decay_or_grow`: the new rate and which branch fired. */
function apply(
  epoch: number,
  lr: number,
  h: RuleHistory,
  decay: boolean,
  grow: boolean,
): { lr: number; outcome: Outcome; clippedToMin: boolean } {
  const s = h.settings;
  let clippedToMin = false;
  if (decay) {
    lr = update(epoch, lr, s.decay, "decay");
    if (lr < s.minLearningRate) {
      lr = s.minLearningRate;
      clippedToMin = true;
    }
  }
  if (grow) lr = update(epoch, lr, s.growth, "growth");
  return { lr, outcome: decay ? "decay" : grow ? "grow" : "keep", clippedToMin };
}

/** One decay or growth update (`None`: unchanged; a factor; a function of the rate). */
function update(epoch: number, lr: number, u: LearningRateUpdate, name: string): number {
  if (u === null) return lr;
  if (typeof u === "number") return lr * u;
  const out = u(lr);
  if (typeof out !== "number") {
    throw new LearningRateControlError(
      `Cannot compute the learning rate of epoch ${epoch}: the ${name} function returned ` +
        `${String(out)} (${typeof out}) for the rate ${lr}. Fix: make it return a number`,
      { epoch, key: null },
    );
  }
  return out;
}

/**
 * RETURNN's `calc_relative_error(old, new)` for the decision of `epoch`; `null` when a score is
 * missing or the key changed.
 */
function relativeError(
  epoch: number,
  oldEpoch: number,
  newEpoch: number,
  h: RuleHistory,
): { r: number | null; key: string | null } {
  const s = h.settings;
  const [ko, vo] = h.keyValue(oldEpoch);
  const [kn, vn] = h.keyValue(newEpoch);
  if (vo === null || vn === null) return { r: null, key: kn ?? ko };
  if (ko !== kn) return { r: null, key: kn };
  const o = scoreValue(vo)!;
  const n = scoreValue(vn)!;
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
  const r = (n - o) / divisor;
  if (!s.relativeErrorRelativeLr) return { r, key: kn };
  const lr = h.mostRecentLearningRate(newEpoch, true);
  if (!(lr > 0)) return { r, key: kn };
  if (s.defaultLearningRate === 0) {
    throw new LearningRateControlError(
      `Cannot compute the learning rate of epoch ${epoch}: ` +
        "learning_rate_control_relative_error_relative_lr divides by learning_rate, which is 0 " +
        "(RETURNN raises ZeroDivisionError here). Fix: set learning_rate > 0 or " +
        "learning_rate_control_relative_error_relative_lr=false",
      { epoch, key: kn },
    );
  }
  return { r: r / (lr / s.defaultLearningRate), key: kn };
}
