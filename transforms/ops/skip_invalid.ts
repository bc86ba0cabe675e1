/**
 * Private: the home of `skipInvalidGradients` in the plan: it checks the global L2 norm of the
 * current gradients (a preceding torch-style clip's, else one it measures).
 *
 * @module
 */

import type { SkipInvalidTransform } from "../types.ts";
import type { TransformKind } from "./_op.ts";

/**
 * `skip_invalid` transforms set the plan's skipping, on the norm of the current gradients.
 *
 * @example Usage
 * ```ts
 * import { compilePlan } from "../plan.ts";
 * import { deepEqual } from "node:assert/strict";
 * const plan = compilePlan([{ kind: "skip_invalid", allowed: 2, checkInterval: 10 }]);
 * deepEqual(plan.skip, { allowed: 2, checkInterval: 10, reduction: 0 }); // a measured L2 norm
 * ```
 */
export const skipInvalidKind: TransformKind<SkipInvalidTransform> = {
  kind: "skip_invalid",
  compile(t, plan) {
    if (plan.skip) throw new RangeError("Cannot build the transform chain as it skips twice");
    let r = plan.lastGlobalL2;
    if (r < 0 || plan.reductions[r].at + 1 !== plan.ops.length) {
      // No norm of the current gradients: measure one here.
      r = plan.measureNorm();
    }
    plan.skip = { allowed: t.allowed, checkInterval: t.checkInterval, reduction: r };
  },
};
