/**
 * Test helper: 12AX sequences generated as RETURNN's `Task12AXDataset` does (inputs from
 * "123ABCXYZ", target R after 1..A..X or 2..B..Y, else L), with a seeded generator, as host
 * batches (`{data, classes}` with lengths) for models tests and timings.
 *
 * @module
 */

import type { HostBatchKey } from "../models/extern_data.ts";
import type { Rng } from "../trainer/rng.ts";

const INPUTS = "123ABCXYZ";

/** One sequence: input class indices and target classes (0 = L, 1 = R). */
export function twelveAxSequence(rng: Rng, len: number): { x: number[]; y: number[] } {
  const pick = <T>(xs: readonly T[]) => xs[rng.int(xs.length)];
  let s = pick(["", "1", "2"]);
  while (s.length < len) {
    if (rng.next() < 0.5) s += pick(["1", "2"]);
    if (rng.next() < 0.9) s += pick(["AX", "BY"]);
    while (rng.next() < 0.5) s += pick([...INPUTS]);
  }
  s = s.slice(0, len);
  let outer = "", inner = "";
  const y: number[] = [];
  for (const c of s) {
    let o = 0;
    if ("12".includes(c)) outer = c;
    else if ("AB".includes(c)) inner = c;
    else if ("XY".includes(c)) {
      if (["1AX", "2BY"].includes(outer + inner + c)) o = 1;
      inner = "";
    }
    y.push(o);
  }
  return { x: [...s].map((c) => INPUTS.indexOf(c)), y };
}

/** A padded batch of `n` sequences with lengths in [minLen, maxLen] (dense one-hot inputs). */
export function twelveAxBatch(
  rng: Rng,
  n: number,
  minLen: number,
  maxLen: number,
): Record<string, HostBatchKey> {
  const seqs = Array.from(
    { length: n },
    () => twelveAxSequence(rng, minLen + rng.int(maxLen - minLen + 1)),
  );
  const T = Math.max(...seqs.map((s) => s.x.length));
  const x = new Float32Array(n * T * 9), y = new Int32Array(n * T);
  seqs.forEach((s, b) =>
    s.x.forEach((c, t) => {
      x[(b * T + t) * 9 + c] = 1;
      y[b * T + t] = s.y[t];
    })
  );
  const seqLens = Int32Array.from(seqs, (s) => s.x.length);
  return {
    data: { data: x, shape: [n, T, 9], seqLens },
    classes: { data: y, shape: [n, T], seqLens },
  };
}
