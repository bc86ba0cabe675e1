/**
 * The single-process communicator (size 1): what a distributed config gets when it is not
 * started by `mpirun`, or with one rank. Every collective is the identity; the arguments are
 * checked exactly as a real transport checks them.
 *
 * @module
 */

import { _checkBroadcast, _checkReduce } from "./_check.ts";
import type { BroadcastArray, Communicator, NumericArray, ReduceOp } from "./types.ts";

/** Options of {@linkcode createSingleProcess}. */
export interface SingleProcessOptions {
  /**
   * Called by `abort` with the message and code instead of printing and exiting (tests).
   * @default {print to stderr, then `Deno.exit(code)` (or throw where there is no Deno)}
   */
  onAbort?: (message: string, code: number) => void;
}

/**
 * A communicator of one rank.
 *
 * @param options How `abort` ends the process.
 * @returns The communicator (`rank` 0, `size` 1).
 *
 * @example Usage
 * ```ts
 * import { createSingleProcess, type SingleProcessOptions } from "./single.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 *
 * const options: SingleProcessOptions = { onAbort: () => {} };
 * const comm = createSingleProcess(options);
 * const g = new Float32Array([1, 2, 3]);
 * await comm.allReduce(g, "avg");
 * deepEqual([...g], [1, 2, 3]);
 * equal(comm.size, 1);
 * ```
 */
export function createSingleProcess(options: SingleProcessOptions = {}): Communicator {
  let finalized = false;
  const live = (what: string) => {
    if (finalized) {
      throw new Error(`Cannot ${what} as the communicator was finalized: create a new one`);
    }
  };
  return {
    rank: 0,
    size: 1,
    localRank: 0,
    localSize: 1,
    transport: "single",
    description: "single process (rank 0 of 1)",
    allReduce(data: NumericArray, op?: ReduceOp): Promise<void> {
      _checkReduce(data, op);
      live("all-reduce");
      return Promise.resolve();
    },
    broadcast(data: BroadcastArray, root?: number): Promise<void> {
      _checkBroadcast(data, root, 1);
      live("broadcast");
      return Promise.resolve();
    },
    barrier(): Promise<void> {
      live("wait at a barrier");
      return Promise.resolve();
    },
    abort(message: string, code = 1): Promise<never> {
      if (options.onAbort) {
        options.onAbort(message, code);
        return new Promise<never>(() => {});
      }
      console.error(`newbob: ${message}`);
      const deno = (globalThis as { Deno?: { exit(code: number): never } }).Deno;
      if (deno) deno.exit(code);
      throw new Error(message);
    },
    finalize(): Promise<void> {
      finalized = true;
      return Promise.resolve();
    },
  };
}
