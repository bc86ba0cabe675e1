/**
 * A small language for element-wise kernels, written once and rendered as WGSL
 * (`lane_wgsl.ts`, `vec4<f32>` lanes) and as WebAssembly SIMD (`lane_wasm.ts`, `f32x4` lanes;
 * `f64x2` where a fused multiply-add must be exact). Every optimizer's update
 * and every fused gradient transform is a {@linkcode LaneProgram}; the hand-written TypeScript
 * loops stay as the independent float32 reference both renderings are tested against.
 *
 * A program is a list of statements over named variables (`p`, `g`, the slots, temporaries).
 * Expressions are trees of {@linkcode Expr}; every value is either a *lane* value (one per
 * element: `f32`, `u32` or `bool`) or a *scalar* (the same for every element of a tensor: a
 * uniform, a constant, the tensor index). Operations follow PyTorch 1.13 on the
 * CPU: `max`/`min` propagate NaN, `sign(NaN)` is 0, `fma(a, b, c)` rounds once with an exact
 * product (torch's CPU kernels fuse `add_(x, alpha=)` and `addcmul_`), every other operation is
 * one IEEE float32 operation.
 *
 * ```ts
 * import { LaneBuilder } from "./lane.ts";
 * import { laneWgsl } from "./lane_wgsl.ts";
 * import { equal } from "node:assert/strict";
 * const k = new LaneBuilder();
 * const m = k.slot("exp_avg");
 * k.set("exp_avg", m.mul(k.u("beta1")).add(k.g.mul(k.u("one_minus_beta1"))));
 * equal(laneWgsl(k.program()), "exp_avg = ((exp_avg * u.beta1) + (gv * u.one_minus_beta1));");
 * ```
 *
 * @module
 */

/** Element types. */
export type LaneType = "f32" | "u32" | "bool";

/** What an expression computes. */
export type ExprKind =
  | "const"
  | "uniform"
  | "engine"
  | "var"
  | "tensor_index"
  | "element_index"
  | "valid"
  | "tensor_scale"
  | "global_scale"
  | "opaque_one"
  | "add"
  | "sub"
  | "mul"
  | "div"
  | "neg"
  | "abs"
  | "sqrt"
  | "max"
  | "min"
  | "sign"
  | "fma"
  | "select"
  | "lt"
  | "gt"
  | "le"
  | "ge"
  | "eq"
  | "ne"
  | "and"
  | "or"
  | "not"
  | "is_nan"
  | "xor"
  | "shr"
  | "to_f32"
  | "splat";

let nextId = 0;

/**
 * One expression node (immutable).
 *
 * @example Usage
 * ```ts
 * import { f32 } from "./lane.ts";
 * import { deepEqual } from "node:assert/strict";
 * const e = f32(2).mul(3);
 * deepEqual([e.kind, e.scalar], ["mul", true]);
 * ```
 */
export class Expr {
  /** Unique id (for common-subexpression locals in the renderers). */
  readonly id: number = nextId++;
  /**
   * A node (build expressions with the methods, `f32`, `u32`, `fma`, `select` and the builder).
   *
   * @param kind The operation.
   * @param type Element type of the result.
   * @param scalar Whether the value is the same for every element of a tensor.
   * @param args Operands.
   * @param value Constant value, uniform or variable name, reduction index, shift amount.
   */
  constructor(
    readonly kind: ExprKind,
    readonly type: LaneType,
    readonly scalar: boolean,
    readonly args: readonly Expr[] = [],
    readonly value: number | string = 0,
  ) {}

  #bin(kind: ExprKind, b: Expr | number, type: LaneType = this.type): Expr {
    const y = typeof b === "number" ? (this.type === "u32" ? u32(b) : f32(b)) : b;
    return new Expr(kind, type, this.scalar && y.scalar, [this, y]);
  }
  #un(kind: ExprKind, type: LaneType = this.type): Expr {
    return new Expr(kind, type, this.scalar, [this]);
  }

  /** `this + b` (f32: one rounding; u32: wrapping). */
  add(b: Expr | number): Expr {
    return this.#bin("add", b);
  }
  /** `this - b`. */
  sub(b: Expr | number): Expr {
    return this.#bin("sub", b);
  }
  /** `this · b` (u32: wrapping, low 32 bits). */
  mul(b: Expr | number): Expr {
    return this.#bin("mul", b);
  }
  /** `this / b`. */
  div(b: Expr | number): Expr {
    return this.#bin("div", b);
  }
  /** `-this`. */
  neg(): Expr {
    return this.#un("neg");
  }
  /** `|this|`. */
  abs(): Expr {
    return this.#un("abs");
  }
  /** `sqrt(this)` (NaN below 0). */
  sqrt(): Expr {
    return this.#un("sqrt");
  }
  /** `torch.maximum(this, b)`: NaN if either is NaN. */
  max(b: Expr | number): Expr {
    return this.#bin("max", b);
  }
  /** `torch.minimum(this, b)`: NaN if either is NaN. */
  min(b: Expr | number): Expr {
    return this.#bin("min", b);
  }
  /** `torch.sign(this)` (torch 1.13: 0 for ±0 and NaN). */
  sign(): Expr {
    return this.#un("sign");
  }
  /** `this < b`. */
  lt(b: Expr | number): Expr {
    return this.#bin("lt", b, "bool");
  }
  /** `this > b`. */
  gt(b: Expr | number): Expr {
    return this.#bin("gt", b, "bool");
  }
  /** `this <= b`. */
  le(b: Expr | number): Expr {
    return this.#bin("le", b, "bool");
  }
  /** `this >= b`. */
  ge(b: Expr | number): Expr {
    return this.#bin("ge", b, "bool");
  }
  /** `this == b`. */
  eq(b: Expr | number): Expr {
    return this.#bin("eq", b, "bool");
  }
  /** `this != b`. */
  ne(b: Expr | number): Expr {
    return this.#bin("ne", b, "bool");
  }
  /** Logical and of two masks. */
  and(b: Expr): Expr {
    return this.#bin("and", b);
  }
  /** Logical or of two masks. */
  or(b: Expr): Expr {
    return this.#bin("or", b);
  }
  /** Logical not of a mask. */
  not(): Expr {
    return this.#un("not");
  }
  /** Whether this f32 is NaN (tested on the bits). */
  isNaN(): Expr {
    return this.#un("is_nan", "bool");
  }
  /** `this ^ b` (u32). */
  xor(b: Expr | number): Expr {
    return this.#bin("xor", b);
  }
  /** `this >> n` (u32, logical; `n` a constant). */
  shr(n: number): Expr {
    return new Expr("shr", "u32", this.scalar, [this], n);
  }
  /** The u32 as f32 (exact below 2^24). */
  toF32(): Expr {
    return this.#un("to_f32", "f32");
  }
}

/**
 * A scalar as the same value in every lane.
 *
 * @example Usage
 * ```ts
 * import { splat, u32 } from "./lane.ts";
 * import { equal } from "node:assert/strict";
 * equal(splat(u32(1)).scalar, false);
 * ```
 */
export function splat(x: Expr): Expr {
  if (!x.scalar) return x;
  return new Expr("splat", x.type, false, [x]);
}

/**
 * A float32 constant (rounded to float32).
 *
 * @example Usage
 * ```ts
 * import { f32 } from "./lane.ts";
 * import { equal } from "node:assert/strict";
 * equal(f32(0.1).value, Math.fround(0.1));
 * ```
 */
export function f32(x: number): Expr {
  return new Expr("const", "f32", true, [], Math.fround(x));
}

/**
 * A u32 constant.
 *
 * @example Usage
 * ```ts
 * import { u32 } from "./lane.ts";
 * import { equal } from "node:assert/strict";
 * equal(u32(-1).value, 0xffffffff);
 * ```
 */
export function u32(x: number): Expr {
  return new Expr("const", "u32", true, [], x >>> 0);
}

/**
 * `a·b + c` rounded once, the product exact (torch's fused CPU kernels).
 *
 * @example Usage
 * ```ts
 * import { fma, LaneBuilder } from "./lane.ts";
 * import { laneWgsl } from "./lane_wgsl.ts";
 * import { match } from "node:assert/strict";
 * const k = new LaneBuilder();
 * k.set("g", fma(k.e("wd"), k.p, k.g));
 * match(laneWgsl(k.program()), /let fma\d+ = select\(/);
 * ```
 */
export function fma(a: Expr, b: Expr, c: Expr): Expr {
  return new Expr("fma", "f32", a.scalar && b.scalar && c.scalar, [a, b, c]);
}

/**
 * `mask ? a : b`, per element.
 *
 * @example Usage
 * ```ts
 * import { LaneBuilder, select } from "./lane.ts";
 * import { laneWgsl } from "./lane_wgsl.ts";
 * import { equal } from "node:assert/strict";
 * const k = new LaneBuilder();
 * k.set("p", select(k.g.lt(0), k.p, k.g));
 * equal(laneWgsl(k.program()), "p = select(gv, p, (gv < vec4<f32>(0.0)));");
 * ```
 */
export function select(mask: Expr, a: Expr, b: Expr): Expr {
  return new Expr("select", a.type, mask.scalar && a.scalar && b.scalar, [mask, a, b]);
}

/** One statement of a {@linkcode LaneProgram}. */
export type Stmt =
  | { readonly kind: "let"; readonly name: string; readonly expr: Expr }
  | { readonly kind: "var"; readonly name: string; readonly expr: Expr }
  | { readonly kind: "set"; readonly name: string; readonly expr: Expr }
  | { readonly kind: "if"; readonly cond: Expr; readonly body: readonly Stmt[] };

/** A kernel body: statements plus the names of the variables it reads and writes. */
export interface LaneProgram {
  /** The statements, in order. */
  readonly body: readonly Stmt[];
}

/**
 * Builds a {@linkcode LaneProgram}. `p`, `g` and the slots are the engine's variables (lane
 * f32, readable and writable by name); `let` and `var` declare temporaries.
 * @example Usage
 * ```ts
 * import { LaneBuilder } from "./lane.ts";
 * import { equal } from "node:assert/strict";
 * const k = new LaneBuilder();
 * k.set("p", k.p.sub(k.u("lr").mul(k.g)));
 * equal(k.program().body.length, 1);
 * ```
 */
export class LaneBuilder {
  readonly #stack: Stmt[][] = [[]];
  #fresh = 0;

  /** A new temporary name `<prefix><n>`, unique in this builder. */
  fresh(prefix: string): string {
    return `${prefix}${this.#fresh++}`;
  }

  /** A variable's current value. */
  v(name: string, type: LaneType = "f32", scalar = false): Expr {
    return new Expr("var", type, scalar, [], name);
  }
  /** The parameter. */
  get p(): Expr {
    return this.v("p");
  }
  /** The gradient (after the transforms and the prologue inside the definition's body). */
  get g(): Expr {
    return this.v("g");
  }
  /** A state slot. */
  slot(name: string): Expr {
    return this.v(name);
  }
  /** A definition uniform (`OptimizerDef.uniforms`), float32, per group and step. */
  u(name: string): Expr {
    return new Expr("uniform", "f32", true, [], name);
  }
  /** An engine uniform (`engineFields`): f32 or u32. */
  e(name: string, type: "f32" | "u32" = "f32"): Expr {
    return new Expr("engine", type, true, [], name);
  }
  /** The tensor's global index (u32). */
  tensorIndex(): Expr {
    return new Expr("tensor_index", "u32", true);
  }
  /** Each element's index inside its tensor (u32 lanes). */
  elementIndex(): Expr {
    return new Expr("element_index", "u32", false);
  }
  /** Whether each lane is an element of the tensor (false in the padding of the last vector). */
  valid(): Expr {
    return new Expr("valid", "bool", false);
  }
  /** The per-tensor scale of reduction `r` (a scalar). */
  tensorScale(r: number): Expr {
    return new Expr("tensor_scale", "f32", true, [], r);
  }
  /** The global coefficient of reduction `r` (a scalar). */
  globalScale(r: number): Expr {
    return new Expr("global_scale", "f32", true, [], r);
  }
  /** 1 at run time, opaque to shader compilers (exact sums in WGSL need it). */
  one(): Expr {
    return new Expr("opaque_one", "f32", true);
  }

  #push(s: Stmt): void {
    this.#stack[this.#stack.length - 1].push(s);
  }
  /** `let name = expr` (immutable); returns a read of it. */
  let(name: string, expr: Expr): Expr {
    this.#push({ kind: "let", name, expr });
    return new Expr("var", expr.type, expr.scalar, [], name);
  }
  /** `var name = expr` (mutable); returns a read of it. */
  var(name: string, expr: Expr): Expr {
    this.#push({ kind: "var", name, expr });
    return new Expr("var", expr.type, expr.scalar, [], name);
  }
  /** `name = expr`. */
  set(name: string, expr: Expr): void {
    this.#push({ kind: "set", name, expr });
  }
  /** `if (cond) { body }` on a scalar condition. */
  when(cond: Expr, body: () => void): void {
    if (!cond.scalar) throw new TypeError("internal: a lane program branches on scalars only");
    this.#stack.push([]);
    body();
    this.#push({ kind: "if", cond, body: this.#stack.pop()! });
  }
  /** The program built so far. */
  program(): LaneProgram {
    return { body: [...this.#stack[0]] };
  }
}

/**
 * Concatenate programs (e.g. the transforms, the prologue and an optimizer's body).
 *
 * @example Usage
 * ```ts
 * import { concatPrograms, LaneBuilder } from "./lane.ts";
 * import { equal } from "node:assert/strict";
 * const a = new LaneBuilder();
 * a.set("p", a.p.mul(2));
 * equal(concatPrograms(a.program(), a.program()).body.length, 2);
 * ```
 */
export function concatPrograms(...programs: LaneProgram[]): LaneProgram {
  return { body: programs.flatMap((p) => p.body) };
}

/**
 * The names a program reads of one kind of leaf: definition uniforms (`"uniform"`), engine
 * uniforms (`"engine"`) or variables (`"var"`), in first-use order.
 *
 * @example Usage
 * ```ts
 * import { LaneBuilder, namesRead } from "./lane.ts";
 * import { deepEqual } from "node:assert/strict";
 * const k = new LaneBuilder();
 * k.set("p", k.p.mul(k.u("decay")).add(k.u("step")));
 * deepEqual(namesRead(k.program(), "uniform"), ["decay", "step"]);
 * deepEqual(namesRead(k.program(), "var"), ["p"]);
 * ```
 */
export function namesRead(program: LaneProgram, kind: "uniform" | "engine" | "var"): string[] {
  const out = new Set<string>();
  forEachExpr(program, (e) => {
    if (e.kind === kind) out.add(e.value as string);
  });
  return [...out];
}

/**
 * Call `visit` on every expression node of `program` (statements in order, `if` conditions
 * before their bodies, each node before its operands).
 *
 * @param program The program.
 * @param visit Called once per node.
 * @example Usage
 * ```ts
 * import { forEachExpr, LaneBuilder } from "./lane.ts";
 * import { equal } from "node:assert/strict";
 * const k = new LaneBuilder();
 * k.set("p", k.p.add(1));
 * let n = 0;
 * forEachExpr(k.program(), () => n++);
 * equal(n, 3); // add, p, 1
 * ```
 */
export function forEachExpr(program: LaneProgram, visit: (e: Expr) => void): void {
  const expr = (e: Expr): void => {
    visit(e);
    e.args.forEach(expr);
  };
  const walk = (stmts: readonly Stmt[]) => {
    for (const s of stmts) {
      if (s.kind === "if") {
        expr(s.cond);
        walk(s.body);
      } else expr(s.expr);
    }
  };
  walk(program.body);
}
