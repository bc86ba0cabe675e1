import { deepEqual, equal, throws } from "node:assert/strict";
import { randomSeedOffset, RANK_SEED_STRIDE, shardSeqOrder, takesBatch } from "./data.ts";

Deno.test("data: shardSeqOrder matches RETURNN's _apply_partition_epoch_and_sharding", async () => {
  const fixture = JSON.parse(
    await Deno.readTextFile(new URL("../tests/fixtures/distributed/shard.json", import.meta.url)),
  ) as { cases: [number, number, number | null, number, number, number | null, number][] };
  equal(fixture.cases.length > 1000, true);
  for (const [n, partitionEpoch, epoch, numShards, shardIndex, start, length] of fixture.cases) {
    const seq = Array.from({ length: n }, (_, i) => 100 + i);
    const got = shardSeqOrder(seq, {
      partitionEpoch,
      epoch: epoch ?? undefined,
      numShards,
      shardIndex,
    });
    const want = length === 0 ? [] : seq.slice(start!, start! + length);
    deepEqual(got, want, JSON.stringify({ n, partitionEpoch, epoch, numShards, shardIndex }));
  }
});

Deno.test("data: the shards of an epoch partition the sequence order", () => {
  const seq = Array.from({ length: 23 }, (_, i) => i * 3);
  for (const numShards of [1, 2, 3, 5]) {
    for (const partitionEpoch of [1, 2]) {
      const all = [];
      for (let epoch = 1; epoch <= partitionEpoch; epoch++) {
        for (let shardIndex = 0; shardIndex < numShards; shardIndex++) {
          all.push(...shardSeqOrder(seq, { numShards, shardIndex, partitionEpoch, epoch }));
        }
      }
      deepEqual(all, seq);
    }
  }
  throws(() => shardSeqOrder(seq, { numShards: 2, shardIndex: 2 }), RangeError);
  throws(() => shardSeqOrder(seq, { numShards: 0, shardIndex: 0 }), RangeError);
  throws(() => shardSeqOrder(seq, { numShards: 1, shardIndex: 0, partitionEpoch: 0 }), RangeError);
});

Deno.test("data: random seed offsets: rank * 16127, 0 for shard, overrides win", () => {
  equal(RANK_SEED_STRIDE, 16127);
  equal(randomSeedOffset({ rank: 3, dataDistribution: "random_seed_offset" }), 48381);
  equal(randomSeedOffset({ rank: 3, dataDistribution: "shard" }), 0);
  equal(randomSeedOffset({ rank: 3, dataDistribution: undefined }), 0);
  equal(randomSeedOffset({ rank: 3, dataDistribution: "random_seed_offset", envOffset: "7" }), 7);
  equal(
    randomSeedOffset({
      rank: 3,
      dataDistribution: "random_seed_offset",
      envOffset: "7",
      datasetOffset: 5,
    }),
    5,
  );
  equal(
    randomSeedOffset({ rank: 3, dataDistribution: "random_seed_offset", customSharding: true }),
    0,
  );
  throws(
    () => randomSeedOffset({ rank: 0, dataDistribution: "shard", envOffset: "1.5" }),
    /RETURNN_RANDOM_SEED_OFFSET/,
  );
});

Deno.test("data: Horovod shard takes every size-th batch", () => {
  deepEqual(
    Array.from({ length: 10 }, (_, b) => b).filter((b) => takesBatch(b, 2, 3)),
    [2, 5, 8],
  );
});
