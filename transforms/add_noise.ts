/** Additive gradient noise. @module */

import { _int, _num } from "./_check.ts";
import type { NoiseTransform } from "./types.ts";

/** Options of {@linkcode addNoise}. */
export interface AddNoiseOptions {
  /** Seed, an unsigned 32-bit integer. @default {0} */
  seed?: number;
}

/**
 * Add zero-mean noise with standard deviation `sigma`, truncated at ±2σ, to every gradient
 * element (RETURNN `gradient_noise`). The draw is a counter-based function of (seed, update
 * step, tensor, element): a hash of the counter and the truncated normal's quantile in float32
 * arithmetic (`truncNormal`), so a run is reproducible for a seed and the backends agree (wasm
 * bitwise with cpu; webgpu too where the adapter rounds float32 division exactly, as llvmpipe
 * does, else within a few ulp). Fused into the optimizer kernel.
 *
 * @param sigma Standard deviation σ > 0.
 * @param options The seed.
 * @throws {RangeError} for σ <= 0 or a seed that is not a 32-bit unsigned integer.
 * @example Usage
 * ```ts
 * import { addNoise } from "./add_noise.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(addNoise(0.01, { seed: 7 }), { kind: "noise", sigma: 0.01, seed: 7 });
 * ```
 */
export function addNoise(sigma: number, options: AddNoiseOptions = {}): NoiseTransform {
  return Object.freeze({
    kind: "noise",
    sigma: _num("addNoise", "sigma", sigma, 0, true, 3.4e38),
    seed: _int("addNoise", "seed", options.seed ?? 0, 0),
  });
}
