/**
 * Render a user-given value for an error message (`Cannot create ... as 'x' must be ...:
 * current value is <value>`).
 *
 * @module
 */

/**
 * A value as a user would write it: strings quoted, `-0` kept, arrays in brackets, objects as
 * JSON, functions as "a function".
 *
 * @param value Any value from a config or an options object.
 * @returns Its text.
 *
 * @example Usage
 * ```ts
 * import { showValue } from "./show.ts";
 * console.assert(showValue([0.9, "x"]) === '[0.9, "x"]' && showValue(-0) === "-0");
 * ```
 */
export function showValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") return Object.is(value, -0) ? "-0" : String(value);
  if (typeof value === "function") return "a function";
  if (Array.isArray(value)) return `[${value.map(showValue).join(", ")}]`;
  if (value === undefined || value === null) return String(value);
  if (typeof value === "object") {
    try {
      return JSON.stringify(value);
    } catch {
      return String(value);
    }
  }
  return String(value);
}
