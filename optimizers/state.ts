/**
 * Saved optimizer state: hyperparameters and counters as JSON (stable names, a format version,
 * the class name) apart from the per-tensor state arrays named like PyTorch's `state_dict`
 * (`<tensor index>/exp_avg`, `<tensor index>/exp_avg_sq`, ...; `<tensor index>/accum` for the
 * gradient accumulator).
 *
 * @module
 */

import type { HyperValue } from "./types.ts";

/**
 * Format tag of {@linkcode SavedOptimizerConfig}.
 *
 * @example Usage
 * ```ts
 * import { SAVED_STATE_FORMAT } from "./state.ts";
 * import { equal } from "node:assert/strict";
 * equal(SAVED_STATE_FORMAT, "newbob.optimizer-state");
 * ```
 */
export const SAVED_STATE_FORMAT = "newbob.optimizer-state";
/**
 * Current format version.
 *
 * @example Usage
 * ```ts
 * import { SAVED_STATE_VERSION } from "./state.ts";
 * import { equal } from "node:assert/strict";
 * equal(SAVED_STATE_VERSION, 1);
 * ```
 */
export const SAVED_STATE_VERSION = 1;

/** The JSON half of a saved optimizer state. */
export interface SavedOptimizerConfig {
  /** Always {@linkcode SAVED_STATE_FORMAT}. */
  format: string;
  /** Format version ({@linkcode SAVED_STATE_VERSION}). */
  version: number;
  /** Canonical optimizer class name, e.g. `"adam"`. */
  class: string;
  /** Resolved hyperparameters (PyTorch names). */
  hyper: Record<string, HyperValue>;
  /** Slot names (PyTorch `state` keys). */
  slots: string[];
  /** The transform chain, as data. */
  transforms: unknown[];
  /** Per parameter group: multiplier, weight decay, tensor indices and host scalars. */
  groups: {
    learning_rate_multiplier: number;
    weight_decay: number;
    params: number[];
    host: Record<string, number>;
  }[];
  /** Per tensor (original order): name and element count. */
  tensors: { name: string; size: number }[];
  /** Engine counters. */
  counters: {
    micro_steps: number;
    window_count: number;
    last_epoch: number | null;
    last_update_epoch: number | null;
    attempts: number;
    consec_invalid: number;
    skipped: number;
  };
}

/** A saved optimizer state: JSON config plus named arrays. */
export interface SavedOptimizerState {
  /** Hyperparameters, counters, host scalars (JSON-serialisable). */
  config: SavedOptimizerConfig;
  /** State arrays keyed `<tensor index>/<slot>` (and `<tensor index>/accum`). */
  arrays: Record<string, Float32Array>;
}

/**
 * Check that `saved` can be loaded into an optimizer of class `className` (or an alias) with
 * `slots` and tensors of `sizes`; throws a `RangeError` listing every mismatch.
 *
 * @example Usage
 * ```ts
 * import {
 *   checkSavedState,
 *   SAVED_STATE_FORMAT,
 *   SAVED_STATE_VERSION,
 *   type SavedOptimizerConfig,
 *   type SavedOptimizerState,
 * } from "./state.ts";
 * import { throws } from "node:assert/strict";
 * const config: SavedOptimizerConfig = {
 *   format: SAVED_STATE_FORMAT, version: SAVED_STATE_VERSION, class: "sgd", hyper: {},
 *   slots: [], transforms: [], groups: [], tensors: [{ name: "w", size: 2 }],
 *   counters: { micro_steps: 0, window_count: 0, last_epoch: null, last_update_epoch: null,
 *     attempts: 0, consec_invalid: 0, skipped: 0 },
 * };
 * const saved: SavedOptimizerState = { config, arrays: {} };
 * checkSavedState(saved, ["sgd"], [], [2]);
 * throws(() => checkSavedState(saved, ["sgd"], [], [3]), /#0 has 2 elements, not 3/);
 * ```
 */
export function checkSavedState(
  saved: SavedOptimizerState,
  classNames: readonly string[],
  slots: readonly string[],
  sizes: readonly number[],
): void {
  const c = saved?.config;
  const problems: string[] = [];
  if (!c || c.format !== SAVED_STATE_FORMAT) {
    throw new RangeError(
      `Cannot load optimizer state as it is not a newbob optimizer state (format ` +
        `${JSON.stringify(c?.format)}, expected "${SAVED_STATE_FORMAT}")`,
    );
  }
  if (c.version !== SAVED_STATE_VERSION) {
    problems.push(`format version ${c.version} (this build reads ${SAVED_STATE_VERSION})`);
  }
  if (!classNames.includes(c.class)) {
    problems.push(`optimizer class '${c.class}' (this optimizer is '${classNames[0]}')`);
  }
  if (JSON.stringify(c.slots) !== JSON.stringify(slots)) {
    problems.push(
      `state slots [${c.slots?.join(", ")}] (this optimizer has [${slots.join(", ")}]; ` +
        "did an option such as amsgrad/momentum/centered change?)",
    );
  }
  if (c.tensors?.length !== sizes.length) {
    problems.push(`${c.tensors?.length} tensors (this optimizer has ${sizes.length})`);
  } else {
    const bad = sizes.flatMap((n, i) =>
      c.tensors[i].size === n ? [] : [`#${i} has ${c.tensors[i].size} elements, not ${n}`]
    );
    if (bad.length) problems.push(`tensor sizes: ${bad.slice(0, 5).join("; ")}`);
    for (let i = 0; i < sizes.length && problems.length < 8; i++) {
      for (const s of slots) {
        const a = saved.arrays?.[`${i}/${s}`];
        if (!(a instanceof Float32Array) || a.length !== sizes[i]) {
          problems.push(`array '${i}/${s}' is missing or has the wrong length`);
        }
      }
    }
  }
  if (problems.length) {
    throw new RangeError(
      `Cannot load optimizer state as it does not match this optimizer: ${problems.join("; ")}. ` +
        "Load it into an optimizer built from the same config and parameters",
    );
  }
}
