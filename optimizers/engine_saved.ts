/**
 * Saving, loading and resetting one optimizer state: the JSON config (class, hyperparameters,
 * transforms, groups with their host scalars, tensors, counters) apart from the arrays
 * (`<tensor>/<slot>`, `<tensor>/accum`), in the format of `state.ts`.
 *
 * @module
 */

import type { TransformPlan } from "../transforms/plan.ts";
import type { BackendStatus } from "./engine_types.ts";
import type { EngineRecord } from "./engine_record.ts";
import {
  checkSavedState,
  SAVED_STATE_FORMAT,
  SAVED_STATE_VERSION,
  type SavedOptimizerConfig,
  type SavedOptimizerState,
} from "./state.ts";
import type { Hyper, OptimizerDef } from "./types.ts";

/** What a saved state records besides the engine record. */
export interface SavedIdentity {
  /** The definition. */
  readonly def: OptimizerDef;
  /** Its resolved hyperparameters. */
  readonly hyper: Hyper;
  /** The transform chain, as data. */
  readonly transforms: readonly unknown[];
  /** The compiled chain. */
  readonly plan: TransformPlan;
}

function savedArrays(
  r: EngineRecord,
  slotNames: readonly string[],
  read: Awaited<ReturnType<EngineRecord["backend"]["readSlots"]>>,
): Record<string, Float32Array> {
  const arrays: Record<string, Float32Array> = {};
  r.groups.forEach((g, gi) =>
    g.indices.forEach((i, t) => {
      slotNames.forEach((name, k) => arrays[`${i}/${name}`] = read.slots[gi][k][t]);
      if (read.accum) arrays[`${i}/accum`] = read.accum[gi][t];
    })
  );
  return arrays;
}

function savedConfig(
  id: SavedIdentity,
  r: EngineRecord,
  names: readonly string[],
  st: BackendStatus,
): SavedOptimizerConfig {
  const c = r.counters;
  return {
    format: SAVED_STATE_FORMAT,
    version: SAVED_STATE_VERSION,
    class: id.def.name,
    hyper: JSON.parse(JSON.stringify(id.hyper)),
    slots: [...id.def.slots(id.hyper)],
    transforms: JSON.parse(JSON.stringify(id.transforms)),
    groups: r.groups.map((g) => ({
      learning_rate_multiplier: g.mult,
      weight_decay: g.wd,
      params: [...g.indices],
      host: { ...g.host },
    })),
    tensors: r.sizes.map((size, i) => ({ name: names[i], size })),
    counters: {
      micro_steps: c.microSteps,
      window_count: c.windowCount,
      last_epoch: c.lastEpoch,
      last_update_epoch: c.lastUpdateEpoch,
      attempts: c.attempts,
      consec_invalid: st.consec,
      skipped: st.skipped,
    },
  };
}

/**
 * Save the state of record `r` (tensor names `names`); synchronises with the backend.
 *
 * @example Usage
 * ```ts
 * import { createOptimizer } from "./engine_create.ts";
 * import { equal } from "node:assert/strict";
 * const opt = await createOptimizer({ class: "sgd", momentum: 0.9 }, { backend: "cpu" });
 * const state = await opt.init([new Float32Array(2)]);
 * const saved = await opt.exportState(state); // calls saveRecord
 * equal(saved.arrays["0/momentum_buffer"].length, 2);
 * ```
 */
export async function saveRecord(
  id: SavedIdentity,
  r: EngineRecord,
  names: readonly string[],
): Promise<SavedOptimizerState> {
  const st = await r.backend.readStatus();
  const read = await r.backend.readSlots();
  return {
    config: savedConfig(id, r, names, st),
    arrays: savedArrays(r, id.def.slots(id.hyper), read),
  };
}

/**
 * Load `saved` into record `r` after checking that it matches (class, slots, tensor sizes).
 *
 * @throws {RangeError} listing every mismatch (from `checkSavedState`).
 * @example Usage
 * ```ts
 * import { createOptimizer } from "./engine_create.ts";
 * import { rejects } from "node:assert/strict";
 * const opt = await createOptimizer({ class: "sgd" }, { backend: "cpu" });
 * const a = await opt.init([new Float32Array(2)]);
 * const b = await opt.init([new Float32Array(3)]);
 * await rejects(opt.importState(b, await opt.exportState(a)), /#0 has 2 elements, not 3/);
 * ```
 */
export function loadRecord(id: SavedIdentity, r: EngineRecord, saved: SavedOptimizerState): void {
  const slotNames = id.def.slots(id.hyper);
  checkSavedState(saved, [id.def.name, ...id.def.aliases], slotNames, r.sizes);
  const cfg = saved.config;
  const slots = r.groups.map((g) =>
    slotNames.map((name) => g.indices.map((i) => saved.arrays[`${i}/${name}`]))
  );
  const accum = id.plan.accumulate
    ? r.groups.map((g) =>
      g.indices.map((i) => saved.arrays[`${i}/accum`] ?? new Float32Array(r.sizes[i]))
    )
    : null;
  r.backend.writeSlots(slots, accum);
  const hostOf = new Map<number, Record<string, number>>();
  for (const g of cfg.groups) for (const i of g.params) hostOf.set(i, g.host);
  for (const g of r.groups) {
    const host = hostOf.get(g.indices[0]);
    if (host) {
      for (const k of Object.keys(g.host)) delete g.host[k];
      Object.assign(g.host, host);
    }
  }
  const k = cfg.counters;
  Object.assign(r.counters, {
    microSteps: k.micro_steps,
    windowCount: k.window_count,
    lastEpoch: k.last_epoch,
    lastUpdateEpoch: k.last_update_epoch,
    attempts: k.attempts,
    skippedSeen: k.skipped,
  });
  r.backend.writeStatus(k.consec_invalid, k.skipped);
}

/**
 * Re-initialise the slots, host scalars, accumulators and invalid-step counter of record `r`
 * (not the parameters, not the skipped count).
 *
 * @example Usage
 * ```ts
 * import { createOptimizer } from "./engine_create.ts";
 * import { equal } from "node:assert/strict";
 * const opt = await createOptimizer({ class: "adam", eps: 1e-8 }, { backend: "cpu" });
 * const state = await opt.init([new Float32Array(1)]);
 * await opt.step(state, [new Float32Array([1])], { learningRate: 0.1 });
 * await opt.resetState(state); // calls resetRecord
 * equal((await opt.exportState(state)).config.groups[0].host.step, 0);
 * ```
 */
export function resetRecord(id: SavedIdentity, r: EngineRecord): void {
  const slotNames = id.def.slots(id.hyper);
  const slots = r.groups.map((g) =>
    slotNames.map((name) =>
      g.indices.map((i) => new Float32Array(r.sizes[i]).fill(id.def.slotInit(g.setup.hyper, name)))
    )
  );
  const accum = id.plan.accumulate
    ? r.groups.map((g) => g.indices.map((i) => new Float32Array(r.sizes[i])))
    : null;
  r.backend.writeSlots(slots, accum);
  for (const g of r.groups) {
    for (const k of Object.keys(g.host)) delete g.host[k];
    Object.assign(g.host, id.def.hostInit(g.setup.hyper), { step: 0 });
  }
  r.counters.windowCount = 0;
  r.backend.writeStatus(0, r.counters.skippedSeen);
}
