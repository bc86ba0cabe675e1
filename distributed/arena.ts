/**
 * The gradient arena: all of a model's tensors as ONE flat `Float32Array`, so that a step costs
 * one all-reduce instead of one per tensor (hundreds of small all-reduces are latency-bound).
 * The layout is the optimizer engine's own (`optimizers/engine_layout.ts`: every tensor at a
 * 64-float, 256-byte aligned offset, zero padding between tensors), so the flat buffer is the
 * same bytes as the engine's gradient arena: on `webgpu` it is read back with one copy
 * (`gpu_arena.ts`), on the CPU the trainer writes gradients straight into its views. Padding is
 * zero on every rank, so reducing it is harmless (at most 63 floats per tensor).
 *
 * @module
 */

import { type ArenaLayout, arenaLayout } from "../optimizers/engine_layout.ts";

export type { ArenaLayout };

/**
 * The arena layout of tensors of `sizes` elements, as one chunk.
 *
 * @param sizes Element count of each tensor.
 * @returns The layout (`offsets`, `length`, ...).
 * @throws {RangeError} for a size that is not an integer >= 0.
 *
 * @example Usage
 * ```ts
 * import { flatLayout } from "./arena.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 * const layout = flatLayout([3, 100]);
 * deepEqual(layout.offsets, [0, 64]);
 * equal(layout.length, 192);
 * ```
 */
export function flatLayout(sizes: readonly number[]): ArenaLayout {
  let total = 0;
  for (const n of sizes) total += Number.isInteger(n) && n > 0 ? Math.ceil(n / 64) * 64 : 0;
  return arenaLayout(sizes, Math.max(64, total));
}

/**
 * Zero-copy views of each tensor in a flat arena (write gradients into them, hand them to the
 * optimizer after the all-reduce).
 *
 * @param flat The arena (`layout.length` floats).
 * @param layout Its layout.
 * @returns One `subarray` per tensor.
 * @throws {RangeError} when `flat` is shorter than the layout.
 *
 * @example Usage
 * ```ts
 * import { arenaViews, flatLayout } from "./arena.ts";
 * import { equal } from "node:assert/strict";
 * const layout = flatLayout([2, 1]);
 * const flat = new Float32Array(layout.length);
 * const [w, b] = arenaViews(flat, layout);
 * b[0] = 5;
 * equal(flat[64], 5);
 * equal(w.length, 2);
 * ```
 */
export function arenaViews(flat: Float32Array, layout: ArenaLayout): Float32Array[] {
  _checkLength(flat, layout);
  return layout.sizes.map((n, i) => flat.subarray(layout.offsets[i], layout.offsets[i] + n));
}

/**
 * Copy tensors into a flat arena (padding left as it is: zero in a fresh arena).
 *
 * @param tensors One array per tensor, `layout.sizes[i]` long.
 * @param layout The layout.
 * @param flat The arena to fill. @default {a new zeroed arena}
 * @returns The arena.
 * @throws {RangeError} when a tensor's length does not match the layout.
 *
 * @example Usage
 * ```ts
 * import { flatLayout, packArena, unpackArena } from "./arena.ts";
 * import { deepEqual } from "node:assert/strict";
 * const layout = flatLayout([2, 1]);
 * const flat = packArena([new Float32Array([1, 2]), new Float32Array([3])], layout);
 * const out = [new Float32Array(2), new Float32Array(1)];
 * unpackArena(flat, layout, out);
 * deepEqual(out.map((t) => [...t]), [[1, 2], [3]]);
 * ```
 */
export function packArena(
  tensors: readonly ArrayLike<number>[],
  layout: ArenaLayout,
  flat: Float32Array = new Float32Array(layout.length),
): Float32Array {
  _checkLength(flat, layout);
  _checkTensors(tensors, layout);
  tensors.forEach((t, i) => flat.set(t, layout.offsets[i]));
  return flat;
}

/**
 * Copy a flat arena's tensors out into `tensors` (in place).
 *
 * @param flat The arena.
 * @param layout Its layout.
 * @param tensors One array per tensor to overwrite.
 * @throws {RangeError} when a length does not match the layout.
 *
 * @example Usage
 * ```ts
 * import { flatLayout, unpackArena } from "./arena.ts";
 * import { equal } from "node:assert/strict";
 * const layout = flatLayout([1]);
 * const out = [new Float32Array(1)];
 * unpackArena(new Float32Array(64).fill(7), layout, out);
 * equal(out[0][0], 7);
 * ```
 */
export function unpackArena(
  flat: Float32Array,
  layout: ArenaLayout,
  tensors: readonly Float32Array[],
): void {
  _checkLength(flat, layout);
  _checkTensors(tensors, layout);
  tensors.forEach((t, i) => t.set(flat.subarray(layout.offsets[i], layout.offsets[i] + t.length)));
}

function _checkLength(flat: Float32Array, layout: ArenaLayout): void {
  if (!(flat instanceof Float32Array) || flat.length < layout.length) {
    throw new RangeError(
      `Cannot use the arena as it must be a Float32Array of at least ${layout.length} floats: ` +
        `current length is ${(flat as { length?: number })?.length}`,
    );
  }
}

function _checkTensors(tensors: readonly ArrayLike<number>[], layout: ArenaLayout): void {
  if (tensors.length !== layout.sizes.length) {
    throw new RangeError(
      `Cannot use the arena as it holds ${layout.sizes.length} tensors: got ${tensors.length}`,
    );
  }
  tensors.forEach((t, i) => {
    if (t.length !== layout.sizes[i]) {
      throw new RangeError(
        `Cannot use the arena as tensor ${i} has ${t.length} elements but the layout says ` +
          `${layout.sizes[i]}`,
      );
    }
  });
}
