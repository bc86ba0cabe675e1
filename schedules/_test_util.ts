/**
 * Private test helpers for `schedules/`.
 *
 * @module
 */

import { ok, throws } from "node:assert/strict";
import type { Schedule } from "./types.ts";
import { Rng } from "../trainer/rng.ts";

/** Assert `|a - e| <= abs + rel * |e|` for every listed step. */
export function _assertSchedule(
  s: Schedule,
  expected: readonly number[],
  abs = 1e-15,
  rel = 1e-12,
  label = "",
): void {
  for (let i = 0; i < expected.length; i++) {
    const a = s(i);
    const e = expected[i];
    ok(
      Math.abs(a - e) <= abs + rel * Math.abs(e),
      `${label} step ${i}: got ${a}, expected ${e}`,
    );
  }
}

/** Assert that `fn` throws an error of class `cls` whose message contains every fragment. */
export function _assertThrows(
  fn: () => unknown,
  cls: ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor,
  ...fragments: string[]
): void {
  throws(fn, (e: unknown) => {
    ok(e instanceof cls, `expected ${cls.name}, got ${e}`);
    for (const f of fragments) {
      ok(
        (e as Error).message.includes(f),
        `message ${JSON.stringify((e as Error).message)} lacks ${JSON.stringify(f)}`,
      );
    }
    return true;
  });
}

/** A small deterministic PRNG (mulberry32: the trainer's `Rng`) returning numbers in [0, 1). */
export function _rng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.next();
}
