/**
 * newbob: a Deno-first training toolkit whose optimizers run as fused WGSL compute kernels on
 * WebGPU (with a float32 CPU reference), plus gradient transforms, learning-rate schedules and
 * RETURNN-style learning-rate control, and RETURNN's datasets, sequence orderings and batching.
 *
 * @example Usage
 * ```ts
 * import { createOptimizer } from "./mod.ts";
 * import { ok } from "node:assert/strict";
 *
 * const opt = await createOptimizer({ class: "sgd", momentum: 0.9 }, { backend: "cpu" });
 * const state = await opt.init([new Float32Array([1, 2])]);
 * await opt.step(state, [new Float32Array([1, 1])], { learningRate: 0.1 });
 * const [w] = await opt.read(state);
 * ok(Math.abs(w[0] - 0.9) < 1e-6);
 * ```
 *
 * @module
 */

export * from "./optimizers/mod.ts";
export * from "./gpu/mod.ts";
export * from "./transforms/mod.ts";
export * from "./schedules/mod.ts";
export * from "./control/mod.ts";
export * from "./datasets/mod.ts";
