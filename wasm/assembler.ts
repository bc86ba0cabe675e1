/**
 * A small WebAssembly binary emitter: one module importing one (shared) memory, with functions
 * written as instruction sequences (scalar, `v128` SIMD and atomics), exported by name. Enough
 * for newbob's generated kernels (the optimizer engine's, and later fused recurrent kernels):
 * no tables, globals or data segments; everything else lives in the imported memory.
 *
 * A module is a {@linkcode ModuleBuilder}; each function body is written through a
 * {@linkcode FunctionEmitter} (`f.op(OP.local_get, 0)`, `f.simd(SIMD.f32x4_mul)`,
 * `f.simdMem(SIMD.v128_load, 4, offset)`; locals come from `f.local(type)`), and
 * `new WebAssembly.Module(m.bytes())` compiles it (see `wasm/README.md`). The emitter does not validate:
 * `WebAssembly.Module` does (a wrong body throws a `CompileError` naming the function offset).
 *
 * @module
 */

/**
 * Value types.
 *
 * @example Usage
 * ```ts
 * import { I32 } from "./assembler.ts";
 * import { equal } from "node:assert/strict";
 * equal(I32, 0x7f);
 * ```
 */
export const I32 = 0x7f;
/**
 * 64-bit integer.
 *
 * @example Usage
 * ```ts
 * import { I64 } from "./assembler.ts";
 * import { equal } from "node:assert/strict";
 * equal(I64, 0x7e);
 * ```
 */
export const I64 = 0x7e;
/**
 * 32-bit float.
 *
 * @example Usage
 * ```ts
 * import { F32 } from "./assembler.ts";
 * import { equal } from "node:assert/strict";
 * equal(F32, 0x7d);
 * ```
 */
export const F32 = 0x7d;
/**
 * 64-bit float.
 *
 * @example Usage
 * ```ts
 * import { F64 } from "./assembler.ts";
 * import { equal } from "node:assert/strict";
 * equal(F64, 0x7c);
 * ```
 */
export const F64 = 0x7c;
/**
 * 128-bit vector.
 *
 * @example Usage
 * ```ts
 * import { V128 } from "./assembler.ts";
 * import { equal } from "node:assert/strict";
 * equal(V128, 0x7b);
 * ```
 */
export const V128 = 0x7b;

/** A value type byte (`I32`, `I64`, `F32`, `F64`, `V128`). */
export type ValueType = typeof I32 | typeof I64 | typeof F32 | typeof F64 | typeof V128;

/** The imported memory. */
export interface MemoryImport {
  /** Shared (threads) memory. */
  readonly shared: boolean;
  /** Initial size in 64 KiB pages. */
  readonly minPages: number;
  /** Maximum size in pages (required for shared memories). */
  readonly maxPages: number;
  /** Import module name. @default {"env"} */
  readonly module?: string;
  /** Import field name. @default {"memory"} */
  readonly name?: string;
}

/** Options of a {@linkcode ModuleBuilder}. */
export interface ModuleOptions {
  /** The one memory every function addresses. */
  readonly memory: MemoryImport;
}

/**
 * Append `n` as unsigned LEB128.
 *
 * @example Usage
 * ```ts
 * import { uleb } from "./assembler.ts";
 * import { deepEqual } from "node:assert/strict";
 * const out: number[] = [];
 * uleb(out, 300);
 * deepEqual(out, [0xac, 0x02]);
 * ```
 */
export function uleb(out: number[], n: number): void {
  let v = n;
  do {
    let byte = v % 128;
    v = Math.floor(v / 128);
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
}

/**
 * Append `n` (a safe integer, or a bigint for i64) as signed LEB128.
 *
 * @example Usage
 * ```ts
 * import { sleb } from "./assembler.ts";
 * import { deepEqual } from "node:assert/strict";
 * const out: number[] = [];
 * sleb(out, -1);
 * deepEqual(out, [0x7f]);
 * ```
 */
export function sleb(out: number[], n: number | bigint): void {
  let v = BigInt(n);
  for (;;) {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    const done = (v === 0n && (byte & 0x40) === 0) || (v === -1n && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return;
  }
}

function name(out: number[], s: string): void {
  const b = new TextEncoder().encode(s);
  uleb(out, b.length);
  out.push(...b);
}

function section(out: number[], id: number, body: number[]): void {
  out.push(id);
  uleb(out, body.length);
  for (const b of body) out.push(b);
}

/**
 * SIMD opcodes (after the 0xfd prefix) used by newbob's kernels.
 *
 * @example Usage
 * ```ts
 * import { SIMD } from "./assembler.ts";
 * import { equal } from "node:assert/strict";
 * equal(SIMD.f32x4_add, 0xe4);
 * ```
 */
export const SIMD = {
  v128_load: 0x00,
  v128_store: 0x0b,
  v128_const: 0x0c,
  i8x16_shuffle: 0x0d,
  i32x4_splat: 0x11,
  i64x2_splat: 0x12,
  f32x4_splat: 0x13,
  f64x2_splat: 0x14,
  i32x4_extract_lane: 0x1b,
  f32x4_extract_lane: 0x1f,
  f64x2_extract_lane: 0x21,
  i32x4_eq: 0x37,
  i32x4_ne: 0x38,
  i32x4_lt_u: 0x3a,
  i32x4_gt_u: 0x3c,
  i32x4_le_u: 0x3e,
  i32x4_ge_u: 0x40,
  f32x4_eq: 0x41,
  f32x4_ne: 0x42,
  f32x4_lt: 0x43,
  f32x4_gt: 0x44,
  f32x4_le: 0x45,
  f32x4_ge: 0x46,
  f64x2_eq: 0x47,
  f64x2_ne: 0x48,
  f64x2_lt: 0x49,
  f64x2_gt: 0x4a,
  f64x2_le: 0x4b,
  f64x2_ge: 0x4c,
  v128_not: 0x4d,
  v128_and: 0x4e,
  v128_andnot: 0x4f,
  v128_or: 0x50,
  v128_xor: 0x51,
  v128_bitselect: 0x52,
  v128_any_true: 0x53,
  f32x4_demote_f64x2_zero: 0x5e,
  f64x2_promote_low_f32x4: 0x5f,
  i32x4_all_true: 0xa3,
  i32x4_shl: 0xab,
  i32x4_shr_s: 0xac,
  i32x4_shr_u: 0xad,
  i32x4_add: 0xae,
  i32x4_sub: 0xb1,
  i32x4_mul: 0xb5,
  i64x2_shl: 0xcb,
  i64x2_shr_s: 0xcc,
  i64x2_shr_u: 0xcd,
  i64x2_add: 0xce,
  i64x2_sub: 0xd1,
  i64x2_eq: 0xd6,
  f32x4_abs: 0xe0,
  f32x4_neg: 0xe1,
  f32x4_sqrt: 0xe3,
  f32x4_add: 0xe4,
  f32x4_sub: 0xe5,
  f32x4_mul: 0xe6,
  f32x4_div: 0xe7,
  f32x4_min: 0xe8,
  f32x4_max: 0xe9,
  f64x2_abs: 0xec,
  f64x2_neg: 0xed,
  f64x2_sqrt: 0xef,
  f64x2_add: 0xf0,
  f64x2_sub: 0xf1,
  f64x2_mul: 0xf2,
  f64x2_div: 0xf3,
  f64x2_min: 0xf4,
  f64x2_max: 0xf5,
  f64x2_nearest: 0x94,
  i32x4_trunc_sat_f64x2_s_zero: 0xfc,
  f32x4_convert_i32x4_u: 0xfb,
  f32x4_convert_i32x4_s: 0xfa,
  f64x2_convert_low_i32x4_s: 0xfe,
} as const;

/**
 * Scalar opcodes used by newbob's kernels.
 *
 * @example Usage
 * ```ts
 * import { OP } from "./assembler.ts";
 * import { equal } from "node:assert/strict";
 * equal(OP.local_get, 0x20);
 * ```
 */
export const OP = {
  unreachable: 0x00,
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  br_if: 0x0d,
  return: 0x0f,
  call: 0x10,
  drop: 0x1a,
  select: 0x1b,
  local_get: 0x20,
  local_set: 0x21,
  local_tee: 0x22,
  i32_load: 0x28,
  i64_load: 0x29,
  f32_load: 0x2a,
  f64_load: 0x2b,
  i32_store: 0x36,
  f32_store: 0x38,
  f64_store: 0x39,
  f32_eq: 0x5b,
  f32_lt: 0x5d,
  f32_gt: 0x5e,
  f32_le: 0x5f,
  f32_ge: 0x60,
  f32_abs: 0x8b,
  f32_neg: 0x8c,
  f32_sqrt: 0x91,
  f32_add: 0x92,
  f32_sub: 0x93,
  f32_mul: 0x94,
  f32_div: 0x95,
  f32_min: 0x96,
  f32_max: 0x97,
  f32_convert_i32_u: 0xb3,
  f32_demote_f64: 0xb6,
  f64_promote_f32: 0xbb,
  i32_const: 0x41,
  i64_const: 0x42,
  f32_const: 0x43,
  f64_const: 0x44,
  i32_eqz: 0x45,
  i32_eq: 0x46,
  i32_ne: 0x47,
  i32_lt_s: 0x48,
  i32_lt_u: 0x49,
  i32_gt_u: 0x4b,
  i32_le_u: 0x4d,
  i32_ge_u: 0x4f,
  f32_ne: 0x5c,
  i32_add: 0x6a,
  i32_sub: 0x6b,
  i32_mul: 0x6c,
  i32_and: 0x71,
  i32_or: 0x72,
  i32_xor: 0x73,
  i32_shl: 0x74,
  i32_shr_u: 0x76,
  f64_add: 0xa0,
  f64_mul: 0xa2,
  f64_max: 0xa5,
  f64_convert_i32_u: 0xb8,
} as const;

/**
 * Writes one function body.
 *
 * @example Usage
 * ```ts
 * import { FunctionEmitter, I32 } from "./assembler.ts";
 * import { deepEqual } from "node:assert/strict";
 * const f = new FunctionEmitter(0);
 * f.local(I32);
 * f.i32(5);
 * deepEqual(f.body(), [1, 1, I32, 0x41, 5, 0x0b]);
 * ```
 */
export class FunctionEmitter {
  /** The instruction bytes. */
  readonly code: number[] = [];
  readonly #params: number;
  readonly #locals: ValueType[] = [];

  /**
   * Start a body for a function with `params` parameters (locals 0..params-1).
   *
   * @param params Number of parameters.
   */
  constructor(params: number) {
    this.#params = params;
  }

  /** Declare a local of `type`; returns its index. */
  local(type: ValueType): number {
    this.#locals.push(type);
    return this.#params + this.#locals.length - 1;
  }

  /** Append raw bytes. */
  raw(...bytes: number[]): this {
    for (const b of bytes) this.code.push(b);
    return this;
  }

  /** A scalar instruction with unsigned immediates (local/label indices). */
  op(opcode: number, ...imm: number[]): this {
    this.code.push(opcode);
    for (const i of imm) uleb(this.code, i);
    return this;
  }

  /** A memory instruction: `align` as log2 bytes, byte `offset`. */
  mem(opcode: number, align: number, offset: number): this {
    this.code.push(opcode);
    uleb(this.code, align);
    uleb(this.code, offset);
    return this;
  }

  /** A SIMD instruction (0xfd prefix) with unsigned immediates. */
  simd(opcode: number, ...imm: number[]): this {
    this.code.push(0xfd);
    uleb(this.code, opcode);
    for (const i of imm) uleb(this.code, i);
    return this;
  }

  /** A SIMD memory instruction (`v128.load`/`store`). */
  simdMem(opcode: number, align: number, offset: number): this {
    this.code.push(0xfd);
    uleb(this.code, opcode);
    uleb(this.code, align);
    uleb(this.code, offset);
    return this;
  }

  /** `i32.const n`. */
  i32(n: number): this {
    this.code.push(OP.i32_const);
    sleb(this.code, n | 0);
    return this;
  }

  /** `f32.const x`. */
  f32(x: number): this {
    this.code.push(OP.f32_const);
    const b = new Uint8Array(new Float32Array([x]).buffer);
    this.code.push(...b);
    return this;
  }

  /** `f64.const x`. */
  f64(x: number): this {
    this.code.push(OP.f64_const);
    const b = new Uint8Array(new Float64Array([x]).buffer);
    this.code.push(...b);
    return this;
  }

  /** `v128.const` of four 32-bit words (as unsigned integers). */
  v128Words(words: readonly [number, number, number, number]): this {
    this.code.push(0xfd);
    uleb(this.code, SIMD.v128_const);
    const b = new Uint8Array(new Uint32Array(words.map((w) => w >>> 0)).buffer);
    this.code.push(...b);
    return this;
  }

  /** `v128.const` of `x` in every lane of `kind` (`f32x4`, `f64x2`, `i32x4`). */
  v128Splat(kind: "f32x4" | "f64x2" | "i32x4", x: number): this {
    this.code.push(0xfd);
    uleb(this.code, SIMD.v128_const);
    const lanes = kind === "f64x2"
      ? new Float64Array([x, x])
      : kind === "f32x4"
      ? new Float32Array([x, x, x, x])
      : new Int32Array([x, x, x, x]);
    this.code.push(...new Uint8Array(lanes.buffer));
    return this;
  }

  /** `i8x16.shuffle` with 16 lane indices. */
  shuffle(lanes: readonly number[]): this {
    this.code.push(0xfd);
    uleb(this.code, SIMD.i8x16_shuffle);
    this.code.push(...lanes);
    return this;
  }

  /** A block type byte: 0x40 (none) or a value type. */
  static readonly VOID = 0x40;

  /** The encoded body (locals, code, `end`). */
  body(): number[] {
    const out: number[] = [];
    const groups: [number, ValueType][] = [];
    for (const t of this.#locals) {
      const last = groups[groups.length - 1];
      if (last && last[1] === t) last[0]++;
      else groups.push([1, t]);
    }
    uleb(out, groups.length);
    for (const [n, t] of groups) {
      uleb(out, n);
      out.push(t);
    }
    out.push(...this.code, OP.end);
    return out;
  }
}

interface FuncDef {
  name: string | null;
  params: readonly ValueType[];
  results: readonly ValueType[];
  body: number[];
}

/**
 * Builds one module.
 *
 * @example Usage
 * ```ts
 * import { I32, ModuleBuilder } from "./assembler.ts";
 * import { equal } from "node:assert/strict";
 * const m = new ModuleBuilder({ memory: { shared: false, minPages: 1, maxPages: 1 } });
 * m.func("seven", [], [I32], (f) => f.i32(7));
 * const memory = new WebAssembly.Memory({ initial: 1, maximum: 1 });
 * const inst = new WebAssembly.Instance(new WebAssembly.Module(m.bytes()), { env: { memory } });
 * equal((inst.exports.seven as () => number)(), 7);
 * ```
 */
export class ModuleBuilder {
  readonly #memory: MemoryImport;
  readonly #funcs: FuncDef[] = [];

  /**
   * A module importing `options.memory`.
   *
   * @param options The memory import.
   */
  constructor(options: ModuleOptions) {
    this.#memory = options.memory;
  }

  /**
   * Add a function, exported as `exportName` (null: internal, called with `OP.call`); `emit`
   * writes its body (parameters are locals `0..n-1`).
   *
   * @returns The function's index.
   */
  func(
    exportName: string | null,
    params: readonly ValueType[],
    results: readonly ValueType[],
    emit: (f: FunctionEmitter) => void,
  ): number {
    const f = new FunctionEmitter(params.length);
    emit(f);
    this.#funcs.push({ name: exportName, params, results, body: f.body() });
    return this.#funcs.length - 1;
  }

  /** The module's bytes. */
  bytes(): Uint8Array<ArrayBuffer> {
    const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    const types: number[] = [];
    uleb(types, this.#funcs.length);
    for (const f of this.#funcs) {
      types.push(0x60);
      uleb(types, f.params.length);
      types.push(...f.params);
      uleb(types, f.results.length);
      types.push(...f.results);
    }
    section(out, 1, types);
    const imports: number[] = [];
    uleb(imports, 1);
    name(imports, this.#memory.module ?? "env");
    name(imports, this.#memory.name ?? "memory");
    imports.push(0x02, this.#memory.shared ? 0x03 : 0x01);
    uleb(imports, this.#memory.minPages);
    uleb(imports, this.#memory.maxPages);
    section(out, 2, imports);
    const funcs: number[] = [];
    uleb(funcs, this.#funcs.length);
    this.#funcs.forEach((_, i) => uleb(funcs, i));
    section(out, 3, funcs);
    const exports: number[] = [];
    const exported = this.#funcs.map((f, i) => [f.name, i] as const).filter(([n]) => n !== null);
    uleb(exports, exported.length);
    for (const [n, i] of exported) {
      name(exports, n!);
      exports.push(0x00);
      uleb(exports, i);
    }
    section(out, 7, exports);
    const code: number[] = [];
    uleb(code, this.#funcs.length);
    for (const f of this.#funcs) {
      uleb(code, f.body.length);
      for (const b of f.body) code.push(b);
    }
    section(out, 10, code);
    return new Uint8Array(out);
  }
}
