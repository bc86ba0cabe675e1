/**
 * A parser for the Python literals found in learning-rate files (spec 8.2): a tokenizer plus a
 * recursive-descent parser with bounded depth, linear in the input. Nothing is ever evaluated.
 *
 * @module
 */

import { _lineColumn } from "./_repr.ts";
import { LearningRateFileError } from "./errors.ts";
import { PyCall, PyDict, PyFloat, PyTuple } from "./py_value.ts";

/** Options of {@linkcode parsePyLiteral}. */
export interface ParsePyLiteralOptions {
  /** File name for error messages. */
  path?: string;
  /** Names that may be called with keyword arguments; they come back as {@linkcode PyCall}. */
  calls?: readonly string[];
}

const MAX_DEPTH = 100;
const MAX_INT_DIGITS = 4300; // Python's own limit for int literals.

type Tok =
  | { t: "num"; v: number | bigint; at: number; end: number }
  | { t: "str"; v: string; at: number; end: number }
  | { t: "name"; v: string; at: number; end: number }
  | { t: "op"; v: string; at: number; end: number }
  | { t: "eof"; v: ""; at: number; end: number };

const OPS = new Set(["{", "}", "[", "]", "(", ")", ",", ":", "=", ".", "+", "-"]);
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const IDENT_CHAR = /[A-Za-z0-9_]/;
/** Whether `s[i]` is a digit of the radix (2, 8, 10 or 16). */
function _isDigit(s: string, i: number, radix: number): boolean {
  const c = s.charCodeAt(i);
  if (radix === 16) return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
  return c >= 48 && c < 48 + radix;
}

/** The end of the digits (single underscores allowed between digits) starting at `i`. */
function _digits(s: string, i: number, radix = 10): number {
  if (!_isDigit(s, i, radix)) return i;
  i++;
  for (;;) {
    if (_isDigit(s, i, radix)) i++;
    else if (s[i] === "_" && _isDigit(s, i + 1, radix)) i += 2;
    else return i;
  }
}

/**
 * Python's `float(text)` for a string: decimal with optional underscores between digits,
 * `nan`, `inf`, `infinity` (any case, optional sign), surrounding whitespace ignored.
 *
 * @param text The string.
 * @returns The float, or `undefined` when Python would raise `ValueError`.
 *
 * @example What Python's `float(str)` accepts
 * ```ts
 * import { parsePyFloatString } from "./py_literal.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(parsePyFloatString(" -inf "), -Infinity);
 * equal(parsePyFloatString("1e"), undefined);
 * ```
 */
export function parsePyFloatString(text: string): number | undefined {
  const s = text.trim();
  const lower = s.toLowerCase();
  const body = lower.replace(/^[+-]/, "");
  const neg = lower.startsWith("-");
  if (body === "nan") return NaN;
  if (body === "inf" || body === "infinity") return neg ? -Infinity : Infinity;
  let i = s[0] === "+" || s[0] === "-" ? 1 : 0;
  const intEnd = _digits(s, i);
  let end = intEnd;
  if (s[end] === ".") end = _digits(s, end + 1);
  if (end === i || (end === intEnd + 1 && intEnd === i)) return undefined; // no digits at all
  i = end;
  if (s[i] === "e" || s[i] === "E") {
    const sign = s[i + 1] === "+" || s[i + 1] === "-" ? 1 : 0;
    end = _digits(s, i + 1 + sign);
    if (end === i + 1 + sign) return undefined;
  }
  if (end !== s.length) return undefined;
  return Number(s.replaceAll("_", ""));
}

/**
 * Parse one Python literal expression: numbers (ints become `bigint`, floats `number`), strings
 * (both quote styles, `r`/`u` prefixes, escapes, adjacent literals joined), `None`, `True`,
 * `False`, `nan`, `inf`, `float('nan')`-style calls, `np.float64(x)` ({@linkcode PyFloat}),
 * unary signs, lists, tuples ({@linkcode PyTuple}), dicts ({@linkcode PyDict}), comments, and
 * keyword-argument calls of the names in `options.calls` ({@linkcode PyCall}).
 *
 * @param text The source text.
 * @param options File name and allowed calls.
 * @returns The value.
 * @throws {LearningRateFileError} On any syntax error or unsupported construct, with line,
 * column and what was expected.
 *
 * @example A dict keeps its order; ints are bigints, `None` is null
 * ```ts
 * import { parsePyLiteral } from "./py_literal.ts";
 * import { PyDict } from "./py_value.ts";
 * import { deepEqual, ok } from "node:assert/strict";
 *
 * const d = parsePyLiteral("{'a': [1, 2.5], 'b': None}");
 * ok(d instanceof PyDict);
 * deepEqual(d.entries, [["a", [1n, 2.5]], ["b", null]]);
 * ```
 */
export function parsePyLiteral(text: string, options: ParsePyLiteralOptions = {}): unknown {
  return new _Parser(text, options).parseDocument();
}

class _Parser {
  readonly #text: string;
  readonly #path: string | undefined;
  readonly #calls: ReadonlySet<string>;
  #pos = 0;
  #tok: Tok;

  constructor(text: string, options: ParsePyLiteralOptions) {
    this.#text = text;
    this.#path = options.path;
    this.#calls = new Set(options.calls ?? []);
    this.#tok = this.#lex();
  }

  parseDocument(): unknown {
    const value = this.#expr(0);
    if (this.#tok.t !== "eof") {
      this.#fail(this.#tok.at, `expected the end of the file, found ${this.#describe(this.#tok)}`);
    }
    return value;
  }

  #fail(offset: number, problem: string): never {
    const [line, column] = _lineColumn(this.#text, offset);
    throw new LearningRateFileError(problem, line, column, this.#path);
  }

  #describe(tok: Tok): string {
    switch (tok.t) {
      case "eof":
        return "the end of the file";
      case "str":
        return "a string";
      case "num":
        return "a number";
      case "name":
        return `'${tok.v.length > 30 ? tok.v.slice(0, 30) + "..." : tok.v}'`;
      case "op":
        return `'${tok.v}'`;
    }
  }

  // ---------------------------------------------------------------- tokenizer

  #skipSpace(): void {
    const s = this.#text;
    for (;;) {
      const c = s.charCodeAt(this.#pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c) this.#pos++;
      else if (c === 0x23) { // '#': comment to the end of the line
        const nl = s.indexOf("\n", this.#pos);
        this.#pos = nl === -1 ? s.length : nl;
      } else if (c === 0x5c && (s[this.#pos + 1] === "\n" || s.startsWith("\r\n", this.#pos + 1))) {
        this.#pos += s[this.#pos + 1] === "\n" ? 2 : 3; // explicit line joining
      } else return;
    }
  }

  #lex(): Tok {
    this.#skipSpace();
    const s = this.#text;
    const at = this.#pos;
    if (at >= s.length) return { t: "eof", v: "", at, end: at };
    const ch = s[at];
    if ((ch >= "0" && ch <= "9") || (ch === "." && s[at + 1] >= "0" && s[at + 1] <= "9")) {
      return this.#lexNumber(at);
    }
    if (ch === "'" || ch === '"') return this.#lexString(at, at, false);
    NAME.lastIndex = at;
    const m = NAME.exec(s);
    if (m) {
      const name = m[0];
      const next = s[at + name.length];
      if ((next === "'" || next === '"') && name.length <= 2) {
        const p = name.toLowerCase();
        if (p === "r" || p === "u") return this.#lexString(at, at + name.length, p === "r");
        if (/^(?:b|br|rb|f|fr|rf)$/.test(p)) {
          this.#fail(
            at,
            `${
              p.includes("b") ? "bytes" : "f-string"
            } literals are not supported: use a plain string`,
          );
        }
      }
      this.#pos = at + name.length;
      return { t: "name", v: name, at, end: this.#pos };
    }
    if (OPS.has(ch)) {
      this.#pos = at + 1;
      return { t: "op", v: ch, at, end: this.#pos };
    }
    const cp = s.codePointAt(at)!;
    return this.#fail(
      at,
      `unexpected character ${JSON.stringify(String.fromCodePoint(cp))} (U+${
        cp.toString(16).toUpperCase().padStart(4, "0")
      }): expected a value`,
    );
  }

  /**
   * Scan a number literal by hand (no regular expressions: a megabyte of digits would overflow
   * a backtracking engine's stack). Linear in the literal's length.
   */
  #lexNumber(at: number): Tok {
    const s = this.#text;
    const digits = (i: number, radix = 10) => _digits(s, i, radix);
    let value: number | bigint;
    let end: number;
    const prefix = s[at] === "0" ? (s[at + 1] ?? "").toLowerCase() : "";
    const radix = prefix === "x" ? 16 : prefix === "o" ? 8 : prefix === "b" ? 2 : 0;
    if (radix !== 0) {
      const start = s[at + 2] === "_" ? at + 3 : at + 2;
      end = digits(start, radix);
      if (end === start) {
        this.#fail(
          at,
          `invalid ${prefix === "x" ? "hexadecimal" : prefix === "o" ? "octal" : "binary"} literal`,
        );
      }
      if (end - at > MAX_INT_DIGITS) {
        this.#fail(at, `integer literal longer than ${MAX_INT_DIGITS} digits`);
      }
      value = BigInt("0" + prefix + s.slice(start, end).replaceAll("_", ""));
    } else {
      const intEnd = digits(at);
      end = intEnd;
      let isFloat = false;
      if (s[end] === ".") {
        isFloat = true;
        end = digits(end + 1);
      }
      if (s[end] === "e" || s[end] === "E") {
        const sign = s[end + 1] === "+" || s[end + 1] === "-" ? 1 : 0;
        const expEnd = digits(end + 1 + sign);
        if (expEnd > end + 1 + sign) {
          isFloat = true;
          end = expEnd;
        }
      }
      const text = s.slice(at, end).replaceAll("_", "");
      if (isFloat) {
        value = Number(text);
      } else {
        if (text.length > MAX_INT_DIGITS) {
          this.#fail(at, `integer literal longer than ${MAX_INT_DIGITS} digits (Python's limit)`);
        }
        if (text.length > 1 && text[0] === "0" && /[1-9]/.test(text)) {
          this.#fail(at, "leading zeros in a decimal integer are not allowed (use 0o for octal)");
        }
        value = BigInt(text);
      }
    }
    if (end < s.length && IDENT_CHAR.test(s[end])) {
      this.#fail(
        end,
        `invalid number literal: unexpected ${JSON.stringify(s[end])} after the digits`,
      );
    }
    this.#pos = end;
    return { t: "num", v: value, at, end };
  }

  #lexString(at: number, quoteAt: number, raw: boolean): Tok {
    const s = this.#text;
    const q = s[quoteAt];
    const triple = s.startsWith(q + q + q, quoteAt);
    const delim = triple ? q + q + q : q;
    let i = quoteAt + delim.length;
    const parts: string[] = [];
    let chunk = i;
    for (;;) {
      if (i >= s.length) {
        this.#fail(at, `unterminated string literal: expected a closing ${delim}`);
      }
      const c = s[i];
      if (c === q && (!triple || s.startsWith(delim, i))) {
        parts.push(s.slice(chunk, i));
        i += delim.length;
        break;
      }
      if ((c === "\n" || c === "\r") && !triple) {
        this.#fail(
          at,
          `unterminated string literal: expected a closing ${q} before the end of the line`,
        );
      }
      if (c !== "\\") {
        i++;
        continue;
      }
      if (raw) { // a backslash keeps itself and protects the next character
        i += 2;
        continue;
      }
      parts.push(s.slice(chunk, i));
      const [text, next] = this.#escape(i);
      parts.push(text);
      i = next;
      chunk = i;
    }
    this.#pos = i;
    return { t: "str", v: parts.join(""), at, end: i };
  }

  /** Decode the escape at `i` (a backslash); returns the text and the offset after it. */
  #escape(i: number): [string, number] {
    const s = this.#text;
    const c = s[i + 1];
    const simple: Record<string, string> = {
      "\\": "\\",
      "'": "'",
      '"': '"',
      a: "\x07",
      b: "\b",
      f: "\f",
      n: "\n",
      r: "\r",
      t: "\t",
      v: "\v",
      "\n": "",
    };
    if (c === undefined) {
      this.#fail(i, "unterminated string literal: the file ends after a backslash");
    }
    if (c in simple) return [simple[c], i + 2];
    if (c === "\r") return ["", s[i + 2] === "\n" ? i + 3 : i + 2];
    if (c >= "0" && c <= "7") {
      let j = i + 1;
      while (j < i + 4 && s[j] >= "0" && s[j] <= "7") j++;
      return [String.fromCharCode(parseInt(s.slice(i + 1, j), 8)), j];
    }
    const hexLen = c === "x" ? 2 : c === "u" ? 4 : c === "U" ? 8 : 0;
    if (hexLen > 0) {
      const hex = s.slice(i + 2, i + 2 + hexLen);
      if (!new RegExp(`^[0-9a-fA-F]{${hexLen}}$`).test(hex)) {
        this.#fail(i, `truncated \\${c} escape: expected ${hexLen} hex digits`);
      }
      const cp = parseInt(hex, 16);
      if (cp > 0x10ffff) this.#fail(i, `illegal Unicode character in \\U escape: ${hex}`);
      return [cp > 0xffff ? String.fromCodePoint(cp) : String.fromCharCode(cp), i + 2 + hexLen];
    }
    if (c === "N") this.#fail(i, "\\N{...} escapes are not supported: write the character itself");
    return ["\\" + c, i + 2]; // unknown escapes keep the backslash, as in Python
  }

  #advance(): Tok {
    const tok = this.#tok;
    this.#tok = this.#lex();
    return tok;
  }

  #isOp(v: string): boolean {
    return this.#tok.t === "op" && this.#tok.v === v;
  }

  #expect(v: string, what: string): Tok {
    if (!this.#isOp(v)) {
      this.#fail(this.#tok.at, `expected '${v}' ${what}, found ${this.#describe(this.#tok)}`);
    }
    return this.#advance();
  }

  // ---------------------------------------------------------------- grammar

  #expr(depth: number): unknown {
    if (depth > MAX_DEPTH) {
      this.#fail(this.#tok.at, `values nested more than ${MAX_DEPTH} levels deep`);
    }
    let negate = false;
    let signAt = -1;
    while (this.#isOp("-") || this.#isOp("+")) {
      if (signAt < 0) signAt = this.#tok.at;
      if (this.#tok.v === "-") negate = !negate;
      this.#advance();
    }
    const value = this.#primary(depth);
    if (signAt < 0) return value;
    if (typeof value === "number") return negate ? -value : value;
    if (typeof value === "bigint") return negate ? -value : value;
    if (typeof value === "boolean") return BigInt(value ? (negate ? -1 : 1) : 0);
    if (value instanceof PyFloat) return negate ? new PyFloat(-value.value, value.numpy) : value;
    return this.#fail(signAt, "a sign must be followed by a number");
  }

  #primary(depth: number): unknown {
    const tok = this.#tok;
    switch (tok.t) {
      case "num":
        this.#advance();
        return tok.v;
      case "str": {
        this.#advance();
        if (this.#tok.t !== "str") return tok.v;
        const parts = [tok.v];
        while (this.#tok.t === "str") parts.push(this.#advance().v as string);
        return parts.join("");
      }
      case "op":
        if (tok.v === "{") return this.#dict(depth);
        if (tok.v === "[") return this.#list(depth);
        if (tok.v === "(") return this.#paren(depth);
        break;
      case "name":
        return this.#name(depth);
    }
    return this.#fail(tok.at, `expected a value, found ${this.#describe(tok)}`);
  }

  #dict(depth: number): PyDict {
    this.#advance(); // {
    const entries: [unknown, unknown][] = [];
    const offsets: number[] = [];
    const index = new Map<string, number>();
    while (!this.#isOp("}")) {
      const keyAt = this.#tok.at;
      const key = this.#expr(depth + 1);
      const canon = _hashKey(key);
      if (canon === undefined) this.#fail(keyAt, "unhashable dict key: use a number or a string");
      if (!this.#isOp(":")) {
        if (this.#isOp(",") || this.#isOp("}")) {
          this.#fail(
            keyAt,
            "set literals are not supported: expected a dict with 'key: value' items",
          );
        }
        this.#fail(
          this.#tok.at,
          `expected ':' after the dict key, found ${this.#describe(this.#tok)}`,
        );
      }
      this.#advance();
      const value = this.#expr(depth + 1);
      const seen = index.get(canon);
      if (seen === undefined) {
        index.set(canon, entries.length);
        entries.push([key, value]);
        offsets.push(keyAt);
      } else {
        entries[seen] = [entries[seen][0], value]; // Python keeps the first key, the last value
      }
      if (this.#isOp(",")) this.#advance();
      else if (!this.#isOp("}")) {
        this.#fail(
          this.#tok.at,
          `expected ',' or '}' after a dict item, found ${this.#describe(this.#tok)}`,
        );
      }
    }
    this.#advance(); // }
    return new PyDict(entries, offsets);
  }

  #list(depth: number): unknown[] {
    this.#advance(); // [
    const items: unknown[] = [];
    while (!this.#isOp("]")) {
      items.push(this.#expr(depth + 1));
      if (this.#isOp(",")) this.#advance();
      else if (!this.#isOp("]")) {
        this.#fail(
          this.#tok.at,
          `expected ',' or ']' after a list item, found ${this.#describe(this.#tok)}`,
        );
      }
    }
    this.#advance(); // ]
    return items;
  }

  #paren(depth: number): unknown {
    this.#advance(); // (
    if (this.#isOp(")")) {
      this.#advance();
      return new PyTuple([]);
    }
    const first = this.#expr(depth + 1);
    if (this.#isOp(")")) {
      this.#advance();
      return first;
    }
    const items = [first];
    while (this.#isOp(",")) {
      this.#advance();
      if (this.#isOp(")")) break;
      items.push(this.#expr(depth + 1));
    }
    this.#expect(")", "to close the tuple");
    return new PyTuple(items);
  }

  #name(depth: number): unknown {
    const tok = this.#advance();
    const name = tok.v as string;
    switch (name) {
      case "None":
        return null;
      case "True":
        return true;
      case "False":
        return false;
      case "nan":
        return NaN;
      case "inf":
        return Infinity;
      case "float":
        return this.#floatCall(depth, false);
      case "np":
      case "numpy": {
        this.#expect(".", `after '${name}'`);
        const attr = this.#tok;
        if (attr.t !== "name") this.#fail(attr.at, `expected 'float64' after '${name}.'`);
        this.#advance();
        if (attr.v === "float64") return this.#floatCall(depth, true);
        if (attr.v === "nan") return NaN;
        if (attr.v === "inf") return Infinity;
        return this.#fail(
          attr.at,
          `'${name}.${attr.v}' is not supported: expected ${name}.float64(...)`,
        );
      }
    }
    if (this.#calls.has(name)) return this.#call(depth, name, tok.at);
    const known = [
      "None",
      "True",
      "False",
      "nan",
      "inf",
      "float(...)",
      "np.float64(...)",
      ...this.#calls,
    ];
    return this.#fail(
      tok.at,
      `unknown name '${name.length > 30 ? name.slice(0, 30) + "..." : name}': expected a value (${
        known.join(", ")
      })`,
    );
  }

  #floatCall(depth: number, numpy: boolean): number | PyFloat {
    const what = numpy ? "np.float64" : "float";
    this.#expect("(", `after '${what}'`);
    const argAt = this.#tok.at;
    const arg = this.#expr(depth + 1);
    if (this.#isOp(",")) this.#advance();
    this.#expect(")", `to close ${what}(...)`);
    let x: number | undefined;
    if (typeof arg === "number") x = arg;
    else if (typeof arg === "bigint" || typeof arg === "boolean") x = Number(arg);
    else if (arg instanceof PyFloat) x = arg.value;
    else if (typeof arg === "string") {
      x = parsePyFloatString(arg);
      if (x === undefined) {
        this.#fail(argAt, `could not convert string to float: ${JSON.stringify(arg.slice(0, 40))}`);
      }
    } else this.#fail(argAt, `${what}() needs a number or a string`);
    if (typeof arg === "bigint" && !Number.isFinite(x)) {
      this.#fail(argAt, "int too large to convert to float");
    }
    return numpy ? new PyFloat(x!, true) : x!;
  }

  #call(depth: number, name: string, at: number): PyCall {
    this.#expect("(", `after '${name}'`);
    const kwargs = new Map<string, unknown>();
    while (!this.#isOp(")")) {
      const key = this.#tok;
      if (key.t !== "name") {
        this.#fail(
          key.at,
          `${name}(...) takes keyword arguments only: expected 'name=value', found ${
            this.#describe(key)
          }`,
        );
      }
      this.#advance();
      this.#expect("=", `after the keyword '${key.v}'`);
      if (kwargs.has(key.v)) this.#fail(key.at, `keyword argument '${key.v}' repeated`);
      kwargs.set(key.v, this.#expr(depth + 1));
      if (this.#isOp(",")) this.#advance();
      else if (!this.#isOp(")")) {
        this.#fail(
          this.#tok.at,
          `expected ',' or ')' in ${name}(...), found ${this.#describe(this.#tok)}`,
        );
      }
    }
    this.#advance();
    return new PyCall(name, kwargs, at);
  }
}

/** Python's key equality (1 == 1.0 == True) as a string, or `undefined` if unhashable. */
function _hashKey(key: unknown): string | undefined {
  if (key === null) return "None";
  if (typeof key === "string") return "s" + key;
  if (typeof key === "boolean") return "n" + (key ? "1" : "0");
  if (typeof key === "bigint") return "n" + key.toString();
  if (typeof key === "number" || key instanceof PyFloat) {
    const x = Number(key);
    if (Number.isInteger(x)) return "n" + BigInt(x).toString();
    return "f" + (Number.isNaN(x) ? "nan" + Math.random() : String(x)); // NaN != NaN
  }
  if (key instanceof PyTuple) {
    const parts = key.items.map(_hashKey);
    return parts.includes(undefined) ? undefined : "t" + JSON.stringify(parts);
  }
  return undefined;
}
