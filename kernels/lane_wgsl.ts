/**
 * Render a {@linkcode LaneProgram} as WGSL statements on `vec4<f32>` lanes (scalars stay scalars
 * where WGSL's arithmetic accepts a scalar operand, and are widened elsewhere). Torch's NaN rules
 * come from the helper functions of `optimizers/_wgsl_torch.ts` (`nb_max4`, `nb_sign4`, ...),
 * exact fused multiply-adds from `optimizers/_wgsl_fma.ts`.
 *
 * @module
 */

import { _fmaWgsl } from "../optimizers/_wgsl_fma.ts";
import type { Expr, LaneProgram, LaneType, Stmt } from "./lane.ts";

/** How the engine spells the leaves of a program in its kernel. */
export interface WgslLeaves {
  /** A variable (`p`, `g`, a slot, a temporary). @default {the name; `g` is `gv`} */
  variable?(name: string): string;
  /** A definition uniform. @default {`u.<name>`} */
  uniform?(name: string): string;
  /** An engine uniform. @default {`e.<name>`} */
  engine?(name: string): string;
  /** The tensor index (u32). @default {`t`} */
  tensorIndex?: string;
  /** Element indices (`vec4<u32>`). @default {`vec4<u32>(e0, e0 + 1u, e0 + 2u, e0 + 3u)`} */
  elementIndex?: string;
  /** Lanes inside the tensor (`vec4<bool>`). @default {`valid`} */
  valid?: string;
  /** Per-tensor scale of reduction r (f32). */
  tensorScale?(r: number): string;
  /** Global coefficient of reduction r (f32). */
  globalScale?(r: number): string;
  /** An f32 equal to 1 that the compiler cannot see through. @default {`u.one`} */
  one?: string;
}

const VEC: Record<LaneType, string> = { f32: "vec4<f32>", u32: "vec4<u32>", bool: "vec4<bool>" };

/** An f32 literal that parses back to exactly `x`. */
function f32Literal(x: number): string {
  if (Number.isNaN(x) || !Number.isFinite(x)) {
    throw new RangeError(`internal: a WGSL constant must be finite: ${x}`);
  }
  const s = String(x);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

class Renderer {
  readonly lines: string[] = [];
  readonly #leaves: WgslLeaves;
  #indent = "";

  constructor(leaves: WgslLeaves) {
    this.#leaves = leaves;
  }

  /** `x` as a vector when `lane`, else as it is. */
  #wide(e: Expr, lane: boolean): string {
    const s = this.expr(e);
    return lane && e.scalar ? `${VEC[e.type]}(${s})` : s;
  }

  #call(vec: string, scalar: string, e: Expr): string {
    const lane = !e.scalar;
    const args = e.args.map((a) => this.#wide(a, lane)).join(", ");
    return `${lane ? vec : scalar}(${args})`;
  }

  /** A variable's WGSL name. */
  name(n: string): string {
    const L = this.#leaves;
    return L.variable ? L.variable(n) : n === "g" ? "gv" : n;
  }

  /** A leaf's WGSL, or null for an operation. */
  #leaf(e: Expr): string | null {
    const L = this.#leaves;
    switch (e.kind) {
      case "const":
        return e.type === "u32" ? `${e.value}u` : f32Literal(e.value as number);
      case "uniform":
        return L.uniform ? L.uniform(e.value as string) : `u.${e.value}`;
      case "engine":
        return L.engine ? L.engine(e.value as string) : `e.${e.value}`;
      case "var":
        return this.name(e.value as string);
      case "tensor_index":
        return L.tensorIndex ?? "t";
      case "element_index":
        return L.elementIndex ?? "vec4<u32>(e0, e0 + 1u, e0 + 2u, e0 + 3u)";
      case "valid":
        return L.valid ?? "valid";
      case "tensor_scale":
        return L.tensorScale!(e.value as number);
      case "global_scale":
        return L.globalScale!(e.value as number);
      case "opaque_one":
        return L.one ?? "u.one";
      default:
        return null;
    }
  }

  expr(e: Expr): string {
    const leaf = this.#leaf(e);
    if (leaf !== null) return leaf;
    const [a, b, c] = e.args;
    const lane = !e.scalar;
    const both = (op: string) => `(${this.#wide(a, lane)} ${op} ${this.#wide(b, lane)})`;
    switch (e.kind) {
      case "add":
      case "sub":
      case "mul":
      case "div":
        // WGSL accepts a scalar operand in vector arithmetic: kept as written.
        return `(${this.expr(a)} ${{ add: "+", sub: "-", mul: "*", div: "/" }[e.kind]} ${
          this.expr(b)
        })`;
      case "neg":
        return `(-${this.expr(a)})`;
      case "abs":
      case "sqrt":
        return `${e.kind}(${this.expr(a)})`;
      case "max":
        return this.#call("nb_max4", "nb_max1", e);
      case "min":
        return this.#call("nb_min4", "nb_min1", e);
      case "sign":
        return this.#call("nb_sign4", "nb_sign1", e);
      case "is_nan":
        return this.#call("nb_isnan4", "nb_isnan1", e);
      case "fma":
        return this.#fma(a, b, c, e.id);
      case "select":
        return `select(${this.#wide(c, lane)}, ${this.#wide(b, lane)}, ${this.expr(a)})`;
      case "lt":
      case "gt":
      case "le":
      case "ge":
      case "eq":
      case "ne": {
        const wide = !a.scalar || !b.scalar;
        const op = { lt: "<", gt: ">", le: "<=", ge: ">=", eq: "==", ne: "!=" }[e.kind];
        return `(${this.#wide(a, wide)} ${op} ${this.#wide(b, wide)})`;
      }
      case "and":
        return lane ? both("&") : `(${this.expr(a)} && ${this.expr(b)})`;
      case "or":
        return lane ? both("|") : `(${this.expr(a)} || ${this.expr(b)})`;
      case "not":
        return `(!${this.expr(a)})`;
      case "xor":
        return both("^");
      case "shr":
        return lane
          ? `(${this.expr(a)} >> vec4<u32>(${e.value}u))`
          : `(${this.expr(a)} >> ${e.value}u)`;
      case "splat":
        return `${VEC[e.type]}(${this.expr(a)})`;
      case "to_f32":
        return lane ? `vec4<f32>(${this.expr(a)})` : `f32(${this.expr(a)})`;
    }
    throw new TypeError(`internal: no WGSL for '${e.kind}'`);
  }

  /** An exact fused multiply-add: emitted as statements before the current one. */
  #fma(a: Expr, b: Expr, c: Expr, id: number): string {
    const name = `fma${id}`;
    const one = this.#leaves.one ?? "u.one";
    const lines = _fmaWgsl(
      name,
      this.#wide(a, true),
      this.#wide(b, true),
      this.#wide(c, true),
      one,
    );
    for (const l of lines) this.lines.push(this.#indent + l);
    return name;
  }

  stmts(body: readonly Stmt[]): void {
    for (const s of body) this.stmt(s);
  }

  stmt(s: Stmt): void {
    const pad = this.#indent;
    const v = (n: string) => this.name(n);
    switch (s.kind) {
      case "let":
      case "var": {
        const x = this.expr(s.expr);
        this.lines.push(`${pad}${s.kind} ${v(s.name)} = ${x};`);
        return;
      }
      case "set": {
        const x = this.expr(s.expr);
        this.lines.push(`${pad}${v(s.name)} = ${x};`);
        return;
      }
      case "if": {
        const x = this.expr(s.cond);
        this.lines.push(`${pad}if (${x}) {`);
        this.#block(s.body);
        return;
      }
    }
  }

  #block(body: readonly Stmt[]): void {
    const pad = this.#indent;
    this.#indent = pad + "  ";
    this.stmts(body);
    this.#indent = pad;
    this.lines.push(`${pad}}`);
  }
}

/**
 * The WGSL statements of `program`, one per line.
 *
 * @example Usage
 * ```ts
 * import { LaneBuilder } from "./lane.ts";
 * import { laneWgsl } from "./lane_wgsl.ts";
 * import { equal } from "node:assert/strict";
 * const k = new LaneBuilder();
 * k.set("p", k.p.add(k.u("neg_lr").mul(k.g)));
 * equal(laneWgsl(k.program()), "p = (p + (u.neg_lr * gv));");
 * ```
 */
export function laneWgsl(program: LaneProgram, leaves: WgslLeaves = {}): string {
  const r = new Renderer(leaves);
  r.stmts(program.body);
  return r.lines.join("\n");
}
