/**
 * Structured WebAssembly emission on top of `wasm/assembler.ts` (loops, locals, memory and
 * `f32x4` arithmetic as method calls) and the `f32x4` math the fused sequence kernels need:
 * `exp`, the logistic sigmoid and `tanh`. WebAssembly has no transcendental instructions, so
 * they are polynomials (Cephes' single-precision `expf` and `tanhf` schemes, a few ulp).
 *
 * Opcodes the shared emitter's tables do not name are spelt here (WebAssembly core and SIMD
 * specification numbers), so `wasm/assembler.ts` stays as the engine branch has it.
 *
 * @module
 */

import { FunctionEmitter, I32, OP, SIMD, V128, type ValueType } from "../../wasm/assembler.ts";

/** Scalar opcodes beyond `OP`. */
const X = {
  i32_lt_s: 0x48,
  i32_ge_s: 0x4e,
} as const;

/** SIMD opcodes beyond `SIMD`. */
const XS = {
  v128_load32_splat: 0x09,
  v128_store32_lane: 0x5a,
  v128_store64_lane: 0x5b,
  v128_load32_zero: 0x5c,
  v128_load64_zero: 0x5d,
  f32x4_replace_lane: 0x20,
  f32x4_floor: 0x68,
  i32x4_trunc_sat_f32x4_s: 0xf8,
} as const;

/** A value: a local index, an `i32` constant, or a closure that pushes one value. */
export type Val = { readonly local: number } | number | (() => void);

/** A body writer: {@linkcode Fn} wraps one function's {@linkcode FunctionEmitter}. */
export class Fn {
  /** The underlying emitter. */
  readonly f: FunctionEmitter;

  /** @param f The emitter of the function body. */
  constructor(f: FunctionEmitter) {
    this.f = f;
  }

  /** Parameter `i` as a value. */
  param(i: number): { local: number } {
    return { local: i };
  }

  /** A new `i32` local. */
  i32(): { local: number } {
    return { local: this.f.local(I32) };
  }

  /** A new `v128` local. */
  v128(): { local: number } {
    return { local: this.f.local(V128) };
  }

  /** Push a value. */
  push(v: Val): this {
    if (typeof v === "number") this.f.i32(v);
    else if (typeof v === "function") v();
    else this.f.op(OP.local_get, v.local);
    return this;
  }

  /** `local = value`. */
  set(l: { local: number }, v: Val): this {
    this.push(v);
    this.f.op(OP.local_set, l.local);
    return this;
  }

  /** Push `a + b` (i32). */
  add(a: Val, b: Val): this {
    this.push(a).push(b);
    this.f.op(OP.i32_add);
    return this;
  }

  /** Push `a - b` (i32). */
  sub(a: Val, b: Val): this {
    this.push(a).push(b);
    this.f.op(OP.i32_sub);
    return this;
  }

  /** Push `a * b` (i32). */
  mul(a: Val, b: Val): this {
    this.push(a).push(b);
    this.f.op(OP.i32_mul);
    return this;
  }

  /** Push `a < b` (signed i32). */
  lt(a: Val, b: Val): this {
    this.push(a).push(b);
    this.f.op(X.i32_lt_s);
    return this;
  }

  /** Push `a >= b` (signed i32). */
  ge(a: Val, b: Val): this {
    this.push(a).push(b);
    this.f.op(X.i32_ge_s);
    return this;
  }

  /** Push `a == b` (i32). */
  eq(a: Val, b: Val): this {
    this.push(a).push(b);
    this.f.op(OP.i32_eq);
    return this;
  }

  /** Push `cond ? a : b` (i32 values). */
  select(cond: Val, a: Val, b: Val): this {
    this.push(a).push(b).push(cond);
    this.f.op(OP.select);
    return this;
  }

  /** `for (i = from; i < to; i += step) body()`. */
  for(i: { local: number }, from: Val, to: Val, step: number, body: () => void): this {
    this.set(i, from);
    this.f.op(OP.block, FunctionEmitter.VOID);
    this.f.op(OP.loop, FunctionEmitter.VOID);
    this.ge(i, to);
    this.f.op(OP.br_if, 1);
    body();
    this.set(i, () => this.add(i, step));
    this.f.op(OP.br, 0);
    this.f.op(OP.end);
    this.f.op(OP.end);
    return this;
  }

  /** `if (cond) then() else otherwise()`. */
  if(cond: Val, then: () => void, otherwise?: () => void): this {
    this.push(cond);
    this.f.op(OP.if, FunctionEmitter.VOID);
    then();
    if (otherwise) {
      this.f.op(OP.else);
      otherwise();
    }
    this.f.op(OP.end);
    return this;
  }

  /** Push `i32` at byte address `addr + offset`. */
  loadI32(addr: Val, offset = 0): this {
    this.push(addr);
    this.f.mem(OP.i32_load, 2, offset);
    return this;
  }

  /** Push the `f32` at `addr + offset`. */
  loadF32(addr: Val, offset = 0): this {
    this.push(addr);
    this.f.mem(OP.f32_load, 2, offset);
    return this;
  }

  /** Push the `v128` at `addr + offset` (any alignment). */
  load(addr: Val, offset = 0): this {
    this.push(addr);
    this.f.simdMem(SIMD.v128_load, 0, offset);
    return this;
  }

  /** Push the first `lanes` (1-4) floats at `addr + offset`, the other lanes 0. */
  loadLanes(addr: Val, lanes: number, offset = 0): this {
    if (lanes === 4) return this.load(addr, offset);
    this.push(addr);
    if (lanes === 1) this.f.simdMem(XS.v128_load32_zero, 2, offset);
    else this.f.simdMem(XS.v128_load64_zero, 2, offset);
    if (lanes === 3) {
      this.loadF32(addr, offset + 8);
      this.f.simd(XS.f32x4_replace_lane).raw(2);
    }
    return this;
  }

  /** Store the `v128` that `value` pushes at `addr + offset`. */
  store(addr: Val, value: Val, offset = 0): this {
    this.push(addr).push(value);
    this.f.simdMem(SIMD.v128_store, 0, offset);
    return this;
  }

  /** Store the first `lanes` (1-4) floats of the `v128` local `v` at `addr + offset`. */
  storeLanes(addr: Val, v: { local: number }, lanes: number, offset = 0): this {
    if (lanes === 4) return this.store(addr, v, offset);
    if (lanes >= 2) {
      this.push(addr).push(v);
      this.f.simdMem(XS.v128_store64_lane, 2, offset).raw(0);
    }
    if (lanes !== 2) {
      this.push(addr).push(v);
      this.f.simdMem(XS.v128_store32_lane, 2, offset + (lanes === 3 ? 8 : 0)).raw(
        lanes === 3 ? 2 : 0,
      );
    }
    return this;
  }

  /** Push `splat(f32 at addr + offset)`. */
  loadSplat(addr: Val, offset = 0): this {
    this.push(addr);
    this.f.simdMem(XS.v128_load32_splat, 2, offset);
    return this;
  }

  /** `memory.fill(addr, 0, bytes)`. */
  zero(addr: Val, bytes: Val): this {
    this.push(addr).push(0).push(bytes);
    this.f.raw(0xfc, 0x0b, 0x00);
    return this;
  }

  /** Push the constant `v128` with `x` in every lane. */
  splat(x: number): this {
    const bits = new Uint32Array(new Float32Array([x]).buffer)[0];
    this.f.v128Words([bits, bits, bits, bits]);
    return this;
  }

  /** Push the `f32x4` binary `op` of two values. */
  v(op: "add" | "sub" | "mul" | "div" | "min" | "max" | "lt", a: Val, b: Val): this {
    this.push(a).push(b);
    this.f.simd(SIMD[`f32x4_${op}`]);
    return this;
  }

  /** Push `a * b + c` (f32x4, two roundings: WebAssembly has no fused multiply-add). */
  madd(a: Val, b: Val, c: Val): this {
    return this.v("add", () => this.v("mul", a, b), c);
  }

  /**
   * Push `exp(x)` lane-wise for the `v128` local `x` (inputs clamped to [-87, 88], where the
   * result is still a normal float; NaN stays NaN).
   */
  exp(x: { local: number }): this {
    const t = this.v128(), fx = this.v128();
    // t = clamp(x); fx = floor(t * log2(e) + 0.5): exp(t) = 2^fx * exp(r), |r| <= ln2 / 2.
    this.set(
      t,
      () => this.v("min", () => this.v("max", x, () => this.splat(-87)), () => this.splat(88)),
    );
    this.set(fx, () => {
      this.madd(t, () => this.splat(1.44269504088896341), () => this.splat(0.5));
      this.f.simd(XS.f32x4_floor);
    });
    // r = t - fx * ln2 (ln2 split in two so fx * C1 is exact).
    const r = this.v128();
    this.set(r, () =>
      this.v(
        "sub",
        () => this.v("sub", t, () => this.v("mul", fx, () => this.splat(0.693359375))),
        () => this.v("mul", fx, () => this.splat(-2.12194440e-4)),
      ));
    const y = this.v128();
    this.set(y, () => this.splat(1.9875691500e-4));
    for (
      const c of [
        1.3981999507e-3,
        8.3334519073e-3,
        4.1665795894e-2,
        1.6666665459e-1,
        5.0000001201e-1,
      ]
    ) {
      this.set(y, () => this.madd(y, r, () => this.splat(c)));
    }
    // y = y * r^2 + r + 1, then times 2^fx built in the exponent bits.
    this.set(
      y,
      () =>
        this.v(
          "add",
          () => this.v("add", () => this.v("mul", y, () => this.v("mul", r, r)), r),
          () => this.splat(1),
        ),
    );
    this.v("mul", y, () => {
      this.push(fx);
      this.f.simd(XS.i32x4_trunc_sat_f32x4_s);
      this.f.v128Words([127, 127, 127, 127]);
      this.f.simd(SIMD.i32x4_add);
      this.f.i32(23);
      this.f.simd(SIMD.i32x4_shl);
    });
    return this;
  }

  /** Push `1 / (1 + exp(-x))` lane-wise for the `v128` local `x`. */
  sigmoid(x: { local: number }): this {
    const m = this.v128();
    this.set(m, () => {
      this.push(x);
      this.f.simd(SIMD.f32x4_neg);
    });
    const e = this.v128();
    this.set(e, () => this.exp(m));
    return this.v("div", () => this.splat(1), () => this.v("add", () => this.splat(1), e));
  }

  /**
   * Push `tanh(x)` lane-wise for the `v128` local `x`: an odd polynomial below |x| = 0.625,
   * `1 - 2 / (exp(2|x|) + 1)` with x's sign above.
   */
  tanh(x: { local: number }): this {
    const a = this.v128(), z = this.v128(), p = this.v128(), e = this.v128();
    this.set(a, () => {
      this.push(x);
      this.f.simd(SIMD.f32x4_abs);
    });
    this.set(z, () => this.v("mul", x, x));
    this.set(p, () => this.splat(-5.70498872745e-3));
    for (const c of [2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1]) {
      this.set(p, () => this.madd(p, z, () => this.splat(c)));
    }
    // small = p * z * x + x
    this.set(p, () => this.madd(() => this.v("mul", p, z), x, x));
    this.set(e, () => this.v("add", a, a));
    this.set(e, () => this.exp(e));
    // big = (1 - 2 / (e + 1)) with x's sign bit
    this.set(
      e,
      () =>
        this.v(
          "sub",
          () => this.splat(1),
          () => this.v("div", () => this.splat(2), () => this.v("add", e, () => this.splat(1))),
        ),
    );
    this.set(e, () => {
      this.push(e);
      this.push(x);
      this.f.v128Words([0x80000000, 0x80000000, 0x80000000, 0x80000000]);
      this.f.simd(SIMD.v128_and);
      this.f.simd(SIMD.v128_or);
    });
    // select(small where |x| < 0.625 else big)
    this.push(p).push(e);
    this.v("lt", a, () => this.splat(0.625));
    this.f.simd(SIMD.v128_bitselect);
    return this;
  }
}

/** The `i32` type byte (for kernel signatures). */
export const I32_TYPE: ValueType = I32;
