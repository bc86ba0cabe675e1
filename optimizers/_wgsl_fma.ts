/**
 * Private: a fused multiply-add in WGSL that does not depend on the device. torch's CPU kernels
 * run `add_(x, alpha=a)` and `addcmul_` as fused multiply-adds (fixture README, quirk 8); where a
 * result then cancels (coupled weight decay `g + wd·p` with g ≈ -wd·p, centered RMSprop's
 * `sq - ga²`) the rounding of the product shows. WGSL's `fma()` may run unfused (llvmpipe does),
 * and shader compilers apply inexact float algebra, so the usual error-free transformations are
 * written so that no float simplification can see through them.
 *
 * @module
 */

/**
 * WGSL statements binding `name` to `a·b + c` rounded once, for `vec4<f32>` operands (`a`, `b`,
 * `c` are WGSL expressions, evaluated once): Dekker's exact product error, with the halves cut by
 * masking the mantissa (integer ops), plus the exact error of the sum (Fast2Sum, larger operand
 * first), whose `s - big` multiplies `big` by `one`, an expression equal to 1 at run time that
 * the compiler cannot prove to be 1 (a uniform), so that `(big + small) - big` is not folded to
 * `small`. A compiler that contracts some steps into fused operations leaves the partial products
 * exact. Components with |a|, |b| ≥ 1e30 or |a·b| ≥ 1e36 (where the error terms overflow), and
 * those whose sum is ±Infinity or NaN (where the error terms are NaN), get the plain `a·b + c`. Names starting with `${name}_` are declared too.
 * @example Usage
 * ```ts
 * import { _fmaWgsl } from "./_wgsl_fma.ts";
 * import { equal } from "node:assert/strict";
 * const lines = _fmaWgsl("r", "a", "b", "c", "u.one");
 * equal(lines.at(-1)!.startsWith("let r = select("), true);
 * ```
 */
export function _fmaWgsl(name: string, a: string, b: string, c: string, one: string): string[] {
  const x = `${name}_`;
  const mask = "vec4<u32>(0xFFFFF000u)";
  return [
    `let ${x}a = ${a};`,
    `let ${x}b = ${b};`,
    `let ${x}c = ${c};`,
    `let ${x}p = ${x}a * ${x}b;`,
    `let ${x}ah = bitcast<vec4<f32>>(bitcast<vec4<u32>>(${x}a) & ${mask});`,
    `let ${x}al = ${x}a - ${x}ah;`,
    `let ${x}bh = bitcast<vec4<f32>>(bitcast<vec4<u32>>(${x}b) & ${mask});`,
    `let ${x}bl = ${x}b - ${x}bh;`,
    `let ${x}pe = ((${x}ah * ${x}bh - ${x}p) + ${x}ah * ${x}bl + ${x}al * ${x}bh) + ` +
    `${x}al * ${x}bl;`,
    `let ${x}pbig = abs(${x}p) >= abs(${x}c);`,
    `let ${x}big = select(${x}c, ${x}p, ${x}pbig);`,
    `let ${x}small = select(${x}p, ${x}c, ${x}pbig);`,
    `let ${x}s = ${x}big + ${x}small;`,
    `let ${x}se = ${x}small - (${x}s - ${x}big * ${one});`,
    `let ${x}ok = (abs(${x}a) < vec4<f32>(1e30)) & (abs(${x}b) < vec4<f32>(1e30)) & ` +
    `(abs(${x}p) < vec4<f32>(1e36)) & ` +
    `((bitcast<vec4<u32>>(${x}s) & vec4<u32>(0x7f800000u)) != vec4<u32>(0x7f800000u));`,
    `let ${name} = select(${x}s, ${x}s + (${x}se + ${x}pe), ${x}ok);`,
  ];
}
