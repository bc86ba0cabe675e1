/** optax-style composition of gradient transforms and an optimizer. @module */

import { TRANSFORM_KINDS } from "./ops/registry.ts";
import type { ChainSpec, GradientTransform } from "./types.ts";

/**
 * Compose transforms (applied in order) with an optimizer config dict, last. Pass the result to
 * `createOptimizer`. Element-wise transforms (value clip, noise, weight decay) are fused into the
 * optimizer's kernel; norm clips add reduction passes that stay on the GPU.
 *
 * Torch order (the default of `transformsFromConfig`): accumulate → noise → value clip →
 * global-norm clip of the processed gradients (`c/(N+1e-6)` capped at 1) → invalid check →
 * step. TF order: accumulate → noise → value clip → per-tensor norm clip → global-norm clip of
 * the raw gradients (`c/max(N, c)`, `style: "tf"`).
 *
 * @throws {TypeError} when the last argument is not an optimizer dict or another is not a
 * transform.
 * @example Usage
 * ```ts
 * import { chain } from "./chain.ts";
 * import { clipByValue } from "./clip_by_value.ts";
 * import { deepEqual } from "node:assert/strict";
 * const spec = chain(clipByValue(1), { class: "adam", eps: 1e-8 });
 * deepEqual(spec.transforms, [clipByValue(1)]);
 * ```
 */
export function chain(
  ...items: [...GradientTransform[], Readonly<Record<string, unknown>>]
): ChainSpec {
  const optimizer = items[items.length - 1] as Record<string, unknown>;
  if (!optimizer || typeof optimizer !== "object" || typeof optimizer.class !== "string") {
    throw new TypeError(
      "Cannot build the chain as its last argument must be an optimizer dict like " +
        '{ class: "adam" }',
    );
  }
  const transforms = items.slice(0, -1) as GradientTransform[];
  transforms.forEach((t, i) => {
    if (!t || !TRANSFORM_KINDS.has((t as { kind?: string }).kind ?? "")) {
      throw new TypeError(
        `Cannot build the chain as argument ${i} is not a gradient transform: build it with ` +
          "clipByValue, clipByGlobalNorm, addNoise, weightDecay, accumulateGradients, ...",
      );
    }
  });
  return Object.freeze({ kind: "chain", transforms: Object.freeze([...transforms]), optimizer });
}
