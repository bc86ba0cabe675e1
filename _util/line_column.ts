/**
 * Where an offset of a text is, for error messages that point into a file.
 *
 * @module
 */

/**
 * The 1-based line and column of an offset (lines end at `\n`).
 *
 * @param text The text.
 * @param offset A 0-based offset into it.
 * @returns `[line, column]`.
 *
 * @example Usage
 * ```ts
 * import { lineColumn } from "./line_column.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(lineColumn("ab\ncd", 4), [2, 2]);
 * ```
 */
export function lineColumn(text: string, offset: number): [number, number] {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return [line, offset - lineStart + 1];
}
