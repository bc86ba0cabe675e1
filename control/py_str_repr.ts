/**
 * Python's `repr()` of a string, as used in learning-rate files.
 *
 * @module
 */

/**
 * Python's `repr` of a string: single quotes unless the text contains `'` and no `"`, escapes
 * for the backslash, the quote, `\t \n \r`, and `\xhh`/`\uhhhh`/`\Uhhhhhhhh` for characters
 * Python does not print.
 *
 * @param s The string.
 * @returns The quoted literal.
 *
 * @example Usage
 * ```ts
 * import { pyStrRepr } from "./py_str_repr.ts";
 * import { equal } from "node:assert/strict";
 * equal(pyStrRepr("node'1"), `"node'1"`);
 * equal(pyStrRepr("a\nb"), "'a\\nb'");
 * ```
 */
export function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  const out: string[] = [quote];
  let plainStart = 0;
  let i = 0;
  while (i < s.length) {
    const cp = s.codePointAt(i)!;
    const width = cp > 0xffff ? 2 : 1;
    let esc: string | undefined;
    if (cp === 0x5c) esc = "\\\\";
    else if (cp === quote.charCodeAt(0)) esc = "\\" + quote;
    else if (cp === 0x09) esc = "\\t";
    else if (cp === 0x0a) esc = "\\n";
    else if (cp === 0x0d) esc = "\\r";
    else if (cp < 0x20 || cp === 0x7f) esc = _hexEscape(cp);
    else if (cp > 0x7f && !_isPrintable(s.slice(i, i + width))) esc = _hexEscape(cp);
    if (esc !== undefined) {
      out.push(s.slice(plainStart, i), esc);
      plainStart = i + width;
    }
    i += width;
  }
  out.push(s.slice(plainStart), quote);
  return out.join("");
}

const NON_PRINTABLE = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]$/u;

function _isPrintable(ch: string): boolean {
  return !NON_PRINTABLE.test(ch);
}

function _hexEscape(cp: number): string {
  if (cp <= 0xff) return "\\x" + cp.toString(16).padStart(2, "0");
  if (cp <= 0xffff) return "\\u" + cp.toString(16).padStart(4, "0");
  return "\\U" + cp.toString(16).padStart(8, "0");
}
