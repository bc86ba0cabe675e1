import assert from "node:assert/strict";
import { openDataConfig, resolveDataConfig } from "./data_config.ts";

const A = "tests/fixtures/returnn_data/pub_a.hdf";
const B = "tests/fixtures/returnn_data/pub_b.hdf";

Deno.test("resolveDataConfig: RETURNN's train/dev/eval/eval_datasets defaults", () => {
  const d = resolveDataConfig({
    train: { class: "HDFDataset", files: [A], chunking: null },
    dev: { class: "HDFDataset", files: [B] },
    eval: `${A},${B}`,
    eval_datasets: {
      devtrain: { class: "HDFDataset", files: [A] },
      dev: { class: "HDFDataset", files: [B], seq_ordering: "reverse" },
    },
    batching: "laplace:.10",
    chunking: "30:15",
    min_chunk_size: 5,
    batch_size: 400,
    max_seqs: 8,
    max_seq_length: 60,
    min_seq_length: 2,
    learning_rate: 0.1, // not a data key: ignored here
  });
  // train: config-level keys fill what the dict leaves open; chunking: null counts as unset.
  assert.deepEqual(d.train!.dict, {
    name: "train",
    class: "HDFDataset",
    files: [A],
    chunking: "30:15",
    seq_ordering: "laplace:.10",
    min_chunk_size: 5,
    chunking_variance: 0,
  });
  assert.deepEqual(d.train!.batching, {
    batch_size: 400,
    max_seqs: 8,
    max_seq_length: 60,
    min_seq_length: 2,
  });
  // dev / eval: sorted, no chunking; eval_datasets: as given; 'dev' in eval_datasets replaces dev.
  assert.deepEqual(d.eval.map((s) => s.name), ["dev", "eval", "devtrain"]);
  assert.deepEqual(d.eval[0].dict, {
    name: "dev",
    class: "HDFDataset",
    files: [B],
    seq_ordering: "reverse",
  });
  assert.deepEqual(d.eval[0].batching, { batch_size: 400, max_seqs: 8, max_seq_length: 60 });
  assert.deepEqual(d.eval[1].dict, {
    chunking: "0",
    seq_ordering: "sorted",
    shuffle_frames_of_nseqs: 0,
    name: "eval",
    class: "HDFDataset",
    files: [A, B],
    min_chunk_size: 5,
    chunking_variance: 0,
  });
  assert.deepEqual(d.eval[1].batching, { batch_size: 400, max_seqs: 8 });
  assert.deepEqual(d.eval[2].dict, { name: "devtrain", class: "HDFDataset", files: [A] });
});

Deno.test("resolveDataConfig: eval chunking follows on_size_limit / chunk_eval; defaults", () => {
  const dev = { class: "HDFDataset", files: [B] };
  assert.equal(
    resolveDataConfig({ dev, on_size_limit: "chunk", batch_size: 50 }).eval[0].dict.chunking,
    "50",
  );
  assert.equal(
    resolveDataConfig({ dev, chunk_eval: true, chunking: "10:5" }).eval[0].dict.chunking,
    "10:5",
  );
  assert.equal(resolveDataConfig({ dev, chunking: "1" }).eval[0].dict.chunking, "1");
  const d = resolveDataConfig({ train: dev });
  assert.deepEqual(d.train!.batching, { batch_size: 1, max_seqs: -1 });
  assert.deepEqual(d.eval, []);
});

Deno.test("resolveDataConfig reports every problem at once, with suggestions", () => {
  assert.throws(
    () =>
      resolveDataConfig({
        train: { class: "HDFDatset", files: [A] },
        dev: { class: "HDFDataset", files: ["missing.hdf"], seq_orderin: "sorted" },
        eval_datasets: { x: { class: "HDFDataset", files: [A], partition_epoch: 0 } },
        batching: "lapalce",
        chunking: "20:-5",
        batch_size: 0,
        max_seqs: 0,
        shuffle_batches: true,
      }),
    (e: Error) => {
      for (
        const re of [
          /unknown dataset class 'HDFDatset'. Did you mean 'HDFDataset'\?/,
          /'missing.hdf' in 'files' does not exist/,
          /unknown option 'seq_orderin' for HDFDataset. Did you mean 'seq_ordering'\?/,
          /'partition_epoch' must be an integer >= 1/,
          /seq_ordering "lapalce": unknown ordering. Did you mean 'laplace'\?/,
          /chunking "20:-5".*step must be positive/,
          /'batch_size' must be set and greater than 0/,
          /'max_seqs' must be positive or -1/,
          /shuffle_batches = true is not supported/,
        ]
      ) assert.match(e.message, re);
      return true;
    },
  );
});

Deno.test("openDataConfig opens every dataset; the batches follow the resolved options", async () => {
  const data = resolveDataConfig({
    train: { class: "HDFDataset", files: [A, B] },
    dev: { class: "HDFDataset", files: [B] },
    batching: "random",
    chunking: "20:10",
    batch_size: 200,
  });
  const opened = await openDataConfig(data);
  try {
    await opened.train!.initSeqOrder(1);
    for await (const b of opened.train!.batches(data.train!.batching)) {
      assert.ok(b.get("data").shape[1] <= 20);
    }
    const dev = opened.eval.get("dev")!;
    await dev.initSeqOrder(1);
    let last = 0;
    for await (const b of dev.batches(data.eval[0].batching, () => {})) {
      for (const s of b.slices) {
        assert.ok(s.end.data >= last); // sorted, unchunked
        last = s.end.data;
      }
    }
  } finally {
    await opened.close();
  }
});
