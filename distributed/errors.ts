/**
 * The error of the distributed layer's environment and failures (no MPI library, not allowed to
 * load it, ranks that did not meet, a collective that failed): the CLI catches it and prints its
 * message as one line, since the message already says what to do.
 *
 * @module
 */

/**
 * Something outside the program's arguments went wrong: the MPI library, the launcher, the
 * other ranks.
 *
 * @example Usage
 * ```ts
 * import { DistributedError } from "./errors.ts";
 * import { equal } from "node:assert/strict";
 * const e = new DistributedError("Cannot find an MPI library: install mpich");
 * equal(e.name, "DistributedError");
 * ```
 */
export class DistributedError extends Error {
  /**
   * Create the error.
   * @param message What went wrong and how to fix it.
   */
  constructor(message: string) {
    super(message);
    this.name = "DistributedError";
  }
}
