/**
 * Float64 `log`, `cos` and `sin` on `f64x2` lanes as WebAssembly functions (fdlibm's
 * polynomials: argument reduction to [√2/2, √2) for `log`, by π/2 in two parts for `cos`/`sin`,
 * which is enough on (-π, π), the range the noise kernel uses). Rounded to float32 they give the
 * same values as `Math.log`, `Math.cos` and `Math.sin` rounded to float32 on every input the noise
 * kernel can produce: `kernels/libm_wasm_test.ts` checks all of them (2^23 each).
 *
 * @module
 */

import { type FunctionEmitter, type ModuleBuilder, OP, SIMD, V128 } from "../wasm/assembler.ts";

/** Function indices of the helpers in a module. */
export interface LibmFunctions {
  /** `(v128 f64x2) -> v128`: ln x (x > 0). */
  readonly log: number;
  /** `(v128 f64x2) -> v128`: cos x for |x| ≤ π. */
  readonly cos: number;
  /** `(v128 f64x2) -> v128`: sin x for |x| ≤ π. */
  readonly sin: number;
}

/** Tiny stack-machine helpers on one function body. */
function ops(f: FunctionEmitter) {
  return {
    get: (l: number) => f.op(OP.local_get, l),
    set: (l: number) => f.op(OP.local_set, l),
    c: (x: number) => f.v128Splat("f64x2", x),
    s: (...o: number[]) => {
      for (const x of o) f.simd(x);
    },
  };
}

/** Push c0 + v(c1 + v(c2 + ...)) for the f64x2 in local `v`. */
function horner(f: FunctionEmitter, v: number, coefs: readonly number[]): void {
  const o = ops(f);
  o.c(coefs[coefs.length - 1]);
  for (let i = coefs.length - 2; i >= 0; i--) {
    o.get(v);
    o.s(SIMD.f64x2_mul);
    o.c(coefs[i]);
    o.s(SIMD.f64x2_add);
  }
}

const LG = [
  6.666666666666735130e-01,
  3.999999999940941908e-01,
  2.857142874366239149e-01,
  2.222219843214978396e-01,
  1.818357216161805012e-01,
  1.531383769920937332e-01,
  1.479819860511658591e-01,
];
const LN2_HI = 6.93147180369123816490e-01;
const LN2_LO = 1.90821492927058770002e-10;
const SQRT2 = 1.4142135623730951;

/**
 * Push ln(x) of the f64x2 in local `x` (temporaries are new locals).
 *
 * @example Usage
 * ```ts
 * import { emitLog } from "./libm_wasm.ts";
 * import { FunctionEmitter, V128 } from "../wasm/assembler.ts";
 * import { equal } from "node:assert/strict";
 * const f = new FunctionEmitter(1);
 * emitLog(f, 0);
 * equal(f.code.length > 100, true);
 * ```
 */
export function emitLog(f: FunctionEmitter, x: number): void {
  const o = ops(f);
  const [fl, s, r, hfsq, dk] = Array.from({ length: 5 }, () => f.local(V128));
  logReduce(f, x, fl, dk);
  logSeries(f, fl, s, r);
  // hfsq = 0.5 f²; log = dk·ln2_hi - ((hfsq - (s(hfsq + R) + dk·ln2_lo)) - f)
  o.get(fl);
  o.get(fl);
  o.s(SIMD.f64x2_mul);
  o.c(0.5);
  o.s(SIMD.f64x2_mul);
  o.set(hfsq);
  o.get(dk);
  o.c(LN2_HI);
  o.s(SIMD.f64x2_mul);
  o.get(hfsq);
  o.get(s);
  o.get(hfsq);
  o.get(r);
  o.s(SIMD.f64x2_add, SIMD.f64x2_mul);
  o.get(dk);
  o.c(LN2_LO);
  o.s(SIMD.f64x2_mul, SIMD.f64x2_add, SIMD.f64x2_sub);
  o.get(fl);
  o.s(SIMD.f64x2_sub, SIMD.f64x2_sub);
}

/** x = 2^k·m with m in [√2/2, √2): f = m - 1 into `fl`, k as f64 into `dk`. */
function logReduce(f: FunctionEmitter, x: number, fl: number, dk: number): void {
  const o = ops(f);
  const [m, k, w] = [f.local(V128), f.local(V128), f.local(V128)];
  // k = exponent (i64 lanes), m = mantissa in [1, 2).
  o.get(x);
  f.i32(52);
  o.s(SIMD.i64x2_shr_u);
  f.v128Words([1023, 0, 1023, 0]);
  o.s(SIMD.i64x2_sub);
  o.set(k);
  o.get(x);
  f.v128Words([0xffffffff, 0x000fffff, 0xffffffff, 0x000fffff]);
  o.s(SIMD.v128_and);
  f.v128Words([0, 0x3ff00000, 0, 0x3ff00000]);
  o.s(SIMD.v128_or);
  o.set(m);
  // m > √2: m /= 2, k += 1 (the mask is -1 where true).
  o.get(m);
  o.c(SQRT2);
  o.s(SIMD.f64x2_gt);
  o.set(w);
  o.get(m);
  o.c(0.5);
  o.s(SIMD.f64x2_mul);
  o.get(m);
  o.get(w);
  o.s(SIMD.v128_bitselect);
  o.set(m);
  o.get(k);
  o.get(w);
  o.s(SIMD.i64x2_sub);
  o.set(k);
  // dk = f64(k): the low 32-bit words of k to f64.
  o.get(k);
  o.get(k);
  f.shuffle([0, 1, 2, 3, 8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11]);
  o.s(SIMD.f64x2_convert_low_i32x4_s);
  o.set(dk);
  o.get(m);
  o.c(1);
  o.s(SIMD.f64x2_sub);
  o.set(fl);
}

/** s = f / (2 + f) into `s`, fdlibm's R(s²) into `r`. */
function logSeries(f: FunctionEmitter, fl: number, s: number, r: number): void {
  const o = ops(f);
  const [z, w] = [f.local(V128), f.local(V128)];
  o.get(fl);
  o.c(2);
  o.get(fl);
  o.s(SIMD.f64x2_add);
  o.s(SIMD.f64x2_div);
  o.set(s);
  o.get(s);
  o.get(s);
  o.s(SIMD.f64x2_mul);
  o.set(z);
  o.get(z);
  o.get(z);
  o.s(SIMD.f64x2_mul);
  o.set(w);
  // R = z(Lg1 + w(Lg3 + w(Lg5 + w Lg7))) + w(Lg2 + w(Lg4 + w Lg6))

  horner(f, w, [LG[0], LG[2], LG[4], LG[6]]);
  o.get(z);
  o.s(SIMD.f64x2_mul);
  horner(f, w, [LG[1], LG[3], LG[5]]);
  o.get(w);
  o.s(SIMD.f64x2_mul);
  o.s(SIMD.f64x2_add);
  o.set(r);
}

const S = [
  -1.66666666666666324348e-01,
  8.33333333332248946124e-03,
  -1.98412698298579493134e-04,
  2.75573137070700676789e-06,
  -2.50507602534068634195e-08,
  1.58969099521155010221e-10,
];
const C = [
  4.16666666666666019037e-02,
  -1.38888888888741095749e-03,
  2.48015872894767294178e-05,
  -2.75573143513906633035e-07,
  2.08757232129817482790e-09,
  -1.13596475577881948265e-11,
];
const PIO2_1 = 1.57079632673412561417e+00;
const PIO2_1T = 6.07710050650619224932e-11;
const INV_PIO2 = 6.36619772367581382433e-01;

/**
 * Push cos (`which` 0) or sin (1) of the f64x2 in local `x`, |x| ≤ π: reduce by n·π/2, fdlibm's
 * kernels, quadrant (temporaries are new locals).
 * @example Usage
 * ```ts
 * import { emitTrig } from "./libm_wasm.ts";
 * import { FunctionEmitter } from "../wasm/assembler.ts";
 * import { equal } from "node:assert/strict";
 * const f = new FunctionEmitter(1);
 * emitTrig(f, 0, 0); // cos
 * equal(f.code.length > 100, true);
 * ```
 */
export function emitTrig(f: FunctionEmitter, x: number, which: 0 | 1): void {
  const o = ops(f);
  const [n, r, z, sn, cs, t] = Array.from({ length: 6 }, () => f.local(V128));
  o.get(x);
  o.c(INV_PIO2);
  o.s(SIMD.f64x2_mul, SIMD.f64x2_nearest);
  o.set(n);
  o.get(x);
  o.get(n);
  o.c(PIO2_1);
  o.s(SIMD.f64x2_mul, SIMD.f64x2_sub);
  o.get(n);
  o.c(PIO2_1T);
  o.s(SIMD.f64x2_mul, SIMD.f64x2_sub);
  o.set(r);
  o.get(r);
  o.get(r);
  o.s(SIMD.f64x2_mul);
  o.set(z);
  sinKernel(f, r, z, t, sn);
  cosKernel(f, z, t, cs);
  quadrant(f, n, which === 0 ? [cs, sn] : [sn, cs], which);
}

/** fdlibm's sin kernel into `out`: r + r·z·(S1 + z(S2 + z(S3 + z(S4 + z(S5 + z S6))))). */
function sinKernel(f: FunctionEmitter, r: number, z: number, t: number, out: number): void {
  const o = ops(f);
  horner(f, z, S.slice(1));
  o.get(z);
  o.s(SIMD.f64x2_mul);
  o.set(t); // z·r_poly
  o.get(r);
  o.get(z);
  o.get(r);
  o.s(SIMD.f64x2_mul);
  o.c(S[0]);
  o.get(t);
  o.s(SIMD.f64x2_add, SIMD.f64x2_mul, SIMD.f64x2_add);
  o.set(out);
}

/** fdlibm's cos kernel into `out`: w = 1 - z/2; w + (((1 - w) - z/2) + z·z·(C1 + ... z C6)). */
function cosKernel(f: FunctionEmitter, z: number, t: number, out: number): void {
  const o = ops(f);
  horner(f, z, C);
  o.get(z);
  o.s(SIMD.f64x2_mul);
  o.get(z);
  o.s(SIMD.f64x2_mul);
  o.set(t); // z·r (fdlibm's r = z·poly)
  o.c(1);
  o.get(z);
  o.c(0.5);
  o.s(SIMD.f64x2_mul, SIMD.f64x2_sub);
  o.set(out); // w
  o.get(out);
  o.c(1);
  o.get(out);
  o.s(SIMD.f64x2_sub);
  o.get(z);
  o.c(0.5);
  o.s(SIMD.f64x2_mul, SIMD.f64x2_sub);
  o.get(t);
  o.s(SIMD.f64x2_add, SIMD.f64x2_add);
  o.set(out);
}

/**
 * Push the result for quadrant n ∈ {-2, ..., 2} from `[a, b]` (cos: [C, S], sin: [S, C]):
 * cos is q0 C, q1 -S, q2 -C, q3 S; sin is q0 S, q1 C, q2 -S, q3 -C.
 */
function quadrant(f: FunctionEmitter, n: number, [a, b]: [number, number], which: 0 | 1): void {
  const o = ops(f);
  const [q1, q2, q3, t] = Array.from({ length: 4 }, () => f.local(V128));
  const eq = (v: number) => {
    o.get(n);
    o.c(v);
    o.s(SIMD.f64x2_eq);
  };
  eq(1);
  o.set(q1);
  eq(2);
  eq(-2);
  o.s(SIMD.v128_or);
  o.set(q2);
  eq(-1);
  o.set(q3);
  o.get(b);
  o.s(SIMD.f64x2_neg);
  o.get(b);
  o.get(which === 0 ? q1 : q3);
  o.s(SIMD.v128_bitselect); // the quarter-turn term: -b where it is negative, else b
  o.get(a);
  o.get(q1);
  o.get(q3);
  o.s(SIMD.v128_or);
  o.s(SIMD.v128_bitselect); // that term in the odd quadrants, a in the even ones
  o.set(t);
  o.get(t);
  o.s(SIMD.f64x2_neg);
  o.get(t);
  o.get(q2);
  o.s(SIMD.v128_bitselect);
}

/**
 * Add the three helpers to `m` (internal functions).
 *
 * @example Usage
 * ```ts
 * import { addLibm } from "./libm_wasm.ts";
 * import { ModuleBuilder } from "../wasm/assembler.ts";
 * import { deepEqual } from "node:assert/strict";
 * const m = new ModuleBuilder({ memory: { shared: false, minPages: 1, maxPages: 1 } });
 * deepEqual(addLibm(m), { log: 0, cos: 1, sin: 2 });
 * ```
 */
export function addLibm(m: ModuleBuilder): LibmFunctions {
  return {
    log: m.func(null, [V128], [V128], (f) => emitLog(f, 0)),
    cos: m.func(null, [V128], [V128], (f) => emitTrig(f, 0, 0)),
    sin: m.func(null, [V128], [V128], (f) => emitTrig(f, 0, 1)),
  };
}
