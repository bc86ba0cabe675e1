/**
 * What decided an epoch's learning rate: the internal {@linkcode Decision} (a discriminated
 * union, one variant per rule, so its sentence is written from the rule that fired and never
 * guessed), the public {@linkcode LearningRateDecision} it becomes, and the sentence.
 *
 * @module
 */

import type { ControlSettings } from "./config.ts";

/** What decided an epoch's learning rate (see `LearningRateControl.explain`). */
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
   * / `grow`: the rule's decay or growth branch fired (with a factor of 1 the rate stays, and the
   * sentence says `keep`); `seed`: from `learning_rates`; `stored`: from the file or set
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

/** What every decision has: the rate it gives and what it compared. */
export interface DecisionBase {
  /** The rate the rule gives. */
  lr: number;
  /** The latest earlier epoch's rate (`null`: no earlier epoch). */
  prevLr: number | null;
  /** The error key compared, if any. */
  key: string | null;
  /** The epochs compared. */
  compared: number[];
}

/** Which branch of a threshold rule fired. */
export type Outcome = "decay" | "grow" | "keep";

/** Why a rule made no decision this epoch. */
export type SkipReason = "one_epoch" | "interval" | "no_metric" | "no_scores" | "key_changed";

/** The measures of a rule that could not compute them (all `null`, as the public API shows). */
export interface MissingMeasures {
  relativeError?: null;
  relativeErrors?: (number | null)[];
  meanRelativeError?: null;
  errorDiff?: null;
  metric?: null;
}

/** A threshold rule that fired its decay or growth branch (or neither). */
interface Fired {
  outcome: Outcome;
  /** The decay went below `min_learning_rate` and was set to it. */
  clippedToMin: boolean;
}

/** The decision of one rule, by the rule that made it. */
export type Decision =
  & DecisionBase
  & (
    | { rule: "initial" }
    | { rule: "hold" }
    | { rule: "constant" }
    | { rule: "skip"; reason: SkipReason; measures: MissingMeasures }
    | ({ rule: "newbob_rel"; relativeError: number } & Fired)
    | ({ rule: "newbob_abs"; errorDiff: number } & Fired)
    | ({ rule: "newbob_multi_epoch"; relativeErrors: number[]; meanRelativeError: number } & Fired)
    | { rule: "reduce_on_plateau"; outcome: "decay" | "keep"; metric: number }
  );

/** The public fields of a decision (everything but `epoch`, the stored rate and the text). */
export type PublicFields = Pick<
  LearningRateDecision,
  | "kind"
  | "reason"
  | "relativeError"
  | "relativeErrors"
  | "meanRelativeError"
  | "errorDiff"
  | "metric"
  | "clippedToMin"
>;

/**
 * The public kind, reason and measures of a decision.
 *
 * @param d The decision.
 * @returns Its fields of {@linkcode LearningRateDecision}.
 */
export function publicFields(d: Decision): PublicFields {
  const clipped = "clippedToMin" in d && d.clippedToMin ? { clippedToMin: true } : {};
  switch (d.rule) {
    case "initial":
      return { kind: "initial", reason: "no_history" };
    case "hold":
      return { kind: "hold", reason: "min_epochs" };
    case "constant":
      return { kind: "keep", reason: "constant" };
    case "skip":
      return { kind: "keep", reason: d.reason, ...d.measures };
    case "newbob_rel":
      return { kind: d.outcome, reason: "threshold", relativeError: d.relativeError, ...clipped };
    case "newbob_abs":
      return { kind: d.outcome, reason: "threshold", errorDiff: d.errorDiff, ...clipped };
    case "newbob_multi_epoch":
      return {
        kind: d.outcome,
        reason: "threshold",
        relativeErrors: d.relativeErrors,
        meanRelativeError: d.meanRelativeError,
        ...clipped,
      };
    case "reduce_on_plateau":
      return {
        kind: d.outcome,
        reason: d.outcome === "decay" ? "plateau" : "patience",
        metric: d.metric,
      };
  }
}

/**
 * Whether two learning rates are the same (NaN is the same as NaN).
 *
 * @param a A rate.
 * @param b Another.
 * @returns `true` when they are equal or both NaN.
 *
 * @example Usage
 * ```ts
 * import { sameRate } from "./decision.ts";
 * import { equal } from "node:assert/strict";
 * equal(sameRate(NaN, NaN), true);
 * equal(sameRate(0.1, 0.2), false);
 * ```
 */
export function sameRate(a: number | null, b: number | null): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

/** Why a rule made no decision. */
function _skipText(d: Decision & { rule: "skip" }, s: ControlSettings): string {
  switch (d.reason) {
    case "one_epoch":
      return "only one earlier epoch to compare";
    case "no_scores":
      return `epochs ${d.compared.join(", ")} do not all have scores`;
    case "key_changed":
      return `the error key differs between epochs ${d.compared.join(" and ")}`;
    case "interval":
      return `no decision this epoch (newbob_multi_update_interval=${s.multiUpdateInterval})`;
    case "no_metric":
      return "no metric recorded yet";
  }
}

/** What a threshold rule compared, and against what. */
function _comparison(d: Decision & Fired, s: ControlSettings): string {
  const [a, b] = [d.compared[0], d.compared[d.compared.length - 1]];
  const cmp = d.outcome === "decay" ? ">" : "<=";
  switch (d.rule) {
    case "newbob_rel":
      return `relative error of '${d.key}' from epoch ${a} to ${b} is ${d.relativeError} ${cmp} ` +
        `newbob_relative_error_threshold ${s.relativeErrorThreshold}`;
    case "newbob_abs":
      return `'${d.key}' changed by ${d.errorDiff} from epoch ${a} to ${b}, ${cmp} ` +
        `newbob_error_threshold ${s.errorThreshold}`;
    case "newbob_multi_epoch":
      return `mean relative error of '${d.key}' over epochs ${a}..${b} is ` +
        `${d.meanRelativeError} (decay if > ${s.relativeErrorThreshold}, grow if < ` +
        `${s.relativeErrorGrowThreshold})`;
  }
  return "";
}

/**
 * A fired branch: `decay a -> b` / `grow a -> b` when the rate changed, else `keep b` with the
 * branch that fired and why it left the rate (a growth factor of 1, a decay clipped back to the
 * same minimum).
 */
function _firedText(verbose: string, d: Decision & Fired, s: ControlSettings): string {
  const clip = d.clippedToMin ? ` (clipped to min_learning_rate ${s.minLearningRate})` : "";
  if (d.outcome === "keep") return `keep ${d.lr}: ${verbose}`;
  if (!sameRate(d.lr, d.prevLr)) return `${d.outcome} ${d.prevLr} -> ${d.lr}${clip}: ${verbose}`;
  if (d.outcome === "grow") return `keep ${d.lr} (improved enough: ${verbose})`;
  return `keep ${d.lr} (${
    d.clippedToMin ? `clipped to min_learning_rate ${s.minLearningRate}` : "the decay keeps it"
  }: ${verbose})`;
}

/**
 * The sentence of a decision (after `epoch N: `).
 *
 * @param d The decision.
 * @param s The control's settings (the thresholds named in the sentence).
 * @returns One sentence.
 *
 * @example Growth by a factor of 1 keeps the rate and says so
 * ```ts
 * import { describeDecision } from "./decision.ts";
 * import { resolveControlSettings } from "./config.ts";
 * import { equal } from "node:assert/strict";
 *
 * const s = resolveControlSettings({ learning_rate_control: "newbob" });
 * const d = {
 *   rule: "newbob_rel" as const,
 *   outcome: "grow" as const,
 *   clippedToMin: false,
 *   relativeError: -0.5,
 *   lr: 0.002,
 *   prevLr: 0.002,
 *   key: "dev_score",
 *   compared: [3, 4],
 * };
 * equal(
 *   describeDecision(d, s),
 *   "keep 0.002 (improved enough: relative error of 'dev_score' from epoch 3 to 4 is -0.5 " +
 *     "<= newbob_relative_error_threshold -0.01)",
 * );
 * ```
 */
export function describeDecision(d: Decision, s: ControlSettings): string {
  switch (d.rule) {
    case "initial":
      return `learning_rate ${d.lr} (no earlier epoch)`;
    case "constant":
      return `constant learning rate ${d.lr}`;
    case "hold":
      return `keep ${d.lr}: learning_rate_control_min_num_epochs_per_new_lr=` +
        `${s.minNumEpochsPerNewLr} and the recent epochs had different (or too few) learning rates`;
    case "skip":
      return `keep ${d.lr}: ${_skipText(d, s)}`;
    case "reduce_on_plateau": {
      const p = s.reduceOnPlateau;
      const verb = d.outcome === "decay" ? `decay ${d.prevLr} -> ${d.lr}` : `keep ${d.lr}`;
      return `${verb}: ReduceLROnPlateau (mode ${p.mode}, patience ${p.patience}) after metric ` +
        d.metric;
    }
    default:
      return _firedText(_comparison(d, s), d, s);
  }
}
