/**
 * The trainer's handle on data-parallel training: RETURNN's rules (`rules.ts`, `data.ts`) bound
 * to a communicator, one call per place in the training loop. All ranks run the same loop and
 * make the same calls in the same order; each call that communicates is marked.
 *
 * ```text
 * const dp = await createDataParallel(settings.distributed)       // once; rank 0 prints dp.note
 * await dp.guard(async () => {
 *   await dp.broadcastParams(flatParams)                          // fresh or resumed: rank 0's
 *   for each epoch:
 *     lr = control.learningRateForEpoch(epoch) * dp.learningRateFactor
 *     for step i = 0, 1, ...:
 *       if (!await dp.hasData(i, batch !== undefined)) break      // epoch ends for all
 *       backward into flatGrads (the arena)
 *       await dp.reduceGradients(flatGrads)                       // grad: avg/sum over ranks
 *       opt.step(views of flatGrads)
 *       if (await dp.afterStep(flatParams, i)) write flatParams back   // param: every N steps
 *     if (await dp.endTrainEpoch(flatParams)) write back            // param: final average
 *     dev: rank r evaluates batches with dp.takesEvalBatch(b); sums = await dp.sumStatistics(sums)
 *     scores = await dp.shareScores(scores)                         // rank 0's, before control
 *     control.setEpochError(epoch, scores); if (dp.isMain) save files
 * })
 * await dp.finalize()
 * ```
 *
 * @module
 */

import { flatLayout, packArena, unpackArena } from "./arena.ts";
import type { DistributedSettings } from "./config.ts";
import { randomSeedOffset, type SeedOffsetInputs, takesBatch } from "./data.ts";
import { DistributedError } from "./errors.ts";
import { runGuarded } from "./guard.ts";
import { initCommunicator, type InitCommunicatorOptions } from "./init.ts";
import {
  checkHasDataNow,
  gradientReduceOp,
  learningRateFactor,
  overlapIsExact,
  syncParamsNow,
} from "./rules.ts";
import type { Communicator } from "./types.ts";
import { broadcastValue } from "./wire.ts";

/** Options of {@linkcode createDataParallel}. */
export interface DataParallelOptions extends InitCommunicatorOptions {
  /** Use this communicator instead of creating one (e.g. a loopback rank in tests). */
  comm?: Communicator;
}

/** Data-parallel training bound to one communicator. */
export interface DataParallel {
  /** The communicator. */
  readonly comm: Communicator;
  /** The validated settings. */
  readonly settings: DistributedSettings;
  /** This rank. */
  readonly rank: number;
  /** Number of ranks. */
  readonly size: number;
  /** Rank 0: the only rank that writes files (learning-rate file, checkpoints, plots) and prints. */
  readonly isMain: boolean;
  /** Why the job runs as one process although distribution was asked for (print it). */
  readonly note: string | undefined;
  /** Factor on every learning rate (`horovod_scale_lr`: the number of ranks). */
  readonly learningRateFactor: number;
  /** A data set's random-seed offset on this rank (`rank * 16127`, or 0, or an override). */
  randomSeedOffset(inputs?: Omit<SeedOffsetInputs, "rank" | "dataDistribution">): number;
  /** Whether this rank trains on batch `batchIndex` (Horovod `shard`; always true otherwise). */
  takesTrainBatch(batchIndex: number): boolean;
  /** Whether this rank evaluates dev batch `batchIndex` (`index % size == rank`). */
  takesEvalBatch(batchIndex: number): boolean;
  /** Communicates. Overwrite every rank's parameters with rank 0's (start and resume). */
  broadcastParams(flat: Float32Array): Promise<void>;
  /**
   * Communicates at the steps RETURNN checks. Whether step `epochStepIdx` runs: false on every
   * rank as soon as one rank has no batch.
   */
  hasData(epochStepIdx: number, localHasData: boolean): Promise<boolean>;
  /**
   * Communicates with `grad`. Reduce this micro-step's gradient arena in place (`avg` or `sum`);
   * returns whether it did (false with `param`).
   */
  reduceGradients(flatGrads: Float32Array): Promise<boolean>;
  /** Whether the next micro-step may run while this one's `reduceGradients` is in flight. */
  overlapIsExact(update: boolean): boolean;
  /**
   * Communicates every N steps with `param`. Average the parameters after step `epochStepIdx`
   * when due; returns whether `flatParams` changed (write it back to the optimizer).
   */
  afterStep(flatParams: Float32Array, epochStepIdx: number): Promise<boolean>;
  /**
   * Communicates with `param`. Average the parameters at the end of the training part of the
   * epoch (so rank 0's checkpoint and dev score use the average); returns whether it did.
   */
  endTrainEpoch(flatParams: Float32Array): Promise<boolean>;
  /** Communicates. Sum statistics (loss sums, frame counts, errors) over ranks, by key. */
  sumStatistics(stats: Readonly<Record<string, number>>): Promise<Record<string, number>>;
  /** Communicates. Rank 0's epoch scores, on every rank (before the learning-rate control). */
  shareScores<T>(scores: T): Promise<T>;
  /** Communicates. Any JSON-like value from rank 0 (resume state, decisions). */
  shareFromMain<T>(value: T): Promise<T>;
  /** Communicates. Named arrays from rank 0 (e.g. optimizer slots on resume), copied to all. */
  shareArrays(
    arrays: Readonly<Record<string, Float32Array>> | undefined,
  ): Promise<Record<string, Float32Array>>;
  /** Communicates. Every rank's number (e.g. RNG state), indexed by rank, on every rank. */
  gatherNumbers(value: number): Promise<number[]>;
  /** Communicates. Throw on every rank when some rank's array differs from rank 0's. */
  checkInSync(flat: Float32Array, what: string): Promise<void>;
  /** Run `work`; a failure on any rank stops the whole job with rank 0's message. */
  guard<T>(work: () => Promise<T>): Promise<T>;
  /** Communicates. End the communicator. */
  finalize(): Promise<void>;
}

/**
 * Bind data-parallel training to a communicator: MPI under `mpirun`, else one process.
 *
 * @param settings `parseDistributedConfig(config).settings`.
 * @param options A communicator to use, or how to create one.
 * @returns The handle.
 * @throws {DistributedError} when the communicator cannot be created.
 *
 * @example Two in-process ranks averaging gradients
 * ```ts
 * import { createDataParallel } from "./data_parallel.ts";
 * import { parseDistributedConfig } from "./config.ts";
 * import { createLoopbackGroup } from "./loopback.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const { settings } = parseDistributedConfig({ torch_distributed: {} });
 * const ranks = createLoopbackGroup(2);
 * const grads = [new Float32Array([1, 2]), new Float32Array([3, 4])];
 * await Promise.all(ranks.map(async (comm, r) => {
 *   const dp = await createDataParallel(settings!, { comm });
 *   await dp.reduceGradients(grads[r]);
 * }));
 * deepEqual([...grads[0]], [2, 3]);
 * ```
 */
export async function createDataParallel(
  settings: DistributedSettings,
  options: DataParallelOptions = {},
): Promise<DataParallel> {
  let comm = options.comm;
  let note: string | undefined;
  if (comm === undefined) ({ comm, note } = await initCommunicator(settings, options));
  const c = comm;
  const { rank, size } = c;
  const op = gradientReduceOp(settings);
  return {
    comm: c,
    settings,
    rank,
    size,
    isMain: rank === 0,
    note,
    learningRateFactor: learningRateFactor(settings, size),
    randomSeedOffset: (inputs = {}) =>
      randomSeedOffset({ ...inputs, rank, dataDistribution: settings.dataDistribution }),
    takesTrainBatch: (b) => settings.dataDistribution !== "shard" || takesBatch(b, rank, size),
    takesEvalBatch: (b) => takesBatch(b, rank, size),
    broadcastParams: (flat) => c.broadcast(flat, 0),
    async hasData(epochStepIdx, localHasData) {
      if (size === 1 || !checkHasDataNow(settings, epochStepIdx, localHasData)) return localHasData;
      const flag = new Int32Array([localHasData ? 1 : 0]);
      await c.allReduce(flag, "min");
      return flag[0] === 1;
    },
    async reduceGradients(flatGrads) {
      if (op === undefined) return false;
      await c.allReduce(flatGrads, op);
      return true;
    },
    overlapIsExact: (update) => overlapIsExact(settings, update),
    async afterStep(flatParams, epochStepIdx) {
      if (!syncParamsNow(settings, epochStepIdx)) return false;
      await c.allReduce(flatParams, "avg");
      return true;
    },
    async endTrainEpoch(flatParams) {
      // Always (never "skip if the last step synced"): ranks may end the epoch after different
      // step counts with `param`, and all must make the same collective calls.
      if (settings.reduceType !== "param") return false;
      await c.allReduce(flatParams, "avg");
      return true;
    },
    sumStatistics: (stats) => _sumStatistics(c, stats),
    shareScores: (scores) => broadcastValue(c, scores, 0),
    shareFromMain: (value) => broadcastValue(c, value, 0),
    shareArrays: (arrays) => _shareArrays(c, arrays),
    gatherNumbers: (value) => _gatherNumbers(c, value),
    checkInSync: (flat, what) => _checkInSync(c, flat, what),
    guard: (work) => runGuarded(c, work),
    finalize: () => c.finalize(),
  };
}

async function _gatherNumbers(comm: Communicator, value: number): Promise<number[]> {
  const all = new Float64Array(comm.size);
  all[comm.rank] = value;
  await comm.allReduce(all, "sum");
  return [...all];
}

async function _sumStatistics(
  comm: Communicator,
  stats: Readonly<Record<string, number>>,
): Promise<Record<string, number>> {
  const keys = Object.keys(stats).sort();
  const rootKeys = await broadcastValue(comm, keys, 0);
  const same = rootKeys.length === keys.length && rootKeys.every((k, i) => k === keys[i]);
  // One all-reduce: rank 0's keys in order, then one "my keys differ" slot per rank.
  const v = new Float64Array(rootKeys.length + comm.size);
  rootKeys.forEach((k, i) => v[i] = Object.hasOwn(stats, k) ? stats[k] : 0);
  v[rootKeys.length + comm.rank] = same ? 0 : 1;
  await comm.allReduce(v, "sum");
  const differ = Array.from({ length: comm.size }, (_, r) => r).filter(
    (r) => v[rootKeys.length + r] !== 0,
  );
  if (differ.length > 0) {
    throw new DistributedError(
      `Cannot sum statistics over ranks as rank(s) ${differ.join(", ")} have other keys than ` +
        `rank 0 (${rootKeys.join(", ")}${same ? "" : `; this rank: ${keys.join(", ")}`}): every ` +
        "rank must report the same statistics",
    );
  }
  return Object.fromEntries(rootKeys.map((k, i) => [k, v[i]]));
}

async function _shareArrays(
  comm: Communicator,
  arrays: Readonly<Record<string, Float32Array>> | undefined,
): Promise<Record<string, Float32Array>> {
  let shape: [string, number][] | undefined;
  if (comm.rank === 0) {
    if (arrays === undefined) {
      throw new TypeError("Cannot share arrays as rank 0 passed none");
    }
    shape = Object.entries(arrays).map(([k, a]) => [k, a.length]);
  }
  const names = await broadcastValue(comm, shape, 0) as [string, number][];
  const layout = flatLayout(names.map(([, n]) => n));
  const flat = comm.rank === 0
    ? packArena(names.map(([k]) => arrays![k]), layout)
    : new Float32Array(layout.length);
  await comm.broadcast(flat, 0);
  const out = names.map(([, n]) => new Float32Array(n));
  unpackArena(flat, layout, out);
  return Object.fromEntries(names.map(([k], i) => [k, out[i]]));
}

async function _checkInSync(comm: Communicator, flat: Float32Array, what: string): Promise<void> {
  const hashes = await _gatherNumbers(comm, _hash(flat));
  const differ = hashes.map((h, r) => [h, r]).filter(([h]) => h !== hashes[0]).map(([, r]) => r);
  if (differ.length > 0) {
    throw new DistributedError(
      `The ${what} of rank(s) ${differ.join(", ")} differ from rank 0's: the ranks diverged ` +
        "(a rank skipped a step, saw other data where it must not, or the MPI library returned " +
        "different reduction results on different ranks)",
    );
  }
}

/** FNV-1a over the array's bytes (as 32-bit words), as a non-negative integer. */
function _hash(flat: Float32Array): number {
  const words = new Uint32Array(flat.buffer, flat.byteOffset, flat.length);
  let h = 0x811c9dc5;
  for (let i = 0; i < words.length; i++) {
    h = Math.imul(h ^ words[i], 0x01000193) >>> 0;
  }
  return (h ^ flat.length) >>> 0;
}
