/**
 * A small seeded pseudo-random number generator (mulberry32) whose whole state is one 32-bit
 * integer, so it can be saved in a checkpoint and restored exactly.
 *
 * @module
 */

/**
 * Seeded PRNG (mulberry32): fast, 32 bits of state, good enough for shuffling and weight
 * initialisation (not for cryptography).
 *
 * @example Reproducible draws and saving the state
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "./rng.ts";
 *
 * const a = new Rng(42);
 * a.next();
 * const saved = a.save();
 * const x = a.next();
 * assert.equal(Rng.restore(saved).next(), x);
 * ```
 */
export class Rng {
  #state: number;

  /**
   * Create a generator from a seed.
   *
   * @param seed Any finite number; it is truncated to an unsigned 32-bit integer.
   * @throws {RangeError} If `seed` is not a finite number.
   */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) {
      throw new RangeError(
        `Cannot create Rng as 'seed' must be a finite number: current value is ${seed}`,
      );
    }
    this.#state = seed >>> 0;
  }

  /**
   * Restore a generator from a value returned by {@linkcode Rng.save}.
   *
   * @param state The saved state.
   * @returns A generator that continues exactly where the saved one stopped.
   */
  static restore(state: number): Rng {
    return new Rng(state);
  }

  /**
   * The current state (an unsigned 32-bit integer), for checkpoints.
   *
   * @returns The state to pass to {@linkcode Rng.restore}.
   */
  save(): number {
    return this.#state;
  }

  /**
   * The next uniform number in `[0, 1)`.
   *
   * @returns A float with 32 random bits.
   */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /**
   * A uniform integer in `[0, n)`.
   *
   * @param n The exclusive upper bound, a positive integer.
   * @returns The integer.
   * @throws {RangeError} If `n` is not a positive integer.
   */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) {
      throw new RangeError(
        `Cannot draw an integer as 'n' must be a positive integer: current value is ${n}`,
      );
    }
    return Math.floor(this.next() * n);
  }

  /**
   * A uniform number in `[low, high)`.
   *
   * @param low Inclusive lower bound.
   * @param high Exclusive upper bound.
   * @returns The number.
   */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /**
   * Shuffle an array in place (Fisher-Yates) and return it.
   *
   * @param items The array to shuffle.
   * @returns The same array, shuffled.
   */
  shuffle<T extends { length: number; [i: number]: unknown }>(items: T): T {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }
}

/**
 * Derive an independent seed from a base seed and a list of integers (e.g. seed and epoch), so
 * that per-epoch streams do not depend on how many numbers earlier epochs drew.
 *
 * @param seed The base seed.
 * @param parts Further integers mixed in, in order.
 * @returns An unsigned 32-bit seed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { deriveSeed } from "./rng.ts";
 *
 * assert.equal(deriveSeed(1, 2), deriveSeed(1, 2));
 * assert.notEqual(deriveSeed(1, 2), deriveSeed(1, 3));
 * ```
 */
export function deriveSeed(seed: number, ...parts: number[]): number {
  let h = (seed >>> 0) ^ 0x9e3779b9;
  for (const p of [...parts, parts.length]) {
    h = Math.imul(h ^ (p >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}
