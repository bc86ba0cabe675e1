/**
 * Data for the CTC example: grapheme-to-phoneme conversion on the CMU Pronouncing Dictionary
 * (npm `cmu-pronouncing-dictionary` 3.0.0, BSD-2-Clause; installed with the project, read
 * offline). Input: the word's letters, one-hot (26 features), one frame each. Target: its
 * first pronunciation as ARPAbet phonemes without stress marks (39 labels). Words of 3-8
 * letters a-z whose pronunciation CTC can align to the letters (phonemes plus repeated
 * neighbours at most the letters: a repeat needs a blank between); a fixed hash of the word samples them from the whole alphabet: 1 in 16 goes to train,
 * another 1 in 128 to dev.
 *
 * @module
 */

import { dictionary } from "cmu-pronouncing-dictionary";

/** The 39 ARPAbet phonemes (stress removed), in label order. */
export const PHONEMES: readonly string[] = Object.freeze(
  (
    "AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG OW OY P R S SH T TH UH UW " +
    "V W Y Z ZH"
  ).split(" "),
);

/** Input features per frame (one-hot letters a-z). */
export const G2P_FEATURES = 26;

/** One word as a StaticDataset sequence. */
export interface G2pSequence {
  /** Frames of one-hot letters. */
  readonly data: number[][];
  /** Phoneme labels. */
  readonly classes: number[];
}

/** Options of {@linkcode g2pWords}. */
export interface G2pOptions {
  /** `train` or `dev` (a fixed hash of the word decides). */
  readonly split: "train" | "dev";
  /** At most this many words (in dictionary order). */
  readonly count: number;
}

/**
 * The words of a split as RETURNN StaticDataset sequences, with the word list.
 *
 * @param options The split and the count.
 * @returns The sequences and their words.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { g2pWords, PHONEMES } from "./g2p_data.ts";
 *
 * const { words, seqs } = g2pWords({ split: "dev", count: 3 });
 * assert.equal(seqs[0].data.length, words[0].length);
 * assert.ok(seqs[0].classes.every((c) => c >= 0 && c < PHONEMES.length));
 * ```
 */
export function g2pWords(options: G2pOptions): { words: string[]; seqs: G2pSequence[] } {
  const words: string[] = [];
  const seqs: G2pSequence[] = [];
  for (const [word, pron] of Object.entries(dictionary as Record<string, string>)) {
    if (seqs.length >= options.count) break;
    if (!/^[a-z]{3,8}$/.test(word)) continue; // no alternates "word(2)", no punctuation
    const h = _hash(word) % 128;
    if (options.split === "dev" ? h !== 0 : h % 32 !== 1 && h % 32 !== 2) continue;
    const phones = pron.split(" ").map((p) => PHONEMES.indexOf(p.replace(/[0-9]$/, "")));
    const repeats = phones.filter((p, i) => i > 0 && p === phones[i - 1]).length;
    if (phones.some((p) => p < 0) || phones.length + repeats > word.length) continue;
    const data = [...word].map((ch) =>
      Array.from({ length: G2P_FEATURES }, (_, i) => i === ch.charCodeAt(0) - 97 ? 1 : 0)
    );
    words.push(word);
    seqs.push({ data, classes: phones });
  }
  return { words, seqs };
}

/** FNV-1a of a word: a fixed train/dev split. */
function _hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
