/**
 * "Did you mean ...?" suggestions for misspelt names (config keys, optimizer classes,
 * hyperparameters), based on the Levenshtein edit distance.
 *
 * @module
 */

/**
 * Edit distance between two strings: the least number of single-character insertions,
 * deletions, substitutions and transpositions of adjacent characters turning `a` into `b`
 * (optimal string alignment distance; plain Levenshtein plus swaps, since swapped letters are
 * the most common typo).
 *
 * @param a First string.
 * @param b Second string.
 * @returns The edit distance (0 when the strings are equal).
 *
 * @example Usage
 * ```ts
 * import { didYouMean, didYouMeanSuffix, levenshtein } from "./did_you_mean.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(levenshtein("kitten", "sitting"), 3);
 * equal(didYouMean("sittin", ["sitting"]), "sitting");
 * equal(didYouMeanSuffix("sittin", ["sitting"]), " Did you mean 'sitting'?");
 * ```
 */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  // Three rolling rows: i-2 (for transpositions), i-1 and i.
  let prev2 = new Array<number>(b.length + 1).fill(0);
  let prev = new Array<number>(b.length + 1);
  let cur = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j++) {
      const cb = b.charCodeAt(j - 1);
      const cost = ca === cb ? 0 : 1;
      let d = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && ca === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === cb) {
        d = Math.min(d, prev2[j - 2] + 1);
      }
      cur[j] = d;
    }
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[b.length];
}

/**
 * The candidate closest to `name` (case-insensitive), or `undefined` when none is close enough.
 * "Close enough" means an edit distance of at most a third of the longer name (at least 1), or
 * that one name starts with the other (`"cos"` for `"cosine"`; distance: the length difference)
 * or contains it (`"adam"` for `"adamoptimizer2"`; both at least 4 characters). Names longer
 * than 200 characters get no suggestion (hostile input stays linear).
 *
 * @param name The unknown name the user wrote.
 * @param candidates The valid names.
 * @returns The best suggestion, or `undefined`.
 *
 * @example Usage
 * ```ts
 * import { didYouMean, didYouMeanSuffix, levenshtein } from "./did_you_mean.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(didYouMean("learning_rte", ["learning_rate", "momentum"]), "learning_rate");
 * equal(didYouMean("zzz", ["learning_rate", "momentum"]), undefined);
 * equal(didYouMeanSuffix("zzz", ["momentum"]), "");
 * equal(levenshtein("zzz", "zz"), 1);
 * ```
 */
export function didYouMean(name: string, candidates: Iterable<string>): string | undefined {
  // No suggestion for very long names: hostile input must not cost length x candidates time.
  if (name.length > MAX_NAME_LENGTH) return undefined;
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const c = candidate.toLowerCase();
    const limit = Math.max(1, Math.ceil(Math.max(lower.length, c.length) / 3));
    const shorter = Math.min(lower.length, c.length);
    let d: number;
    if (shorter >= 3 && (c.startsWith(lower) || lower.startsWith(c))) {
      d = Math.min(limit, Math.abs(c.length - lower.length));
    } else {
      d = levenshtein(lower, c);
      if (d > limit && shorter >= 4 && (c.includes(lower) || lower.includes(c))) d = limit;
    }
    if (d <= limit && d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** Names longer than this get no suggestion (keeps hostile input linear). */
const MAX_NAME_LENGTH = 200;

/**
 * A sentence suffix for error messages: `" Did you mean 'x'?"`, or `""` when there is no
 * suggestion.
 *
 * @param name The unknown name the user wrote.
 * @param candidates The valid names.
 * @returns The suffix, starting with a space, or the empty string.
 *
 * @example Usage
 * ```ts
 * import { didYouMean, didYouMeanSuffix, levenshtein } from "./did_you_mean.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(didYouMeanSuffix("moment", ["momentum"]), " Did you mean 'momentum'?");
 * equal(didYouMean("moment", ["momentum"]), "momentum");
 * equal(levenshtein("moment", "momentum"), 2);
 * ```
 */
export function didYouMeanSuffix(name: string, candidates: Iterable<string>): string {
  const s = didYouMean(name, candidates);
  return s === undefined ? "" : ` Did you mean '${s}'?`;
}
