/**
 * The accumulation schedule: whether a `step` call starts an accumulation window, whether it
 * updates, and whether the update is the first of an epoch (which resets the invalid-gradient
 * counter).
 *
 * @module
 */

import type { TransformPlan } from "../transforms/plan.ts";
import type { EngineCounters } from "./engine_record.ts";

/** What one `step` call does. */
export interface MicroStep {
  /** Whether this call starts an accumulation window (overwrites the accumulator). */
  readonly first: boolean;
  /** Whether an update is taken (false: accumulate only). */
  readonly update: boolean;
  /** Whether the update is the first of a new epoch. */
  readonly epochStart: boolean;
}

/**
 * Advance the counters by one `step` call and say what it does. Without accumulation every call
 * updates. A `"global"` window updates when `globalStep mod K == K-1` (`globalStep` defaults to
 * the calls so far); an `"epoch"` window counts calls since the epoch changed and updates on the
 * K-th (a partial window at an epoch's end is dropped).
 *
 * @example Usage
 * ```ts
 * import { nextMicroStep } from "./engine_schedule.ts";
 * import { newCounters } from "./engine_record.ts";
 * import { deepEqual } from "node:assert/strict";
 * const c = newCounters();
 * const acc = { steps: 2, window: "global" as const };
 * deepEqual(nextMicroStep(c, acc, 1, undefined), { first: true, update: false, epochStart: false });
 * deepEqual(nextMicroStep(c, acc, 1, undefined), { first: false, update: true, epochStart: true });
 * ```
 */
export function nextMicroStep(
  c: EngineCounters,
  accumulate: TransformPlan["accumulate"],
  epoch: number | undefined,
  globalStep: number | undefined,
): MicroStep {
  let first = true;
  let update = true;
  if (accumulate && accumulate.window === "global") {
    const g = globalStep ?? c.microSteps;
    first = g % accumulate.steps === 0;
    update = g % accumulate.steps === accumulate.steps - 1;
  } else if (accumulate) {
    if (epoch !== undefined && epoch !== c.lastEpoch) c.windowCount = 0;
    first = c.windowCount === 0;
    c.windowCount++;
    update = c.windowCount >= accumulate.steps;
    if (update) c.windowCount = 0;
  }
  if (epoch !== undefined) c.lastEpoch = epoch;
  c.microSteps++;
  const epochStart = update && epoch !== undefined && epoch !== c.lastUpdateEpoch;
  if (update && epoch !== undefined) c.lastUpdateEpoch = epoch;
  return { first, update, epochStart };
}
