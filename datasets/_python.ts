/**
 * Python's parsing rules where RETURNN's option strings depend on them.
 *
 * @module
 */

/**
 * Python's `int(text)` for what configs contain: an optional sign and digits (underscores between
 * digits allowed), surrounding whitespace ignored.
 *
 * @param text The text.
 * @returns The integer, or `undefined` where Python's `int()` raises.
 */
export function pyInt(text: string): number | undefined {
  const t = text.trim();
  if (!/^[+-]?\d+(_\d+)*$/.test(t)) return undefined;
  return Number(t.replaceAll("_", ""));
}
