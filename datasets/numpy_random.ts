/**
 * numpy's legacy `numpy.random.RandomState` (MT19937), bit for bit: the generator RETURNN uses
 * for its random sequence orderings and its generated data sets.
 *
 * @module
 */

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;
const MAX_UINT32 = 0xffffffff;

/**
 * numpy's legacy `RandomState(seed)`: the MT19937 generator seeded as numpy seeds it (an int seed
 * through `init_genrand`, a sequence of ints through `init_by_array`), with numpy's legacy
 * algorithms on top: `random_sample` (53-bit doubles), `permutation` / `shuffle` (Fisher-Yates
 * from the end with numpy's masked `random_interval`) and `randint` (masked rejection sampling).
 * The same seed gives the same numbers as numpy, so orders computed from it match RETURNN's.
 *
 * It is a stateful generator: every draw advances it, exactly as numpy's does.
 *
 * @example Same numbers as `numpy.random.RandomState(1)`
 * ```ts
 * import assert from "node:assert/strict";
 * import { NumpyRandomState } from "./numpy_random.ts";
 *
 * // numpy.random.RandomState(1).permutation(5).tolist() == [2, 1, 4, 0, 3]
 * assert.deepEqual(new NumpyRandomState(1).permutation(5), [2, 1, 4, 0, 3]);
 * // numpy.random.RandomState(0).randint(0, 10, size=3).tolist() == [5, 0, 3]
 * assert.deepEqual(new NumpyRandomState(0).randint(0, 10, 3), [5, 0, 3]);
 * ```
 */
export class NumpyRandomState {
  #key = new Uint32Array(N);
  #pos = N;

  /**
   * Seed a generator as `numpy.random.RandomState(seed)` does.
   *
   * @param seed An integer in [0, 2**32 - 1], or a non-empty list of such integers (numpy's
   * `init_by_array`, as `RandomState((a, b))`).
   * @throws {RangeError} If a seed value is not an integer in [0, 2**32 - 1] (numpy raises
   * `ValueError` there), or the list is empty.
   */
  constructor(seed: number | readonly number[]) {
    this.seed(seed);
  }

  /**
   * Re-seed in place, as numpy's `RandomState.seed(seed)`.
   *
   * @param seed See the constructor.
   * @throws {RangeError} As the constructor.
   */
  seed(seed: number | readonly number[]): void {
    const check = (v: number) => {
      if (!Number.isInteger(v) || v < 0 || v > MAX_UINT32) {
        throw new RangeError(
          `Cannot seed numpy's RandomState: a seed must be an integer in [0, 2**32 - 1], got ${v}` +
            " (RETURNN's seed is fixed_random_seed, or the epoch plus random_seed_offset)",
        );
      }
      return v;
    };
    if (typeof seed === "number") {
      this.#initGenrand(check(seed));
      return;
    }
    if (seed.length === 0) throw new RangeError("Cannot seed numpy's RandomState: seed is empty");
    this.#initByArray(seed.map(check));
  }

  #initGenrand(s: number): void {
    const mt = this.#key;
    mt[0] = s >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1];
      mt[i] = (Math.imul(1812433253, (prev ^ (prev >>> 30)) >>> 0) + i) >>> 0;
    }
    this.#pos = N;
  }

  #initByArray(initKey: readonly number[]): void {
    this.#initGenrand(19650218);
    const mt = this.#key;
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, initKey.length); k > 0; k--) {
      const prev = mt[i - 1];
      const x = (mt[i] ^ Math.imul((prev ^ (prev >>> 30)) >>> 0, 1664525)) >>> 0;
      mt[i] = (x + initKey[j] + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
      if (j >= initKey.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1];
      const x = (mt[i] ^ Math.imul((prev ^ (prev >>> 30)) >>> 0, 1566083941)) >>> 0;
      mt[i] = (x - i) >>> 0;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
    }
    mt[0] = 0x80000000;
    this.#pos = N;
  }

  #generate(): void {
    const mt = this.#key;
    let i = 0;
    let y: number;
    for (; i < N - M; i++) {
      y = (mt[i] & UPPER_MASK) | (mt[i + 1] & LOWER_MASK);
      mt[i] = mt[i + M] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    for (; i < N - 1; i++) {
      y = (mt[i] & UPPER_MASK) | (mt[i + 1] & LOWER_MASK);
      mt[i] = mt[i + (M - N)] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    y = (mt[N - 1] & UPPER_MASK) | (mt[0] & LOWER_MASK);
    mt[N - 1] = mt[M - 1] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    this.#pos = 0;
  }

  /**
   * The next raw 32-bit output (numpy's `next_uint32`).
   *
   * @returns An integer in [0, 2**32 - 1].
   */
  nextUint32(): number {
    if (this.#pos === N) this.#generate();
    let y = this.#key[this.#pos++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  #nextUint64(): bigint {
    const hi = BigInt(this.nextUint32());
    return (hi << 32n) | BigInt(this.nextUint32());
  }

  /**
   * A double in [0, 1) with 53 random bits, as numpy's `random_sample()` and `uniform()`.
   *
   * @returns The sample.
   */
  randomSample(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /**
   * As numpy's `uniform(low, high)`: `low + (high - low) * random_sample()`.
   *
   * @param low Lower bound. @default 0
   * @param high Upper bound. @default 1
   * @returns The sample.
   */
  uniform(low = 0, high = 1): number {
    return low + (high - low) * this.randomSample();
  }

  /**
   * numpy's legacy `random_interval(max)`: a uniform integer in [0, max] by masked rejection.
   *
   * @param max The inclusive upper bound, a non-negative safe integer.
   * @returns The integer.
   */
  randomInterval(max: number): number {
    if (max === 0) return 0;
    if (max <= MAX_UINT32) {
      const mask = _mask32(max);
      let v: number;
      do v = (this.nextUint32() & mask) >>> 0; while (v > max);
      return v;
    }
    const big = BigInt(max);
    const mask = _mask64(big);
    let v: bigint;
    do v = this.#nextUint64() & mask; while (v > big);
    return Number(v);
  }

  /**
   * Shuffle in place as numpy's legacy `shuffle(x)` (for a 1-d array or a list).
   *
   * @param x The array, permuted in place.
   * @returns `x`.
   */
  shuffle<T extends { length: number; [i: number]: unknown }>(x: T): T {
    for (let i = x.length - 1; i > 0; i--) {
      const j = this.randomInterval(i);
      if (i === j) continue;
      const t = x[i];
      x[i] = x[j];
      x[j] = t;
    }
    return x;
  }

  /**
   * numpy's legacy `permutation(n)`: `arange(n)` shuffled.
   *
   * @param n The length, a non-negative integer.
   * @returns A permutation of 0..n-1.
   * @throws {RangeError} If `n` is not a non-negative integer.
   */
  permutation(n: number): number[] {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new RangeError(`Cannot make a permutation of ${n}: need a non-negative integer`);
    }
    return this.shuffle(Array.from({ length: n }, (_, i) => i));
  }

  /**
   * numpy's legacy `randint(low, high, size)` (int64): integers in [low, high) by masked
   * rejection sampling. A range of one value draws nothing, as in numpy.
   *
   * @param low Inclusive lower bound.
   * @param high Exclusive upper bound, greater than `low`.
   * @param size How many. @default 1
   * @returns The integers.
   * @throws {RangeError} If `low >= high` or the bounds are not safe integers.
   */
  randint(low: number, high: number, size = 1): number[] {
    if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high) || low >= high) {
      throw new RangeError(`Cannot draw randint(${low}, ${high}): need integers with low < high`);
    }
    const rng = high - 1 - low;
    const out = new Array<number>(size);
    if (rng === 0) return out.fill(low);
    if (rng <= MAX_UINT32) {
      if (rng === MAX_UINT32) {
        for (let i = 0; i < size; i++) out[i] = low + this.nextUint32();
        return out;
      }
      const mask = _mask32(rng);
      for (let i = 0; i < size; i++) {
        let v: number;
        do v = (this.nextUint32() & mask) >>> 0; while (v > rng);
        out[i] = low + v;
      }
      return out;
    }
    const big = BigInt(rng);
    const mask = _mask64(big);
    for (let i = 0; i < size; i++) {
      let v: bigint;
      do v = this.#nextUint64() & mask; while (v > big);
      out[i] = low + Number(v);
    }
    return out;
  }

  /**
   * numpy's legacy `choice(a)` for a list without weights: `a[randint(0, len(a))]`.
   *
   * @param a A non-empty list.
   * @returns One element.
   * @throws {RangeError} If `a` is empty.
   */
  choice<T>(a: readonly T[]): T {
    if (a.length === 0) throw new RangeError("Cannot choose from an empty list");
    return a[this.randint(0, a.length)[0]];
  }
}

function _mask32(max: number): number {
  let mask = max >>> 0;
  mask |= mask >>> 1;
  mask |= mask >>> 2;
  mask |= mask >>> 4;
  mask |= mask >>> 8;
  mask |= mask >>> 16;
  return mask >>> 0;
}

function _mask64(max: bigint): bigint {
  let mask = max;
  for (const s of [1n, 2n, 4n, 8n, 16n, 32n]) mask |= mask >> s;
  return mask;
}
