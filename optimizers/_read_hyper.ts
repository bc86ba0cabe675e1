/**
 * Private: typed reads of resolved hyperparameters in the optimizer definitions (`resolve` has
 * checked every value, so these only narrow the type).
 *
 * @module
 */

import type { Hyper } from "./types.ts";

/**
 * A number of a resolved `Hyper`.
 *
 * @example Usage
 * ```ts
 * import { _hyperNumber } from "./_read_hyper.ts";
 * import { equal } from "node:assert/strict";
 * equal(_hyperNumber({ eps: 1e-8 }, "eps"), 1e-8);
 * ```
 */
export function _hyperNumber(h: Hyper, key: string): number {
  return h[key] as number;
}

/**
 * A pair (`betas`, `etas`, `step_sizes`) of a resolved `Hyper`.
 *
 * @example Usage
 * ```ts
 * import { _hyperPair } from "./_read_hyper.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(_hyperPair({ betas: [0.9, 0.999] }, "betas"), [0.9, 0.999]);
 * ```
 */
export function _hyperPair(h: Hyper, key: string): readonly number[] {
  return h[key] as readonly number[];
}

/**
 * A boolean of a resolved `Hyper`.
 *
 * @example Usage
 * ```ts
 * import { _hyperBoolean } from "./_read_hyper.ts";
 * import { equal } from "node:assert/strict";
 * equal(_hyperBoolean({ amsgrad: true }, "amsgrad"), true);
 * ```
 */
export function _hyperBoolean(h: Hyper, key: string): boolean {
  return h[key] as boolean;
}
