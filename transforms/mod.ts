/**
 * Gradient transforms, optax style: `chain(...transforms, optimizerDict)` builds what
 * `createOptimizer` runs. Element-wise transforms are fused into the optimizer's kernel; norm
 * clipping adds GPU reduction passes whose results never leave the GPU.
 *
 * @example Usage
 * ```ts
 * import { addNoise, chain, clipByGlobalNorm, clipByValue } from "./mod.ts";
 * import { equal } from "node:assert/strict";
 * const spec = chain(
 *   addNoise(1e-3, { seed: 1 }),
 *   clipByValue(10),
 *   clipByGlobalNorm(5),
 *   { class: "adam", eps: 1e-8 },
 * );
 * equal(spec.transforms.length, 3);
 * ```
 *
 * @module
 */

export * from "./types.ts";
export * from "./clip_by_value.ts";
export * from "./clip_by_norm.ts";
export * from "./clip_by_global_norm.ts";
export * from "./add_noise.ts";
export * from "./weight_decay.ts";
export * from "./accumulate_gradients.ts";
export * from "./skip_invalid_gradients.ts";
export * from "./chain.ts";
export * from "./transforms_from_config.ts";
export * from "./plan.ts";
export * from "./noise.ts";
