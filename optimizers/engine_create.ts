/**
 * `createOptimizer`: the public entry point from a config's `optimizer` dict (or a transform
 * chain ending in one) to a running optimizer.
 *
 * @module
 */

import type { ChainSpec } from "../transforms/types.ts";
import { createOptimizerFromDef, type EngineOptions, type Optimizer } from "./engine.ts";
import { resolveOptimizerConfig } from "./registry.ts";

/** Options of {@linkcode createOptimizer}. */
export interface CreateOptimizerOptions extends EngineOptions {
  /** The config key `optimizer_epsilon` (see the registry). @default {1e-16} */
  optimizerEpsilon?: number;
  /** Apply RETURNN's epsilon default to dicts without `eps`. @default {true} */
  returnnEpsilon?: boolean;
}

/**
 * Create an optimizer from a config's `optimizer` dict (`{ class: "adam", betas: [...], ... }`,
 * PyTorch names, RETURNN aliases) or from `chain(...transforms, dict)`.
 *
 * The dict's `learning_rate_multiplier` multiplies `options.learningRateMultiplier`; transforms
 * of a chain come before `options.transforms`.
 *
 * @throws {TypeError} for an unknown class or a malformed dict (from the registry).
 * @throws {GpuUnavailableError} on `backend: "webgpu"` without an adapter.
 * @example Usage
 * ```ts
 * import { createOptimizer } from "./engine_create.ts";
 * import { equal } from "node:assert/strict";
 * const opt = await createOptimizer({ class: "adam", eps: 1e-8 }, { backend: "cpu" });
 * const state = await opt.init([new Float32Array([1, 2, 3])]);
 * await opt.step(state, [new Float32Array([1, -1, 0])], { learningRate: 0.1 });
 * const [w] = await opt.read(state);
 * equal(Math.abs(w[0] - 0.9) < 1e-6 && Math.abs(w[1] - 2.1) < 1e-6 && w[2] === 3, true);
 * ```
 */
export async function createOptimizer(
  config: Readonly<Record<string, unknown>> | ChainSpec | null | undefined,
  options: CreateOptimizerOptions = {},
): Promise<Optimizer> {
  const chained = config && (config as ChainSpec).kind === "chain" &&
    Array.isArray((config as ChainSpec).transforms);
  const dict = chained ? (config as ChainSpec).optimizer : config as Record<string, unknown>;
  const resolved = resolveOptimizerConfig(dict, {
    ...(options.optimizerEpsilon !== undefined
      ? { optimizerEpsilon: options.optimizerEpsilon }
      : {}),
    ...(options.returnnEpsilon !== undefined ? { returnnEpsilon: options.returnnEpsilon } : {}),
  });
  return await createOptimizerFromDef(resolved.def, resolved.hyper, {
    ...options,
    learningRateMultiplier: (options.learningRateMultiplier ?? 1) *
      resolved.learningRateMultiplier,
    transforms: [
      ...(chained ? (config as ChainSpec).transforms : []),
      ...(options.transforms ?? []),
    ],
  });
}
