/**
 * Data for the CTC example: a small "phone recognition" task made on the fly and reproducible
 * from a seed. Each utterance is 2-6 labels out of 5; each label sounds for 2-4 frames as its
 * own prototype vector (8 features) plus noise, with 0-2 frames of near-silence between labels
 * and at the edges, so alignments vary, repeated labels occur and need a blank between them.
 * The target is the label sequence (no alignment given): CTC learns it.
 *
 * @module
 */

import { Rng } from "../trainer/rng.ts";

/** Features per frame. */
export const CTC_TOY_FEATURES = 8;
/** Labels (without blank). */
export const CTC_TOY_LABELS = 5;

/** One utterance: frames `[T][F]` and labels. */
export interface CtcToyUtterance {
  readonly data: number[][];
  readonly classes: number[];
}

/**
 * Make utterances.
 *
 * @param numSeqs How many.
 * @param seed The seed (the label prototypes are fixed; the seed picks the utterances).
 * @param noise Standard deviation of the frame noise.
 * @returns The utterances.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ctcToyUtterances } from "./ctc_toy_data.ts";
 *
 * const [u] = ctcToyUtterances(1, 3);
 * assert.ok(u.data.length >= 2 * u.classes.length && u.classes.every((c) => c >= 0 && c < 5));
 * ```
 */
export function ctcToyUtterances(numSeqs: number, seed: number, noise = 0.3): CtcToyUtterance[] {
  const protoRng = new Rng(20240612);
  const protos = Array.from(
    { length: CTC_TOY_LABELS },
    () => Array.from({ length: CTC_TOY_FEATURES }, () => protoRng.uniform(-1, 1)),
  );
  const rng = new Rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const frame = (p: number[] | null) =>
    Array.from({ length: CTC_TOY_FEATURES }, (_, f) => (p ? p[f] : 0) + noise * gauss());
  const out: CtcToyUtterance[] = [];
  for (let i = 0; i < numSeqs; i++) {
    const classes = Array.from({ length: 2 + rng.int(5) }, () => rng.int(CTC_TOY_LABELS));
    const data: number[][] = [];
    const silence = () => {
      for (let k = rng.int(3); k > 0; k--) data.push(frame(null));
    };
    silence();
    for (const c of classes) {
      for (let k = 2 + rng.int(3); k > 0; k--) data.push(frame(protos[c]));
      silence();
    }
    out.push({ data, classes });
  }
  return out;
}
