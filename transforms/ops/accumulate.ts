/**
 * Private: the home of `accumulateGradients` in the plan (the engine's accumulator arenas and
 * the schedule in `optimizers/engine_schedule.ts` carry it out).
 *
 * @module
 */

import type { AccumulateTransform } from "../types.ts";
import type { TransformKind } from "./_op.ts";

/**
 * `accumulate` transforms set the plan's accumulation; only first in a chain, only once.
 *
 * @example Usage
 * ```ts
 * import { compilePlan } from "../plan.ts";
 * import { deepEqual, throws } from "node:assert/strict";
 * const acc = { kind: "accumulate" as const, steps: 2, window: "global" as const };
 * deepEqual(compilePlan([acc]).accumulate, { steps: 2, window: "global" });
 * throws(() => compilePlan([{ kind: "clip_value", clipValue: 1 }, acc]), /must come first/);
 * ```
 */
export const accumulateKind: TransformKind<AccumulateTransform> = {
  kind: "accumulate",
  compile(t, plan) {
    if (plan.position !== 0 || plan.accumulate) {
      throw new RangeError(
        "Cannot build the transform chain as accumulation must come first (it sums raw " +
          `gradients): it is at position ${plan.position}; move it to the front`,
      );
    }
    plan.accumulate = { steps: t.steps, window: t.window };
  },
};
