/**
 * JSON parsing with errors that name the line and column. `JSON.parse` messages often carry
 * neither (`Unexpected end of JSON input`, `Unexpected token 'x', "..." is not valid JSON`); on a
 * failure an iterative scanner (no recursion, linear time, any nesting depth) finds the first
 * offending character and says what was expected there.
 *
 * @module
 */

import { lineColumn } from "../_util/line_column.ts";

/** A JSON text is malformed; `line` and `column` are 1-based. */
export class JsonTextError extends SyntaxError {
  /** 1-based line of the problem. */
  readonly line: number;
  /** 1-based column (UTF-16 code units) of the problem. */
  readonly column: number;
  /**
   * @param problem What is wrong and what was expected.
   * @param line 1-based line.
   * @param column 1-based column.
   */
  constructor(problem: string, line: number, column: number) {
    super(`line ${line} column ${column}: ${problem}`);
    this.name = "JsonTextError";
    this.line = line;
    this.column = column;
  }
}

/**
 * Parse JSON text; nothing in it is evaluated (JSON holds data only).
 *
 * @param text The JSON text.
 * @returns The value.
 * @throws {JsonTextError} With line, column and the problem.
 *
 * @example Usage
 * ```ts
 * import { JsonTextError, parseJsonText } from "./json_text.ts";
 * import { equal, throws } from "node:assert/strict";
 * equal(parseJsonText('{"a": 1}').a, 1);
 * throws(() => parseJsonText('{\n  "a": 1,\n}'), JsonTextError); // line 3 column 1
 * ```
 */
// deno-lint-ignore no-explicit-any
export function parseJsonText(text: string): any {
  try {
    return JSON.parse(text);
  } catch (e) {
    const [at, problem] = _firstJsonError(text) ??
      [0, (e as Error).message.slice(0, 200)];
    const [line, column] = lineColumn(text, at);
    throw new JsonTextError(problem, line, column);
  }
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

function describe(text: string, i: number): string {
  if (i >= text.length) return "the end of the file";
  const cp = text.codePointAt(i)!;
  return `${JSON.stringify(String.fromCodePoint(cp))} (U+${
    cp.toString(16).toUpperCase().padStart(4, "0")
  })`;
}

/** Offset and description of the first syntax error, or undefined for valid JSON. */
export function _firstJsonError(text: string): [number, string] | undefined {
  const stack: string[] = [];
  type State = "value" | "valueOrEnd" | "key" | "keyOrEnd" | "after";
  let state: State = "value";
  let i = 0;
  const ws = () => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else break;
    }
  };
  /** Scan a string at `i` (a quote); returns an error or undefined. */
  const string = (): [number, string] | undefined => {
    const open = i++;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return undefined;
      }
      if (c < 0x20) return [i, `control character ${describe(text, i)} in a string: escape it`];
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
            return [i, "bad \\u escape: expected 4 hex digits"];
          }
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else return [i, `bad escape ${describe(text, i + 1)} in a string`];
      } else i++;
    }
    return [open, 'unterminated string: expected a closing "'];
  };
  for (;;) {
    ws();
    if (state === "after") {
      if (stack.length === 0) {
        return i < text.length
          ? [i, `unexpected ${describe(text, i)} after the JSON value: expected the end`]
          : undefined;
      }
      const top = stack[stack.length - 1];
      const close = top === "{" ? "}" : "]";
      if (text[i] === ",") {
        i++;
        state = top === "{" ? "key" : "value";
      } else if (text[i] === close) {
        i++;
        stack.pop();
      } else {
        return [
          i,
          `expected ',' or '${close}' after ${top === "{" ? "a property" : "an item"}, found ${
            describe(text, i)
          }`,
        ];
      }
      continue;
    }
    if (state === "key" || state === "keyOrEnd") {
      if (state === "keyOrEnd" && text[i] === "}") {
        i++;
        stack.pop();
        state = "after";
        continue;
      }
      if (text[i] !== '"') {
        return [i, `expected a property name in double quotes, found ${describe(text, i)}`];
      }
      const err = string();
      if (err) return err;
      ws();
      if (text[i] !== ":") {
        return [i, `expected ':' after the property name, found ${describe(text, i)}`];
      }
      i++;
      state = "value";
      continue;
    }
    // state: value or valueOrEnd
    const c = text[i];
    if (state === "valueOrEnd" && c === "]") {
      i++;
      stack.pop();
      state = "after";
      continue;
    }
    if (c === "{") {
      i++;
      stack.push("{");
      state = "keyOrEnd";
      continue;
    }
    if (c === "[") {
      i++;
      stack.push("[");
      state = "valueOrEnd";
      continue;
    }
    state = "after";
    if (c === '"') {
      const err = string();
      if (err) return err;
      continue;
    }
    const lit = ["true", "false", "null"].find((w) => text.startsWith(w, i));
    if (lit) {
      i += lit.length;
      continue;
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m) {
      i += m[0].length;
      continue;
    }
    return [
      i,
      `expected a value (object, array, string, number, true, false, null), found ${
        describe(text, i)
      }`,
    ];
  }
}
