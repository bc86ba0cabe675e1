/**
 * RETURNN's `cleanup_old_models` rule (`EngineBase.cleanup_old_models`): which saved epoch
 * models to delete after an epoch, from the epochs stored and the scores of the learning-rate
 * file.
 *
 * @module
 */

import type { CleanupOldModels } from "./config.ts";

/**
 * The epochs whose models RETURNN deletes. With `keepLastN` L (default 2) and `keepBestN` B
 * (default 4): nothing while at most `max(L, B)` epochs are stored; else it keeps `keep` (by
 * default every `k`-th epoch and the doubles of `d`, with `(k, d)` = (4, 5) up to epoch 10,
 * (20, 5) up to 50, (40, 10) up to 100, else (80 * next_power_of_two(1 + last // 240), 20)),
 * the last L stored epochs, and for every score key whose values differ among the stored
 * epochs the B stored epochs with the lowest value (an epoch without the key counts as the
 * worst value). The rest is deleted.
 *
 * @param stored The epochs with a saved model.
 * @param scores Every epoch's scores (all epochs of the learning-rate file).
 * @param options The `cleanup_old_models` options.
 * @returns The epochs to delete, ascending.
 *
 * @example Ten stored epochs, dev score falling then rising
 * ```ts
 * import assert from "node:assert/strict";
 * import { epochsToDelete } from "./cleanup_models.ts";
 *
 * const dev = [5, 4, 3, 2, 1, 1.5, 2.5, 3.5, 4.5, 5.5];
 * const scores = new Map(dev.map((d, i) => [i + 1, { dev_score: d }]));
 * const stored = [...scores.keys()];
 * // keeps 4, 8 (every 4th), 5, 10 (doubles of 5), 9, 10 (the last 2), 5, 6, 4, 7 (the best 4)
 * assert.deepEqual(epochsToDelete(stored, scores, { keepLastN: 2, keepBestN: 4 }), [1, 2, 3]);
 * ```
 */
export function epochsToDelete(
  stored: readonly number[],
  scores: ReadonlyMap<number, Readonly<Record<string, number>>>,
  options: CleanupOldModels,
): number[] {
  const epochs = [...stored].sort((a, b) => a - b);
  const L = options.keepLastN, B = options.keepBestN;
  if (epochs.length === 0 || Math.max(L, B) >= epochs.length) return [];
  const last = epochs[epochs.length - 1];
  const keep = new Set<number>(options.keep ?? _defaultKeep(last));
  for (const e of epochs.slice(-L)) keep.add(e);
  const keys = new Set<string>();
  for (const s of scores.values()) for (const k of Object.keys(s)) keys.add(k);
  for (const key of [...keys].sort()) {
    const values = epochs.flatMap((e) => {
      const v = scores.get(e)?.[key];
      return v === undefined ? [] : [v];
    });
    if (values.length === 0 || Math.min(...values) === Math.max(...values)) continue;
    const worst = Math.max(...values);
    const ranked = epochs
      .map((e) => [scores.get(e)?.[key] ?? worst, e] as const)
      .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    for (const [, e] of ranked.slice(0, B)) keep.add(e);
  }
  return epochs.filter((e) => !keep.has(e));
}

/** RETURNN's default `keep` pattern for a run whose last stored epoch is `last`. */
function _defaultKeep(last: number): number[] {
  const [every, doubles] = last <= 10
    ? [4, 5]
    : last <= 50
    ? [20, 5]
    : last <= 100
    ? [40, 10]
    : [80 * _nextPowerOfTwo(1 + Math.floor(last / 240)), 20];
  const out: number[] = [];
  for (let n = every; n <= last; n += every) out.push(n);
  for (let n = doubles; n <= last; n *= 2) out.push(n);
  return out;
}

/** RETURNN's `next_power_of_two(n)`: the smallest power of two >= n. */
function _nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
