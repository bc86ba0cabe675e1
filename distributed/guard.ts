/**
 * Run a rank's work so that a failure anywhere stops the whole job with one clear message,
 * instead of leaving the other ranks waiting in a collective forever.
 *
 * @module
 */

import type { Communicator } from "./types.ts";

/**
 * Run `work`; if it throws (or a promise rejects unhandled meanwhile), stop the whole job
 * through `comm.abort` with the error's message (rank 0 prints `rank R of N failed: ...`).
 * With one rank the error is simply rethrown.
 *
 * @param comm The communicator.
 * @param work The rank's work.
 * @returns What `work` returns.
 * @throws What `work` throws, when `comm.size` is 1.
 *
 * @example Usage
 * ```ts
 * import { runGuarded } from "./guard.ts";
 * import { createSingleProcess } from "./single.ts";
 * import { equal } from "node:assert/strict";
 * equal(await runGuarded(createSingleProcess(), async () => 42), 42);
 * ```
 */
export async function runGuarded<T>(comm: Communicator, work: () => Promise<T>): Promise<T> {
  if (comm.size === 1) return await work();
  const onUnhandled = (e: PromiseRejectionEvent) => {
    e.preventDefault();
    void comm.abort(describeError(e.reason));
  };
  globalThis.addEventListener("unhandledrejection", onUnhandled);
  try {
    return await work();
  } catch (e) {
    return await comm.abort(describeError(e));
  } finally {
    globalThis.removeEventListener("unhandledrejection", onUnhandled);
  }
}

/**
 * One line for an error: `Name: message` (the first line of the message; errors of newbob say
 * what to do in it).
 *
 * @param e Anything thrown.
 * @returns The line.
 *
 * @example Usage
 * ```ts
 * import { describeError } from "./guard.ts";
 * import { equal } from "node:assert/strict";
 * equal(describeError(new RangeError("bad\nstack")), "RangeError: bad");
 * ```
 */
export function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message.split("\n")[0]}`;
  return String(e).split("\n")[0];
}
