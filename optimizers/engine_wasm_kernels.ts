/**
 * The wasm backend's kernels, generated as one WebAssembly module per memory from the same
 * element programs as the WGSL (`engine_program.ts`): `update(s0, s1)` runs the transforms, the
 * prologue and the definition's update over segments `[s0, s1)`; `accumulate(s0, s1)` sums the
 * gradients into the accumulator column; `norm<r>(s0, s1)` writes each segment's partial of
 * reduction r (a float64 sum of squares or of |g|, or a max |g|, of the gradient after the
 * reduction's first operations). A segment's full vectors run in a loop of `f32x4`; its last
 * 1-3 elements run once more through the same code on a masked vector whose stores keep the
 * padding as it was (the scalar tail, vectorised).
 *
 * @module
 */

import { type Expr, LaneBuilder, type LaneProgram, namesRead, type Stmt } from "../kernels/lane.ts";
import { indexMultipliers, LaneWasm, type WasmLeaves } from "../kernels/lane_wasm.ts";
import type { TransformPlan } from "../transforms/plan.ts";
import { measuresRawGradients } from "../transforms/plan.ts";
import { type FunctionEmitter, I32, ModuleBuilder, OP, SIMD, V128 } from "../wasm/assembler.ts";
import { PAGE_BYTES } from "../wasm/shared_memory.ts";
import { RunningProducts } from "./engine_wasm_running.ts";
import { engineFields, type UniformField } from "./engine_kernel.ts";
import { opsProgram, updateProgram } from "./engine_program.ts";
import { type MemoryLayout, SEG_FIXED_WORDS, type WasmLayout } from "./engine_wasm_layout.ts";
import type { Hyper, OptimizerDef } from "./types.ts";

/**
 * The engine fields of a wasm uniform block: the WGSL engine's, then each reduction's global
 * coefficient (`gscale<r>`, written by the host between the norm pass and the update).
 *
 * @example Usage
 * ```ts
 * import { wasmEngineFields } from "./engine_wasm_kernels.ts";
 * import { compilePlan } from "../transforms/plan.ts";
 * import { deepEqual } from "node:assert/strict";
 * const plan = compilePlan([{ kind: "clip_global_norm", maxNorm: 1, normType: 2, style: "torch" }]);
 * deepEqual(wasmEngineFields(plan).at(-1), ["gscale0", "f32"]);
 * ```
 */
export function wasmEngineFields(plan: TransformPlan): UniformField[] {
  return [...engineFields(plan), ...plan.reductions.map((_, r) => [`gscale${r}`, "f32"] as const)];
}

/** What a generated module exports, in the order of `exports`. */
export interface WasmKernels {
  /** The compiled module. */
  readonly module: WebAssembly.Module;
  /** Export names: `update`, then `accumulate` (with accumulation), then `norm<r>`. */
  readonly exports: readonly string[];
}

/** Registers of one segment loop. */
interface SegmentLocals {
  readonly rec: number;
  readonly ptr: number;
  readonly end: number;
  readonly n: number;
  readonly e0: number;
  readonly tensor: number;
  readonly ub: number;
  readonly tail: number;
  /** Lane offsets `[0, 1, 2, 3]` and `[4, 5, 6, 7]` (set once: not rebuilt per vector). */
  readonly offsets: readonly [number, number];
  /** Whether the current body is the tail (valid lanes from `tail`). */
  inTail: boolean;
}

const HIGH_HALF = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];

/**
 * `acc[h] = combine(acc[h], f64(x half h)²)` (or without the square) for both f64x2 halves of
 * the f32x4 in local `x`.
 */
function accumulateHalves(
  f: FunctionEmitter,
  x: number,
  acc: readonly number[],
  square: boolean,
  combine: number,
): void {
  [0, 1].forEach((half) => {
    f.op(OP.local_get, acc[half]).op(OP.local_get, x);
    if (half) f.op(OP.local_get, x).shuffle(HIGH_HALF);
    f.simd(SIMD.f64x2_promote_low_f32x4);
    if (square) {
      const t = f.local(V128);
      f.op(OP.local_tee, t).op(OP.local_get, t).simd(SIMD.f64x2_mul);
    }
    f.simd(combine).op(OP.local_set, acc[half]);
  });
}

/**
 * Whether the update renders two vectors per iteration: programs with many lane operations
 * (the noise draw's hash and quantile), whose dependency chains outgrow what the processor
 * overlaps across iterations.
 */
function _interleaves(program: LaneProgram): boolean {
  let ops = 0;
  const count = (e: Expr): void => {
    if (!e.scalar) ops++;
    e.args.forEach(count);
  };
  const walk = (stmts: readonly Stmt[]) => {
    for (const s of stmts) {
      if (s.kind === "if") walk(s.body);
      else count(s.expr);
    }
  };
  walk(program.body);
  return ops > 48;
}

/** Vectors per block whose index-only statements are computed ahead (see `_splitIndexOnly`). */
const _BLOCK = 8;

/**
 * Split `program` into the top-level `let`s that depend only on the element index, per-tensor
 * scalars and earlier such `let`s (the noise draw), and the rest (in their order): in a block
 * of vectors the first part runs for every vector before the rest, so the processor overlaps
 * those long independent chains. A `let` is immutable and these read nothing a later statement
 * writes, so computing them first gives the same bits.
 */
function _splitIndexOnly(program: LaneProgram): { pre: LaneProgram; rest: LaneProgram } {
  const pure = new Set<string>();
  const indexOnly = (e: Expr): boolean => {
    if (e.kind === "valid") return false;
    if (e.kind === "var") return pure.has(e.value as string);
    return e.args.every(indexOnly);
  };
  const pre: Stmt[] = [], rest: Stmt[] = [];
  for (const s of program.body) {
    if (s.kind === "let" && indexOnly(s.expr)) {
      pure.add(s.name);
      pre.push(s);
    } else rest.push(s);
  }
  return { pre: { body: pre }, rest: { body: rest } };
}

/** The generator's view of one module (one memory). */
class Generator {
  readonly m: ModuleBuilder;
  readonly uniforms: readonly string[];
  readonly fields: readonly UniformField[];

  constructor(
    readonly def: OptimizerDef,
    readonly h: Hyper,
    readonly plan: TransformPlan,
    readonly layout: WasmLayout,
    readonly mem: MemoryLayout,
    shared: boolean,
  ) {
    const pages = Math.max(1, Math.ceil(mem.bytes / PAGE_BYTES));
    this.m = new ModuleBuilder({ memory: { shared, minPages: pages, maxPages: pages } });
    this.uniforms = def.uniforms(h);
    this.fields = wasmEngineFields(plan);
  }

  /** Byte offset of column `name` from the param column. */
  column(name: string): number {
    const k = this.layout.columns.indexOf(name);
    if (k < 0) throw new Error(`internal: no column '${name}'`);
    return k * this.mem.stride;
  }

  /**
   * The leaves of the vector `lane0 / 4` vectors after the current one (`lane0` a multiple of 4);
   * `running` holds the running index products of that vector (see `RunningProducts`).
   */
  leaves(L: SegmentLocals, lane0 = 0, running?: RunningProducts): WasmLeaves {
    const fieldIndex = (name: string) => {
      const i = this.fields.findIndex(([n]) => n === name);
      if (i < 0) throw new Error(`internal: the kernel reads the unknown engine uniform '${name}'`);
      return this.uniforms.length + i;
    };
    return {
      uniform: (f, name) => {
        const i = this.uniforms.indexOf(name);
        if (i < 0) {
          throw new Error(`internal: '${this.def.name}' reads the unknown uniform '${name}'`);
        }
        f.op(OP.local_get, L.ub).mem(OP.f32_load, 2, i * 4);
      },
      engine: (f, name, type) =>
        f.op(OP.local_get, L.ub).mem(
          type === "u32" ? OP.i32_load : OP.f32_load,
          2,
          fieldIndex(name) * 4,
        ),
      tensorIndex: (f) => f.op(OP.local_get, L.tensor),
      elementIndex: (f) => {
        f.op(OP.local_get, L.e0);
        if (lane0 > 4) f.i32(lane0).op(OP.i32_add);
        f.simd(SIMD.i32x4_splat);
        f.op(OP.local_get, L.offsets[lane0 === 4 ? 1 : 0]).simd(SIMD.i32x4_add);
      },
      elementIndexTimes: (f, k) => {
        const l = running?.local(k, lane0);
        if (l === undefined) return false;
        f.op(OP.local_get, l);
        return true;
      },
      valid: (f) => {
        if (L.inTail && lane0 === 0) f.op(OP.local_get, L.tail);
        else f.v128Splat("i32x4", -1);
      },
      allValid: () => !(L.inTail && lane0 === 0),
      tensorScale: (f, r) =>
        f.op(OP.local_get, L.rec).mem(OP.f32_load, 2, (SEG_FIXED_WORDS + r) * 4),
      globalScale: (f, r) =>
        f.op(OP.local_get, L.ub).mem(OP.f32_load, 2, fieldIndex(`gscale${r}`) * 4),
    };
  }

  /**
   * A function `(s0, s1)` looping over segments; per segment `prologue` (hoisting), then `group`
   * (when given) for every `group.size` full vectors, `vector` for the full vectors left and once
   * more, masked, for the tail; `after` ends the segment.
   */
  segmentFunction(
    name: string,
    emit: (f: FunctionEmitter, L: SegmentLocals) => {
      prologue(): void;
      group?: { size: number; emit: () => void };
      vector(): void;
      after(): void;
      /** Before each loop (of `step` vectors per iteration). */
      loopStart?(step: number): void;
      /** After each iteration's `step` vectors. */
      loopAdvance?(step: number): void;
    },
  ): void {
    this.m.func(name, [I32, I32], [], (f) => {
      const L: SegmentLocals = {
        rec: f.local(I32),
        ptr: f.local(I32),
        end: f.local(I32),
        n: f.local(I32),
        e0: f.local(I32),
        tensor: f.local(I32),
        ub: f.local(I32),
        tail: f.local(V128),
        offsets: [f.local(V128), f.local(V128)],
        inTail: false,
      };
      f.v128Words([0, 1, 2, 3]).op(OP.local_set, L.offsets[0]);
      f.v128Words([4, 5, 6, 7]).op(OP.local_set, L.offsets[1]);
      const parts = emit(f, L);
      const segBytes = this.layout.segWords * 4;
      f.op(OP.block, 0x40).op(OP.loop, 0x40);
      f.op(OP.local_get, 0).op(OP.local_get, 1).op(OP.i32_ge_u).op(OP.br_if, 1);
      f.op(OP.local_get, 0).i32(segBytes).op(OP.i32_mul).i32(this.mem.segBase).op(OP.i32_add);
      f.op(OP.local_set, L.rec);
      const field = (local: number, word: number) =>
        f.op(OP.local_get, L.rec).mem(OP.i32_load, 2, word * 4).op(OP.local_set, local);
      field(L.ptr, 0);
      field(L.n, 1);
      field(L.e0, 2);
      field(L.tensor, 3);
      field(L.ub, 4);
      parts.prologue();
      // end = ptr + (n & ~3) * 4
      f.op(OP.local_get, L.ptr).op(OP.local_get, L.n).i32(-4).op(OP.i32_and).i32(4).op(OP.i32_mul);
      f.op(OP.i32_add).op(OP.local_set, L.end);
      L.inTail = false;
      const vectors = (step: number, body: () => void) => {
        // while (ptr + 16·(step - 1) < end) { body; ptr += 16·step; e0 += 4·step }
        parts.loopStart?.(step);
        f.op(OP.block, 0x40).op(OP.loop, 0x40);
        f.op(OP.local_get, L.ptr).i32(16 * (step - 1)).op(OP.i32_add);
        f.op(OP.local_get, L.end).op(OP.i32_ge_u).op(OP.br_if, 1);
        body();
        parts.loopAdvance?.(step);
        f.op(OP.local_get, L.ptr).i32(16 * step).op(OP.i32_add).op(OP.local_set, L.ptr);
        f.op(OP.local_get, L.e0).i32(4 * step).op(OP.i32_add).op(OP.local_set, L.e0);
        f.op(OP.br, 0).op(OP.end).op(OP.end);
      };
      if (parts.group) vectors(parts.group.size, parts.group.emit);
      vectors(1, parts.vector);
      // The tail: lanes < n & 3.
      f.op(OP.local_get, L.n).i32(3).op(OP.i32_and).op(OP.if, 0x40);
      f.v128Words([0, 1, 2, 3]).op(OP.local_get, L.n).i32(3).op(OP.i32_and);
      f.simd(SIMD.i32x4_splat).simd(SIMD.i32x4_lt_u).op(OP.local_set, L.tail);
      L.inTail = true;
      parts.vector();
      L.inTail = false;
      f.op(OP.end);
      parts.after();
      f.op(OP.local_get, 0).i32(1).op(OP.i32_add).op(OP.local_set, 0);
      f.op(OP.br, 0).op(OP.end).op(OP.end);
    });
  }

  /**
   * `update`: the whole element program, stores of p and the slots (masked in the tail). Where the
   * program is long enough for its dependency chains to limit the speed (the noise draw): blocks
   * of 8 vectors whose index-only part (the draw) runs for all 8 first, then the rest two vectors
   * at a time, their statements interleaved (without an index-only part: pairs); short programs
   * (every optimizer alone) are limited by memory and the divider and run one vector per
   * iteration.
   */
  update(): void {
    const program = updateProgram(this.def, this.h, this.plan);
    const slots = this.def.slots(this.h);
    const src = this.plan.accumulate ? "accum" : "grad";
    const names = ["p", ...slots];
    const offset = (n: string) => this.column(n === "p" ? "param" : n);
    this.segmentFunction("update", (f, L) => {
      const lanesVars = () =>
        new Map<string, number>(["g", ...names].map((n) => [n, f.local(V128)]));
      const { pre, rest } = _splitIndexOnly(program);
      const long = _interleaves(program);
      // Long programs: blocks of _BLOCK vectors whose index-only part (the noise draw) runs for
      // every vector first, then the rest two vectors at a time, interleaved; else pairs.
      const size = !long ? 0 : pre.body.length ? _BLOCK : 2;
      const ks = indexMultipliers(program);
      const running = ks.length
        ? new RunningProducts(f, ks, Array.from({ length: Math.max(1, size) }, (_, i) => 4 * i))
        : undefined;
      const vars = lanesVars();
      const old = new Map<string, number>(names.map((n) => [n, f.local(V128)]));
      const lanes = new LaneWasm(f, this.leaves(L, 0, running), vars);
      const load = (v: ReadonlyMap<string, number>, at: number, keep: boolean) => {
        f.op(OP.local_get, L.ptr).simdMem(SIMD.v128_load, 4, this.column(src) + at);
        f.op(OP.local_set, v.get("g")!);
        for (const n of names) {
          f.op(OP.local_get, L.ptr).simdMem(SIMD.v128_load, 4, offset(n) + at);
          if (keep) f.op(OP.local_tee, v.get(n)!).op(OP.local_set, old.get(n)!);
          else f.op(OP.local_set, v.get(n)!);
        }
      };
      const store = (v: ReadonlyMap<string, number>, at: number) => {
        for (const n of names) {
          f.op(OP.local_get, L.ptr).op(OP.local_get, v.get(n)!);
          if (L.inTail) {
            f.op(OP.local_get, old.get(n)!).op(OP.local_get, L.tail).simd(SIMD.v128_bitselect);
          }
          f.simdMem(SIMD.v128_store, 4, offset(n) + at);
        }
      };
      const others = Array.from({ length: Math.max(0, size - 1) }, lanesVars);
      return {
        prologue: () => lanes.hoist(program),
        loopStart: (step) => running?.start(L.e0, step),
        loopAdvance: (step) => running?.advance(step),
        ...(size
          ? {
            group: {
              size,
              emit: () => {
                const rs = [
                  lanes,
                  ...others.map((v, i) => lanes.twin(v, this.leaves(L, 4 * i + 4, running))),
                ];
                const vs = [vars, ...others];
                if (size === 2) {
                  load(vars, 0, false);
                  load(others[0], 16, false);
                  LaneWasm.interleave(rs, program);
                  store(vars, 0);
                  store(others[0], 16);
                  return;
                }
                for (const r of rs) r.body(pre);
                for (let i = 0; i < size; i += 2) {
                  load(vs[i], 16 * i, false);
                  load(vs[i + 1], 16 * i + 16, false);
                  LaneWasm.interleave([rs[i], rs[i + 1]], rest);
                  store(vs[i], 16 * i);
                  store(vs[i + 1], 16 * i + 16);
                }
              },
            },
          }
          : {}),
        vector: () => {
          load(vars, 0, L.inTail);
          lanes.body(program);
          store(vars, 0);
        },
        after: () => {},
      };
    });
  }

  /** `accumulate`: `accum = accum_first ? grad : accum + grad`. */
  accumulate(): void {
    const b = new LaneBuilder();
    b.set("a", b.v("a").add(b.g));
    const sum: LaneProgram = b.program();
    this.segmentFunction("accumulate", (f, L) => {
      const vars = new Map([["g", f.local(V128)], ["a", f.local(V128)]]);
      const lanes = new LaneWasm(f, this.leaves(L), vars);
      const first = f.local(I32);
      return {
        prologue: () => {
          this.leaves(L).engine(f, "accum_first", "u32");
          f.op(OP.local_set, first);
        },
        vector: () => {
          f.op(OP.local_get, L.ptr).simdMem(SIMD.v128_load, 4, this.column("grad"));
          f.op(OP.local_set, vars.get("g")!);
          f.op(OP.local_get, L.ptr).simdMem(SIMD.v128_load, 4, this.column("accum"));
          f.op(OP.local_set, vars.get("a")!);
          f.op(OP.local_get, first).op(OP.if, 0x40);
          f.op(OP.local_get, vars.get("g")!).op(OP.local_set, vars.get("a")!);
          f.op(OP.else);
          lanes.body(sum);
          f.op(OP.end);
          f.op(OP.local_get, L.ptr).op(OP.local_get, vars.get("a")!);
          f.simdMem(SIMD.v128_store, 4, this.column("accum"));
        },
        after: () => {},
      };
    });
  }

  /** `norm<r>`: the segment's partial of reduction r into the partials (f64). */
  norm(r: number): void {
    const red = this.plan.reductions[r];
    const program = opsProgram(this.plan, red.at);
    const src = measuresRawGradients(red) || !this.plan.accumulate ? "grad" : "accum";
    // The parameter is read only by operations that need it (weight decay before the norm).
    const readsP = namesRead(program, "var").includes("p");
    // Two vectors per iteration into two sets of accumulators (independent chains: the f64
    // additions' latency no longer limits the loop), combined in a fixed order at the end.
    this.segmentFunction(`norm${r}`, (f, L) => {
      const lanesVars = () => new Map([["g", f.local(V128)], ["p", f.local(V128)]]);
      const vars = lanesVars(), twinVars = lanesVars();
      const lanes = new LaneWasm(f, this.leaves(L), vars);
      const acc = [f.local(V128), f.local(V128)];
      const acc2 = [f.local(V128), f.local(V128)];
      const x = f.local(V128);
      const combine = red.normType === "inf" ? SIMD.f64x2_max : SIMD.f64x2_add;
      const one = (lw: LaneWasm, v: ReadonlyMap<string, number>, a: number[], at: number) => {
        f.op(OP.local_get, L.ptr).simdMem(SIMD.v128_load, 4, this.column(src) + at);
        f.op(OP.local_set, v.get("g")!);
        if (readsP) {
          f.op(OP.local_get, L.ptr).simdMem(SIMD.v128_load, 4, this.column("param") + at);
          f.op(OP.local_set, v.get("p")!);
        }
        lw.body(program);
        f.op(OP.local_get, v.get("g")!);
        if (red.normType !== 2) f.simd(SIMD.f32x4_abs);
        if (L.inTail) f.v128Splat("f32x4", 0).op(OP.local_get, L.tail).simd(SIMD.v128_bitselect);
        f.op(OP.local_set, x);
        accumulateHalves(f, x, a, red.normType === 2, combine);
      };
      return {
        prologue: () => {
          lanes.hoist(program);
          for (const a of [...acc, ...acc2]) f.v128Splat("f64x2", 0).op(OP.local_set, a);
        },
        group: {
          size: 2,
          emit: () => {
            one(lanes, vars, acc, 0);
            one(lanes.twin(twinVars, this.leaves(L, 4)), twinVars, acc2, 16);
          },
        },
        vector: () => one(lanes, vars, acc, 0),
        after: () => {
          // partial = combine(lanes of combine(acc0 ∘ acc2, acc1 ∘ acc3)), stored at
          // partBase + (r·nseg + s)·8
          const all = f.local(V128);
          for (const h of [0, 1]) {
            f.op(OP.local_get, acc[h]).op(OP.local_get, acc2[h]).simd(combine);
            f.op(OP.local_set, acc[h]);
          }
          f.op(OP.local_get, acc[0]).op(OP.local_get, acc[1]).simd(combine).op(OP.local_set, all);
          f.op(OP.local_get, 0).i32(8).op(OP.i32_mul);
          f.i32(this.mem.partBase + r * this.mem.segments.length * 8).op(OP.i32_add);
          f.op(OP.local_get, all).simd(SIMD.f64x2_extract_lane, 0);
          f.op(OP.local_get, all).simd(SIMD.f64x2_extract_lane, 1);
          f.op(red.normType === "inf" ? OP.f64_max : OP.f64_add);
          f.mem(OP.f64_store, 3, 0);
        },
      };
    });
  }
}

/**
 * Generate and compile the kernels of one memory of a state.
 *
 * @example Usage
 * ```ts
 * import { wasmKernels, wasmEngineFields } from "./engine_wasm_kernels.ts";
 * import { planWasmLayout } from "./engine_wasm_layout.ts";
 * import { compilePlan } from "../transforms/plan.ts";
 * import { sgd } from "./sgd.ts";
 * import { deepEqual } from "node:assert/strict";
 * const h = sgd.resolve(sgd.defaults), plan = compilePlan([]);
 * const groups = [{ hyper: h, slots: [], slotInit: [], sizes: [3], tensorBase: 0 }];
 * const words = sgd.uniforms(h).length + wasmEngineFields(plan).length;
 * const layout = planWasmLayout(groups, plan, words);
 * deepEqual(wasmKernels(sgd, h, plan, layout, 0, false).exports, ["update"]);
 * ```
 */
export function wasmKernels(
  def: OptimizerDef,
  h: Hyper,
  plan: TransformPlan,
  layout: WasmLayout,
  memory: number,
  shared: boolean,
): WasmKernels {
  const g = new Generator(def, h, plan, layout, layout.memories[memory], shared);
  g.update();
  const exports = ["update"];
  if (plan.accumulate) {
    g.accumulate();
    exports.push("accumulate");
  }
  plan.reductions.forEach((_, r) => {
    g.norm(r);
    exports.push(`norm${r}`);
  });
  return { module: new WebAssembly.Module(g.m.bytes()), exports };
}
