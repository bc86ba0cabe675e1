/**
 * Gradient transforms, optax style: `chain(...transforms, optimizerDict)` builds what
 * `createOptimizer` runs. Element-wise transforms are fused into the optimizer's kernel; norm
 * clipping adds GPU reduction passes whose results never leave the GPU.
 *
 * @module
 */

export * from "./types.ts";
export * from "./plan.ts";
export * from "./noise.ts";
