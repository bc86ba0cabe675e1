/**
 * Read-only views of the epoch history, for plots and summaries.
 *
 * @module
 */

import { _setOwn } from "./_repr.ts";
import type { EpochRecord, StoredScore } from "./lr_file.ts";

/** A read-only view of one epoch's data (for plotting and summaries). */
export interface EpochView {
  /** The epoch. */
  readonly epoch: number;
  /** Its learning rate. */
  readonly learningRate: number;
  /** Its scores (`null` only for a `None` read from a file). */
  readonly error: Readonly<Record<string, number | null>>;
  /** Its meta data (a shallow copy). */
  readonly meta: Readonly<Record<string, unknown>>;
}

/**
 * The numeric value of a stored score.
 *
 * @param v The score.
 * @returns Its value as a number, or `null` for `None`.
 *
 * @example Python ints are bigints
 * ```ts
 * import { scoreValue } from "./epoch_view.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(scoreValue(3n), 3);
 * equal(scoreValue(null), null);
 * ```
 */
export function scoreValue(v: StoredScore): number | null {
  if (v === null) return null;
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  return v.value;
}

/**
 * Read-only views of epoch records, sorted by epoch.
 *
 * @param data Epoch records by epoch.
 * @returns One frozen view per epoch.
 *
 * @example Usage
 * ```ts
 * import { epochViews } from "./epoch_view.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const rec = { learningRate: 0.1, error: new Map([["dev_score", 2n]]), meta: {} };
 * const [view] = epochViews(new Map([[1, rec]]));
 * deepEqual(view.error, { dev_score: 2 });
 * ```
 */
export function epochViews(data: ReadonlyMap<number, EpochRecord>): EpochView[] {
  return [...data.keys()].sort((a, b) => a - b).map((epoch) => {
    const rec = data.get(epoch)!;
    const error: Record<string, number | null> = {};
    for (const [k, v] of rec.error) _setOwn(error, k, scoreValue(v));
    return Object.freeze({
      epoch,
      learningRate: rec.learningRate,
      error: Object.freeze(error),
      meta: Object.freeze({ ...rec.meta }),
    });
  });
}
