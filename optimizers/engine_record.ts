/**
 * Private: what the engine keeps per optimizer state, out of the user's reach (the state object
 * itself is frozen and opaque), and the rule that a state belongs to the optimizer that made it.
 *
 * @module
 */

import type { BackendState, GroupSetup } from "./engine_types.ts";
import type { HostState } from "./types.ts";

/** One parameter group as the engine keeps it. */
export interface EngineGroup {
  /** What the backends see. */
  readonly setup: GroupSetup;
  /** Learning-rate multiplier of the group. */
  readonly mult: number;
  /** Weight decay of the group. */
  readonly wd: number;
  /** Global (init-order) indices of the group's tensors. */
  readonly indices: readonly number[];
  /** Host scalars: the step count and the definition's own. */
  host: HostState;
}

/** Step and window counters of one state. */
export interface EngineCounters {
  /** `step` calls so far (micro-steps included). */
  microSteps: number;
  /** Micro-steps in the current per-epoch accumulation window. */
  windowCount: number;
  /** Epoch of the last `step` call. */
  lastEpoch: number | null;
  /** Epoch of the last update. */
  lastUpdateEpoch: number | null;
  /** Updates attempted (skipped ones included). */
  attempts: number;
  /** Skipped updates already given back to the host step counts. */
  skippedSeen: number;
}

/** The engine's record of one optimizer state. */
export interface EngineRecord {
  /** The optimizer whose `init` made the state. */
  readonly owner: object;
  /** Its class name, for messages. */
  readonly ownerName: string;
  /** Backend half: parameters, slots, accumulators, skip status. */
  readonly backend: BackendState;
  /** Parameter groups. */
  readonly groups: readonly EngineGroup[];
  /** Element count of every tensor, in init order. */
  readonly sizes: readonly number[];
  /** Counters. */
  readonly counters: EngineCounters;
}

const records = new WeakMap<object, EngineRecord>();

/**
 * Fresh counters.
 *
 * @example Usage
 * ```ts
 * import { newCounters } from "./engine_record.ts";
 * import { equal } from "node:assert/strict";
 * equal(newCounters().microSteps, 0);
 * ```
 */
export function newCounters(): EngineCounters {
  return {
    microSteps: 0,
    windowCount: 0,
    lastEpoch: null,
    lastUpdateEpoch: null,
    attempts: 0,
    skippedSeen: 0,
  };
}

/**
 * Remember the record of a new state.
 *
 * @example Usage
 * ```ts
 * import { createOptimizer } from "./engine_create.ts";
 * import { equal } from "node:assert/strict";
 * const opt = await createOptimizer({ class: "sgd" }, { backend: "cpu" });
 * const state = await opt.init([new Float32Array(1)]); // registers the state
 * equal(state.tensorCount, 1);
 * ```
 */
export function registerState(state: object, record: EngineRecord): void {
  records.set(state, record);
}

/**
 * The record of `state` for the optimizer `owner`.
 *
 * @throws {TypeError} when `state` was not made by `owner.init` (another optimizer's state, a
 * disposed one, or any other object).
 * @example Usage
 * ```ts
 * import { createOptimizer } from "./engine_create.ts";
 * import { rejects } from "node:assert/strict";
 * const adam = await createOptimizer({ class: "adam", eps: 1e-8 }, { backend: "cpu" });
 * const sgd = await createOptimizer({ class: "sgd" }, { backend: "cpu" });
 * const state = await adam.init([new Float32Array(1)]);
 * await rejects(sgd.read(state), /another optimizer \('adam'\) created it/);
 * ```
 */
export function recordOf(state: object, owner: object, ownerName: string): EngineRecord {
  const r = records.get(state);
  if (!r) {
    throw new TypeError(
      "Cannot use this optimizer state as it was not created by `init` (or was disposed): " +
        "call `opt.init(params)` first",
    );
  }
  if (r.owner !== owner) {
    throw new TypeError(
      `Cannot use this optimizer state with optimizer '${ownerName}' as another optimizer ` +
        `('${r.ownerName}') created it: pass each state to the optimizer whose init made it ` +
        "(to move state between optimizers, exportState from one and importState into the other)",
    );
  }
  return r;
}

/**
 * Forget a state's record (dispose): returns it, or undefined when the state is already disposed.
 *
 * @throws {TypeError} for another optimizer's state (see {@linkcode recordOf}).
 * @example Usage
 * ```ts
 * import { createOptimizer } from "./engine_create.ts";
 * import { rejects } from "node:assert/strict";
 * const opt = await createOptimizer({ class: "sgd" }, { backend: "cpu" });
 * const state = await opt.init([new Float32Array(1)]);
 * opt.dispose(state); // releases the record
 * await rejects(opt.read(state), /was not created by `init` \(or was disposed\)/);
 * ```
 */
export function releaseState(
  state: object,
  owner: object,
  ownerName: string,
): EngineRecord | undefined {
  if (!records.has(state)) return undefined;
  const r = recordOf(state, owner, ownerName);
  records.delete(state);
  return r;
}
