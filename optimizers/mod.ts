/**
 * Optimizers: PyTorch-compatible algorithms (definitions in this folder) run by one fused engine
 * on the `cpu` backend (float32 reference) or `webgpu` (one kernel per parameter group and step).
 *
 * @example Usage
 * ```ts
 * import { createOptimizer } from "./mod.ts";
 * import { equal, ok } from "node:assert/strict";
 *
 * const opt = await createOptimizer(
 *   { class: "adam", betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0.01 },
 *   { backend: "cpu" },
 * );
 * const state = await opt.init([new Float32Array(4).fill(1), new Float32Array(2)]);
 * await opt.step(state, [new Float32Array(4).fill(0.5), new Float32Array(2)], { learningRate: 1e-3 });
 * const [w] = await opt.read(state);
 * const saved = await opt.exportState(state);
 * ok(w[0] < 1);
 * equal(saved.config.class, "adam");
 * ```
 *
 * @module
 */

export * from "./types.ts";
export * from "./engine.ts";
export * from "./engine_create.ts";
export * from "./state.ts";
export * from "./registry.ts";
export * from "./adam.ts";
export * from "./adamw.ts";
export * from "./sgd.ts";
export * from "./nadam.ts";
export * from "./radam.ts";
export * from "./adamax.ts";
export * from "./adagrad.ts";
export * from "./adadelta.ts";
export * from "./rmsprop.ts";
export * from "./asgd.ts";
export * from "./rprop.ts";
export * from "./lion.ts";
export type { GpuProvider } from "../gpu/mod.ts";
export type * from "../transforms/types.ts";
export type * from "../transforms/plan.ts";
