/**
 * Shared WebAssembly memories and a bump allocator over a list of them: a memory holds at most
 * 4 GiB (wasm32), so work larger than that is spread over several, each a
 * `WebAssembly.Memory({ shared: true })` (a `SharedArrayBuffer` every Worker of the pool sees),
 * or unshared where `SharedArrayBuffer` is missing. Used by the optimizer engine's wasm backend;
 * reusable by any kernel family on the pool (`pool.ts`).
 *
 * @module
 */

/**
 * Bytes per WebAssembly page.
 *
 * @example Usage
 * ```ts
 * import { PAGE_BYTES } from "./shared_memory.ts";
 * import { equal } from "node:assert/strict";
 * equal(PAGE_BYTES, 65536);
 * ```
 */
export const PAGE_BYTES = 65536;
/**
 * Largest memory: 65536 pages (4 GiB), the wasm32 limit.
 *
 * @example Usage
 * ```ts
 * import { MAX_MEMORY_BYTES } from "./shared_memory.ts";
 * import { equal } from "node:assert/strict";
 * equal(MAX_MEMORY_BYTES, 2 ** 32);
 * ```
 */
export const MAX_MEMORY_BYTES = 65536 * PAGE_BYTES;

/**
 * A memory of `bytes` (rounded up to whole pages), shared when `shared`; its size is fixed
 * (initial = maximum), so views on its buffer stay valid.
 *
 * @throws {RangeError} above {@linkcode MAX_MEMORY_BYTES} or when the host refuses the size.
 * @example Usage
 * ```ts
 * import { createMemory, PAGE_BYTES } from "./shared_memory.ts";
 * import { equal } from "node:assert/strict";
 * const m = createMemory(100, false);
 * equal(m.buffer.byteLength, PAGE_BYTES);
 * ```
 */
export function createMemory(bytes: number, shared: boolean): WebAssembly.Memory {
  const pages = Math.max(1, Math.ceil(bytes / PAGE_BYTES));
  if (pages * PAGE_BYTES > MAX_MEMORY_BYTES) {
    throw new RangeError(
      `Cannot create a WebAssembly memory of ${bytes} bytes: the limit is ${MAX_MEMORY_BYTES} ` +
        "(4 GiB); split the data over several memories",
    );
  }
  try {
    return new WebAssembly.Memory({ initial: pages, maximum: pages, shared });
  } catch (e) {
    throw new RangeError(
      `Cannot create a WebAssembly memory of ${pages * PAGE_BYTES} bytes (${
        (e as Error).message
      }): free memory or lower the parameter count`,
    );
  }
}

/** A place in a list of memories. */
export interface Place {
  /** Index of the memory. */
  readonly memory: number;
  /** Byte offset in it. */
  readonly offset: number;
}

/**
 * A bump allocator over memories of at most `limit` bytes each: `reserve` places each block in
 * the current memory, or opens the next one when it does not fit. Plan first, then
 * {@linkcode MemoryPlanner.create} the memories (exactly as large as their contents).
 *
 * @example Usage
 * ```ts
 * import { MemoryPlanner } from "./shared_memory.ts";
 * import { deepEqual } from "node:assert/strict";
 * const planner = new MemoryPlanner(1024);
 * deepEqual(planner.reserve(600), { memory: 0, offset: 0 });
 * deepEqual(planner.reserve(600), { memory: 1, offset: 0 });
 * deepEqual(planner.sizes, [640, 640]);
 * ```
 */
export class MemoryPlanner {
  readonly #limit: number;
  readonly #used: number[] = [0];

  /**
   * @param limit Largest memory in bytes. @default {MAX_MEMORY_BYTES}
   */
  constructor(limit: number = MAX_MEMORY_BYTES) {
    if (!(Number.isInteger(limit) && limit >= 64 && limit <= MAX_MEMORY_BYTES)) {
      throw new RangeError(
        `Cannot plan WebAssembly memories as the size limit must be an integer in [64, ` +
          `${MAX_MEMORY_BYTES}]: current value is ${limit}`,
      );
    }
    this.#limit = limit;
  }

  /** Bytes used in each memory so far (64-byte multiples). */
  get sizes(): number[] {
    return [...this.#used];
  }

  /** Bytes left in the current memory. */
  get free(): number {
    return this.#limit - this.#used[this.#used.length - 1];
  }

  /** Start a new memory. */
  next(): void {
    this.#used.push(0);
  }

  /**
   * Reserve `bytes` (64-byte aligned).
   *
   * @throws {RangeError} for a block larger than one memory.
   */
  reserve(bytes: number): Place {
    const size = Math.ceil(bytes / 64) * 64;
    if (size > this.#limit) {
      throw new RangeError(
        `Cannot place ${bytes} bytes as one block: a memory holds at most ${this.#limit}`,
      );
    }
    if (size > this.free) this.next();
    const memory = this.#used.length - 1;
    const offset = this.#used[memory];
    this.#used[memory] += size;
    return { memory, offset };
  }

  /** Create the planned memories. */
  create(shared: boolean): WebAssembly.Memory[] {
    return this.#used.map((n) => createMemory(n, shared));
  }
}
