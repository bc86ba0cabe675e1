/**
 * RETURNN's score recording and error-key rules: flattening nested score dicts (spec 6) and
 * choosing the score a decision looks at (spec 7).
 *
 * @module
 */

import { _compareCodePoints, _isPlainObject } from "./_repr.ts";

/** Scores as passed to `setEpochError`: flat numbers or one level of nested dicts. */
export type EpochScores = Readonly<Record<string, number | Readonly<Record<string, number>>>>;

/**
 * Flatten scores the way RETURNN's `set_epoch_error` does: a nested dict with one item is stored
 * under the outer key (`{dev_score: {"cost:output": x}}` -> `dev_score`); with several items each
 * inner key loses everything up to its first `:` and is stored as `outer_rest`
 * (`dev_score_output`, `dev_score_ctc`); an empty dict disappears. Flattened names overwrite
 * flat ones.
 *
 * @param scores The scores.
 * @returns The flat scores in insertion order.
 * @throws {TypeError} If scores is not an object, a value is not a number (or a dict of numbers),
 * or a name starts with `:meta:` (reserved for meta data in the file).
 *
 * @example Several outputs are stored as `<outer>_<rest>`
 * ```ts
 * import { flattenScores } from "./error_key.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const flat = flattenScores({ dev_score: { "cost:output": 1.2, "cost:ctc": 3 }, dev_error: 0.3 });
 * deepEqual([...flat], [["dev_error", 0.3], ["dev_score_output", 1.2], ["dev_score_ctc", 3]]);
 * ```
 */
export function flattenScores(scores: EpochScores): Map<string, number> {
  if (!_isPlainObject(scores)) {
    throw new TypeError(
      "Cannot record scores as they must be an object like { dev_score: 1.2 }: current value is " +
        (Array.isArray(scores) ? "an array" : scores === null ? "null" : typeof scores),
    );
  }
  const bad = (key: string, v: unknown): never => {
    throw new TypeError(
      `Cannot record scores as '${key}' must be a number (or a dict of numbers): current value ` +
        `is ${typeof v === "object" ? JSON.stringify(v) : String(v)} (${
          v === null ? "null" : typeof v
        })`,
    );
  };
  const flat = new Map<string, unknown>(Object.entries(scores));
  for (const [key, value] of Object.entries(scores)) {
    if (!_isPlainObject(value)) continue;
    flat.delete(key);
    const inner = Object.entries(value);
    if (inner.length === 1) {
      flat.set(key, inner[0][1]);
      continue;
    }
    for (const [k, v] of inner) {
      const colon = k.indexOf(":");
      flat.set(`${key}_${colon >= 0 ? k.slice(colon + 1) : k}`, v);
    }
  }
  for (const [key, v] of flat) {
    if (typeof v !== "number") bad(key, v);
    if (key.startsWith(":meta:")) {
      throw new TypeError(
        `Cannot record the score '${key}' as names starting with ':meta:' are reserved for meta ` +
          "data: use epochMeta(epoch) for meta data, or rename the score",
      );
    }
  }
  return flat as Map<string, number>;
}

/**
 * The error key RETURNN's `get_error_key` resolves for an epoch's scores: `old_format_score` if
 * it is the only key; then the configured measure(s) `m` and `m_output` in order, `dev_score`,
 * `dev_score_output`; then (in code-point order) `dev_score_output/output[_*]`,
 * `dev_score_output/*`, `dev_*`; then `train_score`, `train_score_output`; else the smallest key.
 *
 * @param keys The epoch's score names.
 * @param measure `learning_rate_control_error_measure`.
 * @returns The key, or `null` when there are no scores.
 *
 * @example `dev_score_output` wins over the alphabetically first `dev_*` key (spec 7)
 * ```ts
 * import { resolveErrorKey } from "./error_key.ts";
 * import { equal } from "node:assert/strict";
 *
 * const keys = ["dev_error", "dev_score_ctc", "dev_score_output"];
 * equal(resolveErrorKey(keys, null), "dev_score_output");
 * equal(resolveErrorKey(keys, "dev_error"), "dev_error");
 * ```
 */
export function resolveErrorKey(
  keys: Iterable<string>,
  measure: string | readonly string[] | null,
): string | null {
  const present = new Set(keys);
  if (present.size === 0) return null;
  if (present.size === 1 && present.has("old_format_score")) return "old_format_score";
  const measures = measure === null ? [] : typeof measure === "string" ? [measure] : measure;
  for (const m of measures) {
    if (present.has(m)) return m;
    if (present.has(m + "_output")) return m + "_output";
  }
  if (present.has("dev_score")) return "dev_score";
  if (present.has("dev_score_output")) return "dev_score_output";
  const sorted = [...present].sort(_compareCodePoints);
  const first = (test: (k: string) => boolean) => sorted.find(test);
  return first((k) =>
    k === "dev_score_output/output" || k.startsWith("dev_score_output/output_")
  ) ??
    first((k) => k.startsWith("dev_score_output/")) ??
    first((k) => k.startsWith("dev_")) ??
    (present.has("train_score") ? "train_score" : undefined) ??
    (present.has("train_score_output") ? "train_score_output" : undefined) ??
    sorted[0];
}

/**
 * Whether a score key is an error rate rather than a loss, by RETURNN's names: the TF
 * engine's `*_error` (`dev_error`, `dev_error_output`) and the PyTorch engine's usual error
 * names (`dev_loss_fer`, `*_ler`, `*_wer`, `*_cer`, `*_per`, `*_error`). Summaries print them as
 * percentages and plots draw them in their own panel.
 *
 * @param key A score key.
 * @returns Whether it names an error rate.
 *
 * @example
 * ```ts
 * import { isErrorKey } from "./error_key.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(isErrorKey("dev_error_output"), true);
 * equal(isErrorKey("dev_loss_fer"), true);
 * equal(isErrorKey("dev_loss_ce"), false);
 * ```
 */
export function isErrorKey(key: string): boolean {
  return /(^|_)error(_|$)|_loss_(fer|ler|wer|cer|per)(_|$)/.test(key);
}
