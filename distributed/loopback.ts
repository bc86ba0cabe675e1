/**
 * An in-process group of N communicators (one per simulated rank, e.g. one per async task or
 * worker in the same process): the same interface and the same arithmetic as a real transport,
 * without MPI. Reductions fold the ranks in rank order (`((x0 + x1) + x2) + ...`, rounded to the
 * array's type after every addition), which is what MPICH computes for two ranks; `avg` divides
 * the sum by the size. Collectives whose ranks disagree (op, length, type, root) reject on every
 * rank instead of corrupting memory.
 *
 * @module
 */

import { _checkBroadcast, _checkReduce, _divideBySize, _kind } from "./_check.ts";
import type { BroadcastArray, Communicator, NumericArray, ReduceOp } from "./types.ts";

/** Options of {@linkcode createLoopbackGroup}. */
export interface LoopbackOptions {
  /**
   * Called once by the first `abort` of any rank; afterwards every pending and later collective
   * of the group rejects with the abort message.
   * @default {print `newbob: rank R of N: message` to stderr}
   */
  onAbort?: (message: string, code: number, rank: number) => void;
}

interface Pending {
  kind: string;
  detail: string;
  arrays: (BroadcastArray | undefined)[];
  arrived: number;
  resolvers: { resolve: () => void; reject: (e: Error) => void }[];
}

/**
 * Create `size` communicators that talk to each other in this process.
 *
 * @param size Number of ranks (>= 1).
 * @param options What `abort` does.
 * @returns The communicators, index = rank.
 * @throws {RangeError} for a size that is not a positive integer.
 *
 * @example Usage
 * ```ts
 * import { createLoopbackGroup, type LoopbackOptions } from "./loopback.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const options: LoopbackOptions = {};
 * const ranks = createLoopbackGroup(2, options);
 * const data = [new Float32Array([1, 2]), new Float32Array([3, 4])];
 * await Promise.all(ranks.map((c, r) => c.allReduce(data[r], "avg")));
 * deepEqual([...data[1]], [2, 3]);
 * ```
 */
export function createLoopbackGroup(size: number, options: LoopbackOptions = {}): Communicator[] {
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(
      `Cannot create a loopback group as 'size' must be a positive integer: current value is ${size}`,
    );
  }
  const pending = new Map<number, Pending>();
  let aborted: Error | undefined;

  const onAbort = options.onAbort ??
    ((message: string, _code: number, rank: number) =>
      console.error(`newbob: rank ${rank} of ${size}: ${message}`));

  function join(
    rank: number,
    seq: number,
    kind: string,
    detail: string,
    array: BroadcastArray | undefined,
    finish: (arrays: (BroadcastArray | undefined)[]) => void,
  ): Promise<void> {
    if (aborted) return Promise.reject(aborted);
    let p = pending.get(seq);
    if (p === undefined) {
      p = { kind, detail, arrays: new Array(size), arrived: 0, resolvers: [] };
      pending.set(seq, p);
    }
    const entry = p;
    entry.arrays[rank] = array;
    entry.arrived++;
    const done = new Promise<void>((resolve, reject) => entry.resolvers.push({ resolve, reject }));
    if (entry.kind !== kind || entry.detail !== detail) {
      entry.detail = `MISMATCH`;
      entry.kind = `${entry.kind}/${kind}`;
    }
    if (entry.arrived === size) {
      pending.delete(seq);
      if (entry.detail === "MISMATCH") {
        const e = new Error(
          `Collective #${seq} does not match across ranks (${entry.kind}): every rank must call ` +
            "the same collectives in the same order, with the same op, length, type and root",
        );
        for (const r of entry.resolvers) r.reject(e);
      } else {
        finish(entry.arrays);
        for (const r of entry.resolvers) r.resolve();
      }
    }
    return done;
  }

  return Array.from({ length: size }, (_, rank): Communicator => {
    let seq = 0;
    let done = false;
    const live = (what: string) => {
      if (done) throw new Error(`Cannot ${what} as the communicator was finalized`);
    };
    return {
      rank,
      size,
      localRank: rank,
      localSize: size,
      transport: "loopback",
      description: `loopback group (rank ${rank} of ${size})`,
      allReduce(data: NumericArray, op?: ReduceOp): Promise<void> {
        const o = _checkReduce(data, op);
        live("all-reduce");
        const detail = `${o}:${_kind(data)}:${data.length}`;
        return join(rank, seq++, "allReduce", detail, data, (arrays) => {
          _reduceInto(arrays as NumericArray[], o);
        });
      },
      broadcast(data: BroadcastArray, root?: number): Promise<void> {
        const r = _checkBroadcast(data, root, size);
        live("broadcast");
        const detail = `${r}:${_kind(data)}:${data.length}`;
        return join(rank, seq++, "broadcast", detail, data, (arrays) => {
          const src = arrays[r]!;
          for (const a of arrays) if (a !== src) a!.set(src as never);
        });
      },
      barrier(): Promise<void> {
        live("wait at a barrier");
        return join(rank, seq++, "barrier", "", undefined, () => {});
      },
      abort(message: string, code = 1): Promise<never> {
        if (!aborted) {
          aborted = new Error(`rank ${rank} aborted the job: ${message}`);
          onAbort(message, code, rank);
          for (const p of pending.values()) for (const r of p.resolvers) r.reject(aborted);
          pending.clear();
        }
        return Promise.reject(aborted);
      },
      finalize(): Promise<void> {
        live("finalize");
        done = true;
        return Promise.resolve();
      },
    };
  });
}

/** Reduce every rank's array into all of them, folding in rank order. */
function _reduceInto(arrays: NumericArray[], op: ReduceOp): void {
  const n = arrays[0].length;
  const out = arrays[0].slice() as NumericArray;
  const round: (x: number) => number = out instanceof Float32Array
    ? Math.fround
    : out instanceof Int32Array
    ? (x) => x | 0
    : (x) => x;
  for (let r = 1; r < arrays.length; r++) {
    const a = arrays[r];
    for (let i = 0; i < n; i++) {
      const x = out[i], y = a[i];
      // MPICH's MPIR_MAX / MPIR_MIN: `x > y ? x : y`, `x < y ? x : y`.
      out[i] = op === "max" ? (x > y ? x : y) : op === "min" ? (x < y ? x : y) : round(x + y);
    }
  }
  if (op === "avg") _divideBySize(out as Float32Array | Float64Array, arrays.length);
  for (const a of arrays) a.set(out as never);
}
