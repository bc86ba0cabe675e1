import assert from "node:assert/strict";
import { NumbersDict } from "./numbers_dict.ts";
import { type BatchingOptions, generateBatches, resolveBatching } from "./batching.ts";
import { type ChunkingValue, parseChunking } from "./chunking.ts";
import { seqOrderForEpoch, type SeqOrderOptions } from "./seq_order.ts";

interface Fixture {
  orders: {
    lens: number[];
    seq_ordering: string;
    options: Record<string, number | boolean>;
    epochs: Record<string, number[]>;
  }[];
  batches: {
    lens: Record<string, number>[];
    order: number[];
    dataset: { seq_ordering: string; chunking?: ChunkingValue; min_chunk_size?: number };
    batching: BatchingOptions;
    batches: [number, Record<string, number>, Record<string, number>][][] | null;
    error: string | null;
  }[];
}
const fixture = JSON.parse(
  await Deno.readTextFile(
    new URL("../tests/fixtures/returnn_batching/returnn_batching.json", import.meta.url),
  ),
) as Fixture;

Deno.test("seqOrderForEpoch equals RETURNN's get_seq_order_for_epoch (570 cases x 5 epochs)", () => {
  for (const c of fixture.orders) {
    const o: SeqOrderOptions = {
      seqOrdering: c.seq_ordering,
      partitionEpoch: (c.options.partition_epoch as number) ?? 1,
      repeatEpoch: (c.options.repeat_epoch as number) ?? 1,
      fixedRandomSeed: (c.options.fixed_random_seed as number) ?? null,
      randomSeedOffset: (c.options.random_seed_offset as number) ?? 0,
    };
    for (const [epoch, expected] of Object.entries(c.epochs)) {
      const got = seqOrderForEpoch(o, Number(epoch), c.lens.length, (i) => c.lens[i]);
      assert.deepEqual(
        got,
        expected,
        `${c.seq_ordering} ${JSON.stringify(c.options)} n=${c.lens.length} epoch ${epoch}`,
      );
    }
  }
});

Deno.test("generateBatches equals RETURNN's _generate_batches (chunking, limits, padding)", () => {
  for (const [i, c] of fixture.batches.entries()) {
    const order = seqOrderForEpoch(
      { seqOrdering: c.dataset.seq_ordering },
      1,
      c.lens.length,
      (k) => c.lens[k].data,
    );
    assert.deepEqual(order, c.order, `case ${i}: order`);
    const run = () =>
      [...generateBatches(
        order.length,
        (s) => new NumbersDict(c.lens[order[s]]),
        {
          chunking: parseChunking(c.dataset.chunking ?? null),
          minChunkSize: new NumbersDict(c.dataset.min_chunk_size ?? 0),
          usedDataKeys: c.batching.used_data_keys,
        },
        resolveBatching(c.batching),
        () => {},
      )].map((b) =>
        b.map((
          s,
        ) => [
          s.seqIdx,
          pick(s.start, c.batching.used_data_keys!),
          pick(s.end, c.batching.used_data_keys!),
        ])
      );
    if (c.error !== null) {
      assert.throws(run, RangeError, `case ${i}: RETURNN raised ${c.error}`);
    } else {
      assert.deepEqual(
        run(),
        c.batches,
        `case ${i}: ${JSON.stringify(c.dataset)} ${JSON.stringify(c.batching)}`,
      );
    }
  }
});

function pick(d: NumbersDict, keys: readonly string[]): Record<string, number> {
  return Object.fromEntries(keys.map((k) => [k, d.get(k)]));
}
