/**
 * Which data a rank trains on, with RETURNN's rules (`returnn/datasets/basic.py`):
 *
 * - {@linkcode randomSeedOffset}: `Dataset._get_default_random_seed_offset`: a dataset's own
 *   `random_seed_offset` wins; else `RETURNN_RANDOM_SEED_OFFSET` from the environment; else
 *   `rank * 16127` (`torch_distributed`, or Horovod with `random_seed_offset`); else 0 (Horovod
 *   `shard`, or no distribution). The offset is added to the epoch's shuffle seed
 *   (`Dataset._get_random_seed_for_epoch`), so each rank walks the data in its own order.
 * - {@linkcode shardSeqOrder}: `Dataset._apply_partition_epoch_and_sharding`: a sharded data set
 *   (`_num_shards`/`_shard_index`, or `distrib_shard_files`) cuts the epoch's sequence order
 *   into `partition_epoch * num_shards` contiguous parts (the first `len % parts` one longer)
 *   and takes part `((epoch - 1) % partition_epoch) * num_shards + shard_index`.
 * - {@linkcode takesBatch}: Horovod's `shard` (`HorovodContext.get_dataset_shard_batch_slice`,
 *   applied in `returnn/tf/data_pipeline.py` `FeedDictDataProvider.get_next_batch`): every rank
 *   builds the same batches and keeps those with `index % size == rank`.
 *
 * @module
 */

/** The seed offset step per rank in RETURNN. */
export const RANK_SEED_STRIDE = 16127;

/** Inputs of {@linkcode randomSeedOffset}. */
export interface SeedOffsetInputs {
  /** This rank. */
  rank: number;
  /** The distribution; `undefined` when none is configured. */
  dataDistribution: "random_seed_offset" | "shard" | undefined;
  /** The data set's own `random_seed_offset` option, if set. */
  datasetOffset?: number;
  /** `RETURNN_RANDOM_SEED_OFFSET` from the environment, if set. */
  envOffset?: string;
  /** The data set shards itself by rank (RETURNN's `_uses_custom_distributed_sharding`). */
  customSharding?: boolean;
}

/**
 * The random-seed offset of a data set on this rank.
 *
 * @param inputs Rank, distribution, overrides.
 * @returns The offset to add to the epoch's shuffle seed.
 * @throws {RangeError} for a non-integer environment value.
 *
 * @example Usage
 * ```ts
 * import { randomSeedOffset, type SeedOffsetInputs } from "./data.ts";
 * import { equal } from "node:assert/strict";
 * const inputs: SeedOffsetInputs = { rank: 2, dataDistribution: "random_seed_offset" };
 * equal(randomSeedOffset(inputs), 32254);
 * equal(randomSeedOffset({ rank: 2, dataDistribution: "shard" }), 0);
 * ```
 */
export function randomSeedOffset(inputs: SeedOffsetInputs): number {
  if (inputs.datasetOffset !== undefined) return inputs.datasetOffset;
  if (inputs.customSharding) return 0;
  if (inputs.envOffset !== undefined) {
    const n = Number(inputs.envOffset);
    if (!/^\s*-?\d+\s*$/.test(inputs.envOffset) || !Number.isSafeInteger(n)) {
      throw new RangeError(
        "Cannot use RETURNN_RANDOM_SEED_OFFSET as it must be an integer: current value is " +
          JSON.stringify(inputs.envOffset.slice(0, 40)),
      );
    }
    return n;
  }
  return inputs.dataDistribution === "random_seed_offset" ? inputs.rank * RANK_SEED_STRIDE : 0;
}

/** Inputs of {@linkcode shardSeqOrder}. */
export interface ShardInputs {
  /** `partition_epoch` of the data set. @default {1} */
  partitionEpoch?: number;
  /** The (sub-)epoch, 1-based. @default {1} */
  epoch?: number;
  /** Number of shards (ranks). */
  numShards: number;
  /** This shard's index (rank). */
  shardIndex: number;
}

/**
 * The part of an epoch's sequence order this shard (and sub-epoch) takes.
 *
 * @param seqOrder The full order of sequence indices for the epoch.
 * @param inputs Partitioning and sharding.
 * @returns A contiguous slice of `seqOrder`.
 * @throws {RangeError} for a shard index outside `0..numShards-1` or non-positive counts.
 *
 * @example Usage
 * ```ts
 * import { shardSeqOrder, type ShardInputs } from "./data.ts";
 * import { deepEqual } from "node:assert/strict";
 * const inputs: ShardInputs = { numShards: 2, shardIndex: 1 };
 * deepEqual(shardSeqOrder([10, 11, 12, 13, 14], inputs), [13, 14]);
 * ```
 */
export function shardSeqOrder<T>(seqOrder: readonly T[], inputs: ShardInputs): T[] {
  const partitionEpoch = inputs.partitionEpoch ?? 1;
  const epoch = inputs.epoch ?? 1;
  const { numShards, shardIndex } = inputs;
  for (const [name, v] of [["partitionEpoch", partitionEpoch], ["numShards", numShards]] as const) {
    if (!Number.isInteger(v) || v < 1) {
      throw new RangeError(
        `Cannot shard as '${name}' must be a positive integer: current value is ${v}`,
      );
    }
  }
  if (!Number.isInteger(shardIndex) || shardIndex < 0 || shardIndex >= numShards) {
    throw new RangeError(
      `Cannot shard as 'shardIndex' must be in 0..${numShards - 1}: current value is ${shardIndex}`,
    );
  }
  if (!Number.isInteger(epoch)) {
    throw new RangeError(`Cannot shard as 'epoch' must be an integer: current value is ${epoch}`);
  }
  const parts = partitionEpoch * numShards;
  // RETURNN: `((epoch or 1) - 1) % partition_epoch` with Python's modulo (never negative).
  const sub = (((epoch || 1) - 1) % partitionEpoch + partitionEpoch) % partitionEpoch;
  const part = sub * numShards + shardIndex;
  const n = seqOrder.length;
  const base = Math.floor(n / parts);
  const longer = n % parts;
  const start = part * base + Math.min(part, longer);
  const len = base + (part < longer ? 1 : 0);
  return seqOrder.slice(start, start + len);
}

/**
 * Horovod's `shard`: whether batch `batchIndex` (0-based, of the batches every rank builds in
 * the same order) belongs to `rank`.
 *
 * @param batchIndex The batch's index in the epoch.
 * @param rank This rank.
 * @param size Number of ranks.
 * @returns `batchIndex % size == rank`.
 *
 * @example Usage
 * ```ts
 * import { takesBatch } from "./data.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([0, 1, 2, 3, 4].filter((b) => takesBatch(b, 1, 2)), [1, 3]);
 * ```
 */
export function takesBatch(batchIndex: number, rank: number, size: number): boolean {
  return batchIndex % size === rank;
}
