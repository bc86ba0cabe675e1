/**
 * Arena layout of one parameter group: every tensor starts at a 64-float (256-byte) aligned
 * offset of a flat per-role arena (param, grad, each state slot) with zero padding, so a
 * `vec4<f32>` never crosses two tensors and every 64-float block belongs to one tensor. An arena
 * longer than the largest storage binding is bound as several chunks (one dispatch each).
 *
 * @module
 */

/**
 * Floats per alignment block (256 bytes, the portable `minStorageBufferOffsetAlignment`).
 *
 * @example Usage
 * ```ts
 * import { BLOCK_FLOATS } from "./engine_layout.ts";
 * import { equal } from "node:assert/strict";
 * equal(BLOCK_FLOATS * 4, 256);
 * ```
 */
export const BLOCK_FLOATS = 64;

/** Layout of one group's arena. */
export interface ArenaLayout {
  /** Element count of each tensor. */
  readonly sizes: readonly number[];
  /** Float offset of each tensor (a multiple of {@linkcode BLOCK_FLOATS}). */
  readonly offsets: readonly number[];
  /** Arena length in floats (a multiple of {@linkcode BLOCK_FLOATS}, at least one block). */
  readonly length: number;
  /** Chunks `[start, end)` in floats, each at most `chunkFloats` long and block aligned. */
  readonly chunks: readonly { start: number; end: number }[];
  /** Tensor index of every block (`length / 64` entries). */
  readonly blockTensor: Uint32Array;
}

/**
 * Compute the arena layout of tensors with `sizes` elements, split in chunks of at most
 * `chunkFloats` floats (rounded down to a multiple of 64).
 *
 * @example Usage
 * ```ts
 * import { arenaLayout } from "./engine_layout.ts";
 * import { deepEqual } from "node:assert/strict";
 * const l = arenaLayout([1, 130], 1 << 20);
 * deepEqual([l.offsets, l.length, l.chunks], [[0, 64], 256, [{ start: 0, end: 256 }]]);
 * ```
 */
export function arenaLayout(sizes: readonly number[], chunkFloats: number): ArenaLayout {
  const chunk = Math.floor(chunkFloats / BLOCK_FLOATS) * BLOCK_FLOATS;
  if (!(chunk >= BLOCK_FLOATS)) {
    throw new RangeError(
      `Cannot lay out the arena as the chunk size must be at least ${BLOCK_FLOATS} floats: ` +
        `current value is ${chunkFloats}`,
    );
  }
  const offsets: number[] = [];
  let at = 0;
  for (const n of sizes) {
    if (!Number.isInteger(n) || n < 0) {
      throw new RangeError(`Cannot lay out the arena as a tensor size is ${n}: use integers >= 0`);
    }
    offsets.push(at);
    at += Math.ceil(n / BLOCK_FLOATS) * BLOCK_FLOATS;
  }
  const length = Math.max(at, BLOCK_FLOATS);
  const chunks = [];
  for (let s = 0; s < length; s += chunk) {
    chunks.push({ start: s, end: Math.min(length, s + chunk) });
  }
  const blockTensor = new Uint32Array(length / BLOCK_FLOATS);
  sizes.forEach((n, t) => {
    const b0 = offsets[t] / BLOCK_FLOATS;
    blockTensor.fill(t, b0, b0 + Math.ceil(n / BLOCK_FLOATS));
  });
  return { sizes: [...sizes], offsets, length, chunks, blockTensor };
}
