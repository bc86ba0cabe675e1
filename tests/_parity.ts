/**
 * Shared pieces of the kernel parity tests (webgpu and wasm against the cpu reference): a
 * deterministic generator, the hyperparameter variants that change each kernel, the shape
 * sets, and gradients with NaN and ±Infinity.
 *
 * @module
 */

import type { Hyper, OptimizerDef } from "../optimizers/types.ts";
import { both } from "./_gpu.ts";
import {
  accumulateGradients,
  addNoise,
  clipByGlobalNorm,
  clipByNorm,
  clipByValue,
  type GradientTransform,
  skipInvalidGradients,
  weightDecay,
} from "../transforms/mod.ts";

/** Deterministic pseudo-random numbers in [-1, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return ((s >>> 8) / 2 ** 24) * 2 - 1;
  };
}

/** Hyperparameter variants per definition: defaults plus each option that changes the kernel. */
export function variants(def: OptimizerDef): Hyper[] {
  const d = def.defaults;
  const tries: Record<string, unknown>[] = [{}];
  if ("weight_decay" in d) tries.push({ weight_decay: 0.05 });
  if ("maximize" in d) {
    tries.push({ maximize: true, ...("weight_decay" in d ? { weight_decay: 0.01 } : {}) });
  }
  if ("amsgrad" in d) tries.push({ amsgrad: true });
  if ("momentum" in d) tries.push({ momentum: 0.9 });
  if ("nesterov" in d) tries.push({ momentum: 0.9, nesterov: true });
  if ("centered" in d) tries.push({ centered: true, momentum: 0.5 });
  if ("initial_accumulator_value" in d) {
    tries.push({ initial_accumulator_value: 0.1, lr_decay: 0.01 });
  }
  const out: Hyper[] = [];
  for (const t of tries) {
    try {
      out.push(def.resolve({ ...d, ...t }));
    } catch {
      // An option combination the algorithm rejects: nothing to test.
    }
  }
  return out;
}

/** Odd sizes, one tensor over several chunks, and 200 small tensors. */
export const MANY: number[] = [
  3,
  5,
  130,
  2501,
  ...Array.from({ length: 200 }, (_, i) => 1 + (i * 7919) % 37),
];

/** Gradient element `j` of step `k`: NaN, +Infinity or -Infinity at a few places, else `x`. */
export function nonFinite(x: number, j: number, k: number): number {
  const m = (j * 7 + k * 3) % 29;
  return m === 0 ? NaN : m === 5 ? Infinity : m === 11 ? -Infinity : x;
}

/** Gradients of one step: zeros at every 11th element, a random scale per step. */
export function stepGradients(
  sizes: readonly number[],
  r: () => number,
  k: number,
  withNonFinite: boolean,
): Float32Array[] {
  const scale = 10 ** (r() * 2);
  return sizes.map((n) =>
    Float32Array.from({ length: n }, (_, j) => {
      const x = j % 11 === 3 ? 0 : Math.fround(r() * scale);
      return withNonFinite ? nonFinite(x, j, k) : x;
    })
  );
}

/** Whether two floats are the same bits (any NaN equals any NaN: payloads are not kept). */
export function sameBits(a: number, b: number): boolean {
  return Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
}

/**
 * Register one test body three times: `<name> (cpu)` and `<name> (wasm)` as plain tests,
 * `<name> (webgpu)` through `gpuTest` (skipped loudly without an adapter).
 */
export function everyBackend(
  name: string,
  fn: (backend: "cpu" | "wasm" | "webgpu") => Promise<void>,
): void {
  both(name, fn);
  Deno.test(`${name} (wasm)`, () => fn("wasm"));
}

/**
 * One chain per transform: value clip, per-tensor norm clip, global norm clip of every norm type
 * and style, noise of `sigma`, weight decay of every mode, accumulation, skipping after a clip.
 */
export function transformChains(
  sigma: number,
): { name: string; transforms: GradientTransform[] }[] {
  return [
    { name: "clipByValue", transforms: [clipByValue(0.5)] },
    { name: "clipByNorm", transforms: [clipByNorm(1)] },
    ...([2, 1, "inf"] as const).flatMap((normType) =>
      (["torch", "tf"] as const).map((style) => ({
        name: `clipByGlobalNorm ${normType} ${style}`,
        transforms: [clipByGlobalNorm(1, { normType, style })],
      }))
    ),
    { name: "addNoise", transforms: [addNoise(sigma, { seed: 3 })] },
    ...(["coupled", "decoupled", "constant"] as const).map((mode) => ({
      name: `weightDecay ${mode}`,
      transforms: [weightDecay(0.01, { mode })],
    })),
    { name: "accumulateGradients global", transforms: [accumulateGradients(2)] },
    {
      name: "skipInvalidGradients after a clip",
      transforms: [clipByGlobalNorm(1), skipInvalidGradients(100)],
    },
  ];
}
