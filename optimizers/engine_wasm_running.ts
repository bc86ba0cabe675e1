/**
 * Private: running lane products `element index · k` for the wasm update loops
 * (`engine_wasm_kernels.ts`).
 *
 * @module
 */

import { type FunctionEmitter, OP, SIMD, V128 } from "../wasm/assembler.ts";

/**
 * Running index products of one update function: for each multiplier `k` of the program (see
 * `indexMultipliers`) and each vector of a loop iteration (lane offset `lane0`), a lane local
 * `(e0 + lane0 + [0, 1, 2, 3])·k` (u32, wrapping), set from `e0` before each loop and stepped by
 * `4·step·k` after each iteration: a vector reads it with one `local.get` instead of a splat, an
 * addition and a multiplication, off the draw's dependency chain (the same bits).
 *
 * @example Usage
 * ```ts
 * import { RunningProducts } from "./engine_wasm_running.ts";
 * import { FunctionEmitter } from "../wasm/assembler.ts";
 * import { equal, notEqual } from "node:assert/strict";
 * const f = new FunctionEmitter(2);
 * const r = new RunningProducts(f, [7], [0, 4]);
 * notEqual(r.local(7, 4), undefined);
 * equal(r.local(7, 8), undefined);
 * ```
 */
export class RunningProducts {
  readonly #locals = new Map<string, number>();

  constructor(
    readonly f: FunctionEmitter,
    readonly ks: readonly number[],
    readonly lanes: readonly number[],
  ) {
    for (const k of ks) for (const l of lanes) this.#locals.set(`${k}@${l}`, f.local(V128));
  }

  /** The local of `k` for the vector at `lane0`, if kept. */
  local(k: number, lane0: number): number | undefined {
    return this.#locals.get(`${k}@${lane0}`);
  }

  /** Set the products of the vectors a loop of `step` vectors uses from `e0` (a local). */
  start(e0: number, step: number): void {
    const f = this.f;
    for (const k of this.ks) {
      for (const l of this.lanes.filter((l) => l < 4 * step)) {
        f.op(OP.local_get, e0).i32(l).op(OP.i32_add).i32(k).op(OP.i32_mul).simd(SIMD.i32x4_splat);
        f.v128Words([0, k, Math.imul(2, k), Math.imul(3, k)]).simd(SIMD.i32x4_add);
        f.op(OP.local_set, this.local(k, l)!);
      }
    }
  }

  /** Step them past one iteration of `step` vectors. */
  advance(step: number): void {
    const f = this.f;
    for (const k of this.ks) {
      const d = Math.imul(4 * step, k);
      for (const l of this.lanes.filter((l) => l < 4 * step)) {
        f.op(OP.local_get, this.local(k, l)!).v128Words([d, d, d, d]).simd(SIMD.i32x4_add);
        f.op(OP.local_set, this.local(k, l)!);
      }
    }
  }
}
