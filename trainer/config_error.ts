/**
 * The error a config with problems raises: one error listing every problem at once.
 *
 * @module
 */

/** Problems listed in the message at most (all of them stay in `problems`). */
const MAX_LISTED = 50;

/**
 * A config is invalid. `problems` holds one sentence per problem (unknown key with a
 * did-you-mean, wrong type, unsupported RETURNN key, conflicting keys); the message lists them
 * all, so a user fixes everything in one go.
 *
 * @example Usage
 * ```ts
 * import { ConfigError } from "./config_error.ts";
 * import { equal } from "node:assert/strict";
 *
 * const e = new ConfigError(["'a' is bad", "'b' is bad"], "my.config.ts");
 * equal(e.problems.length, 2);
 * equal(e.message.includes("'b' is bad"), true);
 * ```
 */
export class ConfigError extends Error {
  /** One sentence per problem. */
  readonly problems: readonly string[];
  /** Where the config came from (a path), if known. */
  readonly source: string | undefined;

  /**
   * Create the error from its problems.
   *
   * @param problems One sentence per problem.
   * @param source Where the config came from, for the message.
   */
  constructor(problems: readonly string[], source?: string) {
    const where = source ? ` in ${source}` : "";
    const n = problems.length;
    super(
      `Cannot use the config${where}: ${n} problem${n === 1 ? "" : "s"}:\n` +
        problems.slice(0, MAX_LISTED).map((p) => `  - ${p}`).join("\n") +
        (n > MAX_LISTED ? `\n  ... and ${n - MAX_LISTED} more (fix the ones above first)` : ""),
    );
    this.name = "ConfigError";
    this.problems = Object.freeze([...problems]);
    this.source = source;
  }
}
