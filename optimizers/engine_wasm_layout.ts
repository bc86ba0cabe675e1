/**
 * Memory layout of the wasm backend. The tensors of every group are cut into *segments* of at
 * most {@linkcode SEGMENT_ELEMENTS} elements (the unit of work and of the norms' partial sums, so
 * both depend on the tensor sizes only, never on the thread count). Segments are placed in
 * order into memories of at most `limit` bytes; each memory holds:
 *
 * ```
 * [64-byte header][segment records][uniform block per group][norm partials, f64 per
 *  reduction and segment][columns: param, grad, (accum), slot 0, slot 1, ...]
 * ```
 *
 * Every column has the same `stride`, so an element's param, grad and slots are at fixed
 * distances (the kernels' static load offsets), skewed against cache-set and DRAM-bank
 * conflicts. A tensor's segments in one memory are
 * contiguous in its columns, each 16-float (64-byte) aligned; a tensor larger than what is left
 * of a memory continues in the next one.
 *
 * @module
 */

import type { TransformPlan } from "../transforms/plan.ts";
import { MAX_MEMORY_BYTES } from "../wasm/shared_memory.ts";
import type { GroupSetup } from "./engine_types.ts";

/**
 * Most elements per segment.
 *
 * @example Usage
 * ```ts
 * import { SEGMENT_ELEMENTS } from "./engine_wasm_layout.ts";
 * import { equal } from "node:assert/strict";
 * equal(SEGMENT_ELEMENTS % 16, 0);
 * ```
 */
export const SEGMENT_ELEMENTS = 16384;
const HEADER_BYTES = 64;
const align = (n: number, a: number) => Math.ceil(n / a) * a;

/** One segment: a run of elements of one tensor. */
export interface Segment {
  /** The memory holding it. */
  readonly memory: number;
  /** Its index among the memory's segments. */
  readonly index: number;
  /** Group and tensor within the group. */
  readonly group: number;
  /** Tensor within the group. */
  readonly tensor: number;
  /** First element (within the tensor). */
  readonly start: number;
  /** Elements. */
  readonly count: number;
  /** Float offset of its first element in the memory's columns (from the column start). */
  readonly column: number;
}

/** The layout of one memory. */
export interface MemoryLayout {
  /** Byte offset of the segment records. */
  readonly segBase: number;
  /** Segments in this memory. */
  readonly segments: readonly Segment[];
  /** Byte offset of the uniform blocks (one per group, `ubBytes` each). */
  readonly ubBase: number;
  /** Byte offset of the norm partials. */
  readonly partBase: number;
  /** Byte offset of the first column. */
  readonly colBase: number;
  /** Bytes between columns. */
  readonly stride: number;
  /** Total bytes. */
  readonly bytes: number;
}

/** The whole layout of one state. */
export interface WasmLayout {
  /** Per memory. */
  readonly memories: readonly MemoryLayout[];
  /** Columns: `param`, `grad`, then `accum` with accumulation, then the slots. */
  readonly columns: readonly string[];
  /** Int32 words per segment record: address, count, start, tensor, uniform block, scales. */
  readonly segWords: number;
  /** Words of a uniform block: the definition's uniforms, then the engine's fields. */
  readonly ubWords: number;
  /** Bytes of a uniform block. */
  readonly ubBytes: number;
  /** Per group, per tensor: its segments in order. */
  readonly tensors: readonly (readonly (readonly Segment[])[])[];
}

/**
 * Words of a segment record before the per-reduction scales.
 *
 * @example Usage
 * ```ts
 * import { SEG_FIXED_WORDS } from "./engine_wasm_layout.ts";
 * import { equal } from "node:assert/strict";
 * equal(SEG_FIXED_WORDS, 5);
 * ```
 */
export const SEG_FIXED_WORDS = 5;

/**
 * Bytes between columns of `floats` floats: rounded up to 4 KiB, plus 576 bytes (9 cache
 * lines), so that an element's param, grad and slots (read and written together) fall into
 * different cache sets and DRAM banks instead of the same ones (a power-of-two stride, e.g. 64
 * MiB for 16M floats, puts all of them on one set).
 */
function columnStride(floats: number): number {
  return align(Math.max(floats, 16) * 4, 4096) + COLUMN_SKEW;
}
const COLUMN_SKEW = 576;

/** The addresses of one memory holding `segments` (`floats` per column). */
function memoryLayout(
  segments: readonly Segment[],
  floats: number,
  groups: number,
  ubBytes: number,
  segWords: number,
  reductions: number,
  columns: number,
): MemoryLayout {
  const segBase = HEADER_BYTES;
  const ubBase = align(segBase + segments.length * segWords * 4, 64);
  const partBase = align(ubBase + groups * ubBytes, 64);
  const colBase = align(partBase + reductions * segments.length * 8, 64);
  const stride = columnStride(floats);
  return {
    segBase,
    segments,
    ubBase,
    partBase,
    colBase,
    stride,
    bytes: colBase + columns * stride,
  };
}

/**
 * Plan the layout of a state with `groups` on `plan`, `slots` slot columns, `uniformWords`
 * words per uniform block and memories of at most `limit` bytes.
 *
 * @throws {RangeError} when one segment does not fit in a memory of `limit` bytes.
 * @example Usage
 * ```ts
 * import { planWasmLayout } from "./engine_wasm_layout.ts";
 * import { compilePlan } from "../transforms/plan.ts";
 * import { equal } from "node:assert/strict";
 * const groups = [{ hyper: {}, slots: ["m"], slotInit: [0], sizes: [5, 40000], tensorBase: 0 }];
 * const layout = planWasmLayout(groups, compilePlan([]), 8);
 * equal(layout.tensors[0][1].length, 3); // 40000 elements: 3 segments
 * equal(layout.memories.length, 1);
 * ```
 */
export function planWasmLayout(
  groups: readonly GroupSetup[],
  plan: TransformPlan,
  uniformWords: number,
  limit: number = MAX_MEMORY_BYTES,
): WasmLayout {
  const columns = ["param", "grad", ...(plan.accumulate ? ["accum"] : []), ...groups[0].slots];
  const segWords = align(SEG_FIXED_WORDS + plan.reductions.length, 2);
  const ubBytes = align(uniformWords * 4, 16);
  const perSegment = segWords * 4 + plan.reductions.length * 8;
  const fixed = HEADER_BYTES + groups.length * ubBytes + 4 * 64;
  const mems: { segments: Segment[]; floats: number }[] = [{ segments: [], floats: 0 }];
  const tensors = groups.map((gs, gi) =>
    gs.sizes.map((n, t) => {
      const segs: Segment[] = [];
      for (let start = 0; start < n; start += SEGMENT_ELEMENTS) {
        const count = Math.min(SEGMENT_ELEMENTS, n - start);
        const padded = align(count, 16);
        const cost = (m: { segments: Segment[]; floats: number }) =>
          fixed + (m.segments.length + 1) * perSegment +
          columns.length * columnStride(m.floats + padded);
        let m = mems[mems.length - 1];
        if (cost(m) > limit) {
          if (m.segments.length === 0) {
            throw new RangeError(
              `Cannot lay out the wasm optimizer in memories of ${limit} bytes: one segment ` +
                `needs ${cost(m)}; raise the memory limit`,
            );
          }
          mems.push(m = { segments: [], floats: 0 });
        }
        const seg = {
          memory: mems.length - 1,
          index: m.segments.length,
          group: gi,
          tensor: t,
          start,
          count,
          column: m.floats,
        };
        m.floats += padded;
        m.segments.push(seg);
        segs.push(seg);
      }
      return segs;
    })
  );
  const memories = mems.map((m) =>
    memoryLayout(
      m.segments,
      m.floats,
      groups.length,
      ubBytes,
      segWords,
      plan.reductions.length,
      columns.length,
    )
  );
  return { memories, columns, segWords, ubWords: uniformWords, ubBytes, tensors };
}
