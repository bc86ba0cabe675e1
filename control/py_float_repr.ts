/**
 * Python's `repr()` of a float (spec 12.2), needed to write learning-rate files byte for byte.
 *
 * @module
 */

/**
 * Python's `repr(x)` of a float: the shortest round-tripping digits, positional notation for
 * decimal exponents in [-4, 16) with a `.0` for integral values, otherwise `d.ddde±XX`.
 * Non-finite values give `nan`, `inf`, `-inf` (as Python's repr does).
 *
 * @param x The float.
 * @returns The text Python prints.
 *
 * @example Usage
 * ```ts
 * import { pyFloatRepr } from "./py_float_repr.ts";
 * import { equal } from "node:assert/strict";
 * equal(pyFloatRepr(1), "1.0");
 * equal(pyFloatRepr(1e-5), "1e-05");
 * equal(pyFloatRepr(0.011000000000000001), "0.011000000000000001");
 * equal(pyFloatRepr(1e16), "1e+16");
 * ```
 */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  const [mantissa, expText] = Math.abs(x).toExponential().split("e");
  const digits = mantissa.replace(".", "");
  const exp = Number(expText);
  if (exp >= -4 && exp < 16) {
    if (exp < 0) return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
    const whole = digits.slice(0, exp + 1).padEnd(exp + 1, "0");
    const frac = digits.slice(exp + 1);
    return `${sign}${whole}.${frac === "" ? "0" : frac}`;
  }
  const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const absExp = Math.abs(exp);
  return `${sign}${m}e${exp < 0 ? "-" : "+"}${absExp < 10 ? "0" : ""}${absExp}`;
}
