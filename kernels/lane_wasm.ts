/**
 * Render a {@linkcode LaneProgram} as WebAssembly SIMD: lane values are `v128` (`f32x4`, `i32x4`
 * for u32, all-ones/zero masks for bool), scalars are `f32`/`i32` locals. Every float32
 * operation is one `f32x4` instruction, so the result is bitwise the TypeScript reference's
 * `Math.fround` after every operation; `fma` runs in `f64x2` (the exact product, then one
 * rounding to float32 after a float64 sum, as the reference's `Math.fround(a * b + c)`).
 *
 * Scalar expressions that depend only on uniforms, the tensor and constants are *hoisted*: call
 * {@linkcode LaneWasm.hoist} once per tensor segment (before the element loop) and
 * {@linkcode LaneWasm.body} inside the loop.
 *
 * @module
 */

import {
  F32,
  type FunctionEmitter,
  I32,
  OP,
  SIMD,
  V128,
  type ValueType,
} from "../wasm/assembler.ts";
import { type Expr, forEachExpr, type LaneProgram, type Stmt } from "./lane.ts";

/** How the kernel provides the leaves of a program (each pushes one value). */
export interface WasmLeaves {
  /** Push definition uniform `name` (f32). */
  uniform(f: FunctionEmitter, name: string): void;
  /** Push engine uniform `name` (f32, or i32 for u32). */
  engine(f: FunctionEmitter, name: string, type: "f32" | "u32"): void;
  /** Push the tensor's global index (i32). */
  tensorIndex(f: FunctionEmitter): void;
  /** Push the element indices of the current vector (v128 u32x4). */
  elementIndex(f: FunctionEmitter): void;
  /**
   * Push the element indices of the current vector times the constant `k` (u32, wrapping), where
   * the kernel keeps that product as a running lane value (see {@linkcode indexMultipliers});
   * return false where it does not (the product is then computed).
   */
  elementIndexTimes?(f: FunctionEmitter, k: number): boolean;
  /** Push the valid-lane mask of the current vector (v128). */
  valid(f: FunctionEmitter): void;
  /**
   * Whether every lane of the current vector is valid (a full vector, not the tail): then
   * `select(valid, a, b)` is `a` and costs nothing. @default {() => false}
   */
  allValid?(): boolean;
  /** Push the per-tensor scale of reduction `r` (f32). */
  tensorScale(f: FunctionEmitter, r: number): void;
  /** Push the global coefficient of reduction `r` (f32). */
  globalScale(f: FunctionEmitter, r: number): void;
}

const LO = [0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7];
const HI = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];
const JOIN = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];

const F32X4: Partial<Record<Expr["kind"], number>> = {
  add: SIMD.f32x4_add,
  sub: SIMD.f32x4_sub,
  mul: SIMD.f32x4_mul,
  div: SIMD.f32x4_div,
  max: SIMD.f32x4_max,
  min: SIMD.f32x4_min,
  neg: SIMD.f32x4_neg,
  abs: SIMD.f32x4_abs,
  sqrt: SIMD.f32x4_sqrt,
  lt: SIMD.f32x4_lt,
  gt: SIMD.f32x4_gt,
  le: SIMD.f32x4_le,
  ge: SIMD.f32x4_ge,
  eq: SIMD.f32x4_eq,
  ne: SIMD.f32x4_ne,
};
const U32X4: Partial<Record<Expr["kind"], number>> = {
  add: SIMD.i32x4_add,
  sub: SIMD.i32x4_sub,
  mul: SIMD.i32x4_mul,
  xor: SIMD.v128_xor,
  lt: SIMD.i32x4_lt_u,
  gt: SIMD.i32x4_gt_u,
  le: SIMD.i32x4_le_u,
  ge: SIMD.i32x4_ge_u,
  eq: SIMD.i32x4_eq,
  ne: SIMD.i32x4_ne,
};
const F32S: Partial<Record<Expr["kind"], number>> = {
  add: OP.f32_add,
  sub: OP.f32_sub,
  mul: OP.f32_mul,
  div: OP.f32_div,
  max: OP.f32_max,
  min: OP.f32_min,
  neg: OP.f32_neg,
  abs: OP.f32_abs,
  sqrt: OP.f32_sqrt,
  lt: OP.f32_lt,
  gt: OP.f32_gt,
  le: OP.f32_le,
  ge: OP.f32_ge,
  eq: OP.f32_eq,
  ne: OP.f32_ne,
};
const U32S: Partial<Record<Expr["kind"], number>> = {
  add: OP.i32_add,
  sub: OP.i32_sub,
  mul: OP.i32_mul,
  xor: OP.i32_xor,
  lt: OP.i32_lt_u,
  gt: OP.i32_gt_u,
  le: OP.i32_le_u,
  ge: OP.i32_ge_u,
  eq: OP.i32_eq,
  ne: OP.i32_ne,
};

/** The constant `k` of a lane product `element_index · k` (u32), or undefined. */
function indexMultiplier(e: Expr): number | undefined {
  if (e.kind !== "mul" || e.type !== "u32") return undefined;
  const [x, y] = e.args;
  if (x.kind === "element_index" && y.kind === "const") return (y.value as number) >>> 0;
  if (y.kind === "element_index" && x.kind === "const") return (x.value as number) >>> 0;
  return undefined;
}

/**
 * The constants `k` of every product `element_index · k` in `program`: a kernel that loops over
 * vectors can keep each product as a running lane value, one addition per vector instead of a
 * splat, an addition and a multiplication (the same bits: u32 products wrap).
 *
 * @param program The program.
 * @returns The distinct multipliers, in order of appearance.
 * @example Usage
 * ```ts
 * import { indexMultipliers } from "./lane_wasm.ts";
 * import { LaneBuilder } from "./lane.ts";
 * import { deepEqual } from "node:assert/strict";
 * const k = new LaneBuilder();
 * k.set("g", k.g.add(k.elementIndex().mul(7).toF32()));
 * deepEqual(indexMultipliers(k.program()), [7]);
 * ```
 */
export function indexMultipliers(program: LaneProgram): number[] {
  const found = new Set<number>();
  forEachExpr(program, (e) => {
    const k = indexMultiplier(e);
    if (k !== undefined) found.add(k);
  });
  return [...found];
}

/** A structural key of a scalar expression (hoisted values are shared by key). */
function key(e: Expr): string {
  return `${e.kind}:${e.type}:${e.value}(${e.args.map(key).join(",")})`;
}

/**
 * Renders one program into one function (see the module doc).
 *
 * @example Usage
 * ```ts
 * import { LaneBuilder } from "./lane.ts";
 * import { LaneWasm, type WasmLeaves } from "./lane_wasm.ts";
 * import { FunctionEmitter, V128 } from "../wasm/assembler.ts";
 * import { equal } from "node:assert/strict";
 * const k = new LaneBuilder();
 * k.set("p", k.p.add(k.g));
 * const f = new FunctionEmitter(0);
 * const vars = new Map([["p", f.local(V128)], ["g", f.local(V128)]]);
 * new LaneWasm(f, {} as WasmLeaves, vars).body(k.program());
 * equal(f.code.length, 9); // local.get p, local.get g, f32x4.add, local.set p
 * ```
 */
export class LaneWasm {
  readonly #f: FunctionEmitter;
  readonly #leaves: WasmLeaves;
  readonly #vars = new Map<string, number>();
  #hoistedVars = new Set<string>();
  #hoisted = new Map<string, { scalar: number; lane: number | null }>();
  #uses = new Map<number, number>();
  #cse = new Map<number, number>();

  /**
   * @param f The function being written.
   * @param leaves How leaves are pushed.
   * @param vars Locals of the engine's lane variables (`p`, `g`, slots), by name.
   */
  constructor(
    f: FunctionEmitter,
    leaves: WasmLeaves,
    vars: ReadonlyMap<string, number>,
  ) {
    this.#f = f;
    this.#leaves = leaves;
    for (const [n, l] of vars) this.#vars.set(n, l);
  }

  #hoistable(e: Expr): boolean {
    if (!e.scalar) return false;
    if (e.kind === "var") return this.#hoistedVars.has(e.value as string);
    return e.args.every((a) => this.#hoistable(a));
  }

  #local(name: string, type: ValueType): number {
    let l = this.#vars.get(name);
    if (l === undefined) {
      l = this.#f.local(type);
      this.#vars.set(name, l);
    }
    return l;
  }

  /** Compute hoistable `e` into its local once (and its lane copy when `lane`). */
  #ensureHoisted(e: Expr, lane: boolean): void {
    const f = this.#f;
    const k = key(e);
    let h = this.#hoisted.get(k);
    if (!h) {
      this.#scalar(e, true);
      h = { scalar: f.local(e.type === "f32" ? F32 : I32), lane: null };
      f.op(OP.local_set, h.scalar);
      this.#hoisted.set(k, h);
    }
    if (lane && h.lane === null) {
      h.lane = f.local(V128);
      f.op(OP.local_get, h.scalar);
      this.#splat(e.type);
      f.op(OP.local_set, h.lane);
    }
  }

  #visitHoist(e: Expr, lane: boolean): void {
    if (this.#hoistable(e)) {
      this.#ensureHoisted(e, lane);
      return;
    }
    for (const a of e.args) this.#visitHoist(a, !e.scalar);
  }

  /**
   * Emit the hoisted scalars of `program` (its top-level scalar lets and every hoistable scalar
   * expression, with a lane copy where a lane operation uses it) into locals; call once per
   * segment, before the element loop.
   */
  hoist(program: LaneProgram): void {
    const walk = (stmts: readonly Stmt[], top: boolean) => {
      for (const s of stmts) {
        if (s.kind === "if") {
          this.#visitHoist(s.cond, false);
          walk(s.body, false);
        } else if (top && s.kind === "let" && this.#hoistable(s.expr)) {
          const l = this.#local(s.name, s.expr.type === "f32" ? F32 : I32);
          this.#scalar(s.expr);
          this.#f.op(OP.local_set, l);
          this.#hoistedVars.add(s.name);
        } else this.#visitHoist(s.expr, !s.expr.scalar);
      }
    };
    walk(program.body, true);
  }

  /** Emit the statements of `program` (inside the element loop). */
  body(program: LaneProgram): void {
    this.#stmts(program.body, true);
  }

  /**
   * A renderer of the same program for another vector in the same loop iteration: it shares
   * this one's hoisted scalars (call {@linkcode LaneWasm.hoist} on this one first) and has its
   * own lane variables and leaves (e.g. element indices 4 further on).
   *
   * @param vars Locals of the other vector's lane variables, by name.
   * @param leaves How that vector's leaves are pushed.
   * @returns The twin renderer.
   */
  twin(vars: ReadonlyMap<string, number>, leaves: WasmLeaves): LaneWasm {
    const t = new LaneWasm(this.#f, leaves, vars);
    t.#hoisted = this.#hoisted;
    t.#hoistedVars = this.#hoistedVars;
    for (const n of this.#hoistedVars) t.#vars.set(n, this.#vars.get(n)!);
    return t;
  }

  /**
   * Emit `program` for several vectors at once, statement by statement in turn (renderers made
   * by {@linkcode LaneWasm.twin}), so that their independent dependency chains sit side by side
   * in the instruction stream and the processor overlaps them.
   *
   * @param renderers One renderer per vector.
   * @param program The program.
   */
  static interleave(renderers: readonly LaneWasm[], program: LaneProgram): void {
    for (const s of program.body) for (const r of renderers) r.#stmt(s, true);
  }

  #stmts(stmts: readonly Stmt[], top: boolean): void {
    for (const s of stmts) this.#stmt(s, top);
  }

  #countUses(e: Expr): void {
    this.#uses.set(e.id, (this.#uses.get(e.id) ?? 0) + 1);
    if ((this.#uses.get(e.id) ?? 0) > 1) return;
    if (this.#hoistable(e)) return;
    e.args.forEach((a) => this.#countUses(a));
  }

  /** Evaluate `e` (per statement: nodes used twice are computed once). */
  #evaluate(e: Expr): void {
    this.#uses = new Map();
    this.#cse = new Map();
    this.#countUses(e);
    if (e.scalar) this.#scalar(e);
    else this.#lane(e);
  }

  #stmt(s: Stmt, top: boolean): void {
    const f = this.#f;
    switch (s.kind) {
      case "let":
      case "var":
      case "set": {
        if (top && s.kind === "let" && this.#hoistedVars.has(s.name)) return;
        const type: ValueType = s.expr.scalar ? (s.expr.type === "f32" ? F32 : I32) : V128;
        const l = this.#local(s.name, type);
        this.#evaluate(s.expr);
        f.op(OP.local_set, l);
        return;
      }
      case "if":
        this.#evaluate(s.cond);
        f.op(OP.if, 0x40);
        this.#stmts(s.body, false);
        f.op(OP.end);
        return;
    }
  }

  #splat(type: Expr["type"]): void {
    const f = this.#f;
    if (type === "f32") f.simd(SIMD.f32x4_splat);
    else if (type === "u32") f.simd(SIMD.i32x4_splat);
    else {
      // bool 0/1 -> lane mask 0/-1
      const t = f.local(I32);
      f.op(OP.local_set, t).i32(0).op(OP.local_get, t).op(OP.i32_sub).simd(SIMD.i32x4_splat);
    }
  }

  /** Push scalar `e` (f32 or i32). `fresh` skips the hoisted copy (used while hoisting). */
  #scalar(e: Expr, fresh = false): void {
    const f = this.#f;
    if (!fresh && this.#hoistable(e)) {
      const h = this.#hoisted.get(key(e));
      if (h) {
        f.op(OP.local_get, h.scalar);
        return;
      }
    }
    if (this.#scalarLeaf(e)) return;
    const [a, b, c] = e.args;
    switch (e.kind) {
      case "shr":
        this.#scalar(a);
        f.i32(e.value as number).op(OP.i32_shr_u);
        return;
      case "to_f32":
        this.#scalar(a);
        f.op(OP.f32_convert_i32_u);
        return;
      case "and":
      case "or":
        this.#scalar(a);
        this.#scalar(b);
        f.op(e.kind === "and" ? OP.i32_and : OP.i32_or);
        return;
      case "not":
        this.#scalar(a);
        f.op(OP.i32_eqz);
        return;
      case "select":
        this.#scalar(b);
        this.#scalar(c);
        this.#scalar(a);
        f.op(OP.select);
        return;
      case "is_nan": {
        const t = f.local(F32);
        this.#scalar(a);
        f.op(OP.local_tee, t).op(OP.local_get, t).op(OP.f32_ne);
        return;
      }
      case "fma":
        for (const x of [a, b]) {
          this.#scalar(x);
          f.op(OP.f64_promote_f32);
        }
        f.op(OP.f64_mul);
        this.#scalar(c);
        f.op(OP.f64_promote_f32).op(OP.f64_add).op(OP.f32_demote_f64);
        return;
    }
    const ops = e.args[0]?.type === "u32" ? U32S : F32S;
    const op = ops[e.kind];
    if (op === undefined) {
      throw new TypeError(
        `internal: the scalar operation '${e.kind}' has no WebAssembly rendering`,
      );
    }
    e.args.forEach((x) => this.#scalar(x));
    f.op(op);
  }

  /** Push scalar leaf `e`; false for an operation. */
  #scalarLeaf(e: Expr): boolean {
    const f = this.#f;
    const L = this.#leaves;
    switch (e.kind) {
      case "const":
        if (e.type === "f32") f.f32(e.value as number);
        else f.i32((e.value as number) | 0);
        return true;
      case "uniform":
        L.uniform(f, e.value as string);
        return true;
      case "engine":
        L.engine(f, e.value as string, e.type === "u32" ? "u32" : "f32");
        return true;
      case "var":
        f.op(OP.local_get, this.#vars.get(e.value as string)!);
        return true;
      case "tensor_index":
        L.tensorIndex(f);
        return true;
      case "tensor_scale":
        L.tensorScale(f, e.value as number);
        return true;
      case "global_scale":
        L.globalScale(f, e.value as number);
        return true;
      case "opaque_one":
        f.f32(1);
        return true;
    }
    return false;
  }

  /** Push lane value `e` (v128). */
  #lane(e: Expr): void {
    const f = this.#f;
    if (e.scalar) {
      const h = this.#hoistable(e) ? this.#hoisted.get(key(e)) : undefined;
      if (h && h.lane !== null) f.op(OP.local_get, h.lane);
      else {
        this.#scalar(e);
        this.#splat(e.type);
      }
      return;
    }
    const cached = this.#cse.get(e.id);
    if (cached !== undefined) {
      f.op(OP.local_get, cached);
      return;
    }
    this.#laneOp(e);
    if ((this.#uses.get(e.id) ?? 0) > 1) {
      const l = f.local(V128);
      f.op(OP.local_tee, l);
      this.#cse.set(e.id, l);
    }
  }

  #toLocal(e: Expr): number {
    const l = this.#f.local(V128);
    this.#lane(e);
    this.#f.op(OP.local_set, l);
    return l;
  }

  /** The operations written out of several instructions: sign, isNaN, fma. */
  #laneComposite(e: Expr): boolean {
    const f = this.#f;
    const [a, b, c] = e.args;
    switch (e.kind) {
      case "sign": {
        const x = this.#toLocal(a);
        f.op(OP.local_get, x).v128Splat("f32x4", 0).simd(SIMD.f32x4_gt);
        f.v128Splat("f32x4", 1).simd(SIMD.v128_and);
        f.op(OP.local_get, x).v128Splat("f32x4", 0).simd(SIMD.f32x4_lt);
        f.v128Splat("f32x4", 1).simd(SIMD.v128_and);
        f.simd(SIMD.f32x4_sub);
        return true;
      }
      case "is_nan": {
        const x = this.#toLocal(a);
        f.op(OP.local_get, x).op(OP.local_get, x).simd(SIMD.f32x4_ne);
        return true;
      }
      case "fma": {
        const [xa, xb, xc] = [a, b, c].map((x) => this.#toLocal(x));
        for (const sel of [LO, HI]) {
          for (const x of [xa, xb, xc]) {
            f.op(OP.local_get, x);
            if (sel === HI) f.op(OP.local_get, x).shuffle(HI);
            f.simd(SIMD.f64x2_promote_low_f32x4);
            if (x === xb) f.simd(SIMD.f64x2_mul);
            if (x === xc) f.simd(SIMD.f64x2_add);
          }
          f.simd(SIMD.f32x4_demote_f64x2_zero);
        }
        f.shuffle(JOIN);
        return true;
      }
    }
    return false;
  }

  #laneOp(e: Expr): void {
    if (this.#laneComposite(e)) return;
    const f = this.#f;
    const k = indexMultiplier(e);
    if (k !== undefined && this.#leaves.elementIndexTimes?.(f, k)) return;
    const [a, b, c] = e.args;
    const L = this.#leaves;
    switch (e.kind) {
      case "var":
        f.op(OP.local_get, this.#vars.get(e.value as string)!);
        return;
      case "element_index":
        return L.elementIndex(f);
      case "valid":
        return L.valid(f);
      case "splat":
        this.#lane(a);
        return;
      case "select":
        if (a.kind === "valid" && L.allValid?.()) {
          this.#lane(b); // a full vector: every lane takes b
          return;
        }
        this.#lane(b);
        this.#lane(c);
        this.#lane(a);
        f.simd(SIMD.v128_bitselect);
        return;
      case "and":
      case "or":
        this.#lane(a);
        this.#lane(b);
        f.simd(e.kind === "and" ? SIMD.v128_and : SIMD.v128_or);
        return;
      case "not":
        this.#lane(a);
        f.simd(SIMD.v128_not);
        return;
      case "shr":
        this.#lane(a);
        f.i32(e.value as number).simd(SIMD.i32x4_shr_u);
        return;
      case "to_f32":
        this.#lane(a);
        // Below 2^31 (a shifted value) the signed conversion is the same and one instruction.
        f.simd(
          a.kind === "shr" && (a.value as number) > 0
            ? SIMD.f32x4_convert_i32x4_s
            : SIMD.f32x4_convert_i32x4_u,
        );
        return;
      case "const": // scalars are handled by #lane
        return;
    }
    const ops = a.type === "u32" ? U32X4 : F32X4;
    const op = ops[e.kind];
    if (op === undefined) {
      throw new TypeError(`internal: the lane operation '${e.kind}' has no WebAssembly rendering`);
    }
    e.args.forEach((x) => this.#lane(x));
    f.simd(op);
  }
}
