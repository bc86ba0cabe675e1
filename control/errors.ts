/**
 * Errors of the learning-rate control that callers are meant to catch.
 *
 * @module
 */

/** What a {@linkcode LearningRateControlError} knows about the failing decision. */
export interface LearningRateControlErrorDetail {
  /** The epoch whose learning rate could not be decided. */
  epoch: number;
  /** The error key (score name) involved, or `null`. */
  key: string | null;
}

/**
 * A learning-rate decision that RETURNN itself would crash on (a zero score used as divisor,
 * decay and growth firing together, a decay function returning a non-number). The message names
 * the epoch, the key, the values and the fix.
 *
 * @example Callers read the epoch and key
 * ```ts
 * import { LearningRateControlError } from "./errors.ts";
 * import { equal } from "node:assert/strict";
 *
 * const e = new LearningRateControlError("score is 0.0", { epoch: 4, key: "dev_score" });
 * equal(e.epoch, 4);
 * equal(e.key, "dev_score");
 * ```
 */
export class LearningRateControlError extends Error {
  /** The epoch whose learning rate could not be decided. */
  readonly epoch: number;
  /** The error key involved, or `null`. */
  readonly key: string | null;

  /**
   * Create the error.
   *
   * @param message The full message (what is wrong, the values, and how to fix it).
   * @param detail The epoch and key.
   */
  constructor(message: string, detail: LearningRateControlErrorDetail) {
    super(message);
    this.name = "LearningRateControlError";
    this.epoch = detail.epoch;
    this.key = detail.key;
  }
}

/**
 * A learning-rate file (or Python literal) that cannot be read: a syntax error or a value of the
 * wrong kind. `line` and `column` are 1-based; the message says what was expected.
 *
 * @example The message starts with `file:line:column`
 * ```ts
 * import { LearningRateFileError } from "./errors.ts";
 * import { equal } from "node:assert/strict";
 *
 * const e = new LearningRateFileError("expected ':'", 3, 7, "out/lr");
 * equal(e.message, "out/lr:3:7: expected ':'");
 * ```
 */
export class LearningRateFileError extends SyntaxError {
  /** 1-based line of the problem. */
  readonly line: number;
  /** 1-based column of the problem. */
  readonly column: number;
  /** The file, when known. */
  readonly path: string | undefined;

  /**
   * Create the error.
   *
   * @param problem What is wrong and what was expected.
   * @param line 1-based line.
   * @param column 1-based column.
   * @param path The file name, if known.
   */
  constructor(problem: string, line: number, column: number, path?: string) {
    super(`${path ?? "<learning-rate file>"}:${line}:${column}: ${problem}`);
    this.name = "LearningRateFileError";
    this.line = line;
    this.column = column;
    this.path = path;
  }
}
