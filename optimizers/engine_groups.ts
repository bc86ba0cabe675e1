/**
 * The group planner: which tensors form which parameter group, with which learning-rate
 * multiplier and weight decay (explicit group specs first, the rest split by the no-decay rule),
 * and what each group looks like to the backends.
 *
 * @module
 */

import type { EngineGroup } from "./engine_record.ts";
import type { GroupSetup } from "./engine_types.ts";
import type { HostState, Hyper, OptimizerDef } from "./types.ts";

/**
 * Default pattern of tensor names excluded from weight decay (biases, normalisation).
 *
 * @example Usage
 * ```ts
 * import { DEFAULT_NO_DECAY } from "./engine_groups.ts";
 * import { equal } from "node:assert/strict";
 * equal(DEFAULT_NO_DECAY.test("dense/bias"), true);
 * ```
 */
export const DEFAULT_NO_DECAY: RegExp = /bias|norm|ln|bn/i;

/** A parameter group: which tensors, with which multiplier and weight decay. */
export interface ParamGroupSpec {
  /** The group's tensors: indices (in `init` order) or names (from `init`'s `names`). */
  params: readonly (number | string)[];
  /** Multiplies the learning rate of the group. @default {1} */
  learningRateMultiplier?: number;
  /** Config spelling of `learningRateMultiplier`. */
  learning_rate_multiplier?: number;
  /** Weight decay of the group. @default {the optimizer's `weight_decay`} */
  weightDecay?: number;
  /** Config spelling of `weightDecay`. */
  weight_decay?: number;
}

/** Tensors excluded from weight decay by name: a predicate, a pattern, or `false` (none). */
export type NoDecayRule = ((name: string) => boolean) | RegExp | false;

/** What {@linkcode planGroups} needs. */
export interface GroupPlanInput {
  /** The definition. */
  readonly def: OptimizerDef;
  /** Its resolved hyperparameters. */
  readonly hyper: Hyper;
  /** Tensor names (given or `param<i>`). */
  readonly names: readonly string[];
  /** Whether the caller gave the names (the no-decay rule needs real names). */
  readonly namesGiven: boolean;
  /** Element count of every tensor. */
  readonly sizes: readonly number[];
  /** Explicit group specs. */
  readonly specs: readonly ParamGroupSpec[];
  /** The no-decay rule. @default {DEFAULT_NO_DECAY} */
  readonly noDecay?: NoDecayRule;
}

/**
 * A finite number `>= 0`, else a RangeError naming it.
 *
 * @example Usage
 * ```ts
 * import { checkNonNegative } from "./engine_groups.ts";
 * import { equal, throws } from "node:assert/strict";
 * equal(checkNonNegative("learningRate", 0.1), 0.1);
 * throws(() => checkNonNegative("learningRate", NaN), /finite number >= 0/);
 * ```
 */
export function checkNonNegative(what: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
    throw new RangeError(
      `Cannot use '${what}' as it must be a finite number >= 0: current value is ${v}`,
    );
  }
  return v;
}

interface GroupDraft {
  indices: number[];
  mult: number;
  wd: number;
}

/** Tensor indices of spec `gi`, names resolved; each index in range and not taken before. */
function specIndices(
  spec: ParamGroupSpec,
  gi: number,
  names: readonly string[],
  taken: Set<number>,
): number[] {
  const indices = spec.params.map((x) => typeof x === "string" ? names.indexOf(x) : x);
  indices.forEach((i, k) => {
    if (i === -1) {
      throw new RangeError(
        `Cannot init the optimizer as parameter group ${gi} names tensor ` +
          `'${spec.params[k]}', which is not in 'names': pass names to init or use indices`,
      );
    }
  });
  for (const i of indices) {
    if (!Number.isInteger(i) || i < 0 || i >= names.length || taken.has(i)) {
      throw new RangeError(
        `Cannot init the optimizer as parameter group ${gi} lists tensor ${i}, which is ` +
          `out of range or already in a group: list each of 0..${names.length - 1} once`,
      );
    }
    taken.add(i);
  }
  return indices;
}

function explicitGroups(
  specs: readonly ParamGroupSpec[],
  names: readonly string[],
  baseWd: number,
  taken: Set<number>,
): GroupDraft[] {
  return specs.map((g, gi) => ({
    indices: specIndices(g, gi, names, taken),
    mult: checkNonNegative(
      `paramGroups[${gi}].learningRateMultiplier`,
      g.learningRateMultiplier ?? g.learning_rate_multiplier ?? 1,
    ),
    wd: checkNonNegative(
      `paramGroups[${gi}].weightDecay`,
      g.weightDecay ?? g.weight_decay ?? baseWd,
    ),
  }));
}

function noDecayPredicate(rule: NoDecayRule): (name: string) => boolean {
  if (rule === false) return () => false;
  if (rule instanceof RegExp) return (name) => rule.test(name);
  return rule;
}

/** The tensors in no explicit group: one group, or two when the no-decay rule splits them. */
function restGroups(input: GroupPlanInput, baseWd: number, taken: Set<number>): GroupDraft[] {
  const rest = input.names.map((_, i) => i).filter((i) => !taken.has(i));
  const noDecay = noDecayPredicate(input.noDecay ?? DEFAULT_NO_DECAY);
  if (baseWd !== 0 && input.namesGiven && rest.some((i) => noDecay(input.names[i]))) {
    return [
      { indices: rest.filter((i) => !noDecay(input.names[i])), mult: 1, wd: baseWd },
      { indices: rest.filter((i) => noDecay(input.names[i])), mult: 1, wd: 0 },
    ];
  }
  return [{ indices: rest, mult: 1, wd: baseWd }];
}

/**
 * Plan the parameter groups of a new state: explicit specs first (in order), then the rest, split
 * by the no-decay rule when the optimizer decays and names were given; empty groups dropped.
 * Each group gets its own hyperparameters (its `weight_decay`), slot init values, sizes, global
 * tensor base and fresh host scalars.
 *
 * @throws {RangeError} for a spec naming an unknown tensor, listing one twice or out of range, or
 * a negative or non-finite multiplier or weight decay.
 * @example Usage
 * ```ts
 * import { planGroups } from "./engine_groups.ts";
 * import { adam } from "./adam.ts";
 * import { deepEqual } from "node:assert/strict";
 * const hyper = adam.resolve({ ...adam.defaults, weight_decay: 0.1 });
 * const groups = planGroups({
 *   def: adam, hyper, names: ["w", "bias"], namesGiven: true, sizes: [4, 2], specs: [],
 * });
 * deepEqual(groups.map((g) => [g.indices, g.wd]), [[[0], 0.1], [[1], 0]]);
 * ```
 */
export function planGroups(input: GroupPlanInput): EngineGroup[] {
  const { def, hyper } = input;
  const hasWd = typeof hyper.weight_decay === "number" && def.weightDecay !== "none";
  const baseWd = hasWd ? hyper.weight_decay as number : 0;
  const taken = new Set<number>();
  const drafts = [
    ...explicitGroups(input.specs, input.names, baseWd, taken),
    ...restGroups(input, baseWd, taken),
  ].filter((g) => g.indices.length > 0);
  const slots = def.slots(hyper);
  let base = 0;
  return drafts.map((g) => {
    const h: Hyper = hasWd ? Object.freeze({ ...hyper, weight_decay: g.wd }) : hyper;
    const setup: GroupSetup = {
      hyper: h,
      slots,
      slotInit: slots.map((s) => def.slotInit(h, s)),
      sizes: g.indices.map((i) => input.sizes[i]),
      tensorBase: base,
    };
    base += g.indices.length;
    const host = { ...def.hostInit(h), step: 0 } as HostState;
    return { setup, mult: g.mult, wd: g.wd, indices: g.indices, host };
  });
}
