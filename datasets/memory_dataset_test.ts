import assert from "node:assert/strict";
import { MemoryDataset } from "./memory_dataset.ts";
import { createDataset } from "./create_dataset.ts";

Deno.test("MemoryDataset: ordering, partition and chunking as for any dataset", async () => {
  const lens = [5, 3, 8, 1, 6];
  const total = lens.reduce((a, b) => a + b, 0);
  const ds = await createDataset({
    class: "MemoryDataset",
    data: {
      data: {
        values: Float32Array.from({ length: total * 2 }, (_, i) => i),
        seqLens: lens,
        dim: 2,
      },
      classes: { values: new Int32Array(total), seqLens: lens, dim: 3, sparse: true },
    },
    tags: ["a", "b", "c", "d", "e"],
    seq_ordering: "sorted_reverse",
    partition_epoch: 2,
    chunking: "4:4",
  });
  await ds.initSeqOrder(1);
  assert.deepEqual(Array.from({ length: ds.numSeqs }, (_, i) => ds.tag(i)), ["c", "e", "a"]);
  await ds.initSeqOrder(2);
  assert.deepEqual(Array.from({ length: ds.numSeqs }, (_, i) => ds.tag(i)), ["b", "d"]);
  const [b] = await Array.fromAsync(ds.batches({ batch_size: 100 }));
  assert.deepEqual(b.slices.map((s) => [s.seqTag, s.start.data, s.end.data]), [["b", 0, 3], [
    "d",
    0,
    1,
  ]]);
  // Rows are b's frames 0..2 (values 10..15), then d's frame (values 32, 33), zero-padded.
  assert.deepEqual(
    b.get("data").data,
    new Float32Array([10, 11, 12, 13, 14, 15, 32, 33, 0, 0, 0, 0]),
  );
});

Deno.test("MemoryDataset reports every inconsistency", () => {
  assert.throws(
    () =>
      MemoryDataset.create({
        class: "MemoryDataset",
        data: {
          data: { values: new Float32Array(7), seqLens: [2, 1], dim: 2 },
          classes: { values: new Float32Array(3), seqLens: [3], dim: 3, sparse: true },
        },
        tags: ["x", "x"],
      }),
    (e: Error) => {
      assert.match(e.message, /seqLens add up to 3 frames \(6 values\) but values has 7/);
      assert.match(e.message, /sparse, so its values must be an Int32Array/);
      assert.match(e.message, /has 1 sequences, other keys 2/);
      assert.match(e.message, /'tags' must be unique/);
      return true;
    },
  );
});
