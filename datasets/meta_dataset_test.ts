import assert from "node:assert/strict";
import { createDataset } from "./create_dataset.ts";
import { HDFDataset } from "./hdf_dataset.ts";
import { HDFWriter } from "./hdf_writer.ts";

const C = "tests/fixtures/returnn_data/pub_c.hdf";

/** An "alignment" file: pub_c's classes under other tag order (reversed), as a target only. */
async function alignmentFile(): Promise<string> {
  await Deno.mkdir(".tmp/datasets", { recursive: true });
  const path = ".tmp/datasets/meta_align.hdf";
  const src = await HDFDataset.open({ class: "HDFDataset", files: [C], seq_ordering: "reverse" });
  await src.initSeqOrder(1);
  const w = await HDFWriter.create(path, {
    targets: { align: { dim: 5, sparse: true } },
    overwrite: true,
  });
  for (let i = 0; i < src.numSeqs; i++) {
    await w.insert(src.tag(i), { align: await src.getData(i, "classes") });
  }
  await w.close();
  await src.close();
  return path;
}

Deno.test("MetaDataset joins keys by tag; the control dataset's ordering and partition decide", async () => {
  const align = await alignmentFile();
  const meta = await createDataset({
    class: "MetaDataset",
    datasets: {
      feats: { class: "HDFDataset", files: [C], seq_ordering: "laplace:2", partition_epoch: 2 },
      ali: { class: "HDFDataset", files: [align] },
    },
    data_map: { data: ["feats", "data"], classes: ["ali", "align"], orth: ["feats", "orth"] },
    seq_order_control_dataset: "feats",
  });
  const plain = await createDataset({
    class: "HDFDataset",
    files: [C],
    seq_ordering: "laplace:2",
    partition_epoch: 2,
  });
  try {
    for (const epoch of [1, 2, 3]) {
      await meta.initSeqOrder(epoch);
      await plain.initSeqOrder(epoch);
      assert.equal(meta.numSeqs, plain.numSeqs);
      for (let i = 0; i < meta.numSeqs; i++) {
        assert.equal(meta.tag(i), plain.tag(i));
        assert.deepEqual(meta.seqLength(i), plain.seqLength(i));
        assert.deepEqual(await meta.getData(i, "classes"), await plain.getData(i, "classes"));
        assert.deepEqual(await meta.getData(i, "data"), await plain.getData(i, "data"));
      }
      const opts = { batch_size: 120, max_seqs: 3, used_data_keys: ["data", "classes"] };
      const a = await Array.fromAsync(meta.batches(opts, () => {}));
      const b = await Array.fromAsync(plain.batches(opts, () => {}));
      assert.deepEqual(a.map((x) => x.slices), b.map((x) => x.slices));
      assert.deepEqual(a.map((x) => x.get("classes")), b.map((x) => x.get("classes")));
    }
  } finally {
    await meta.close();
    await plain.close();
  }
});

Deno.test("MetaDataset without a control dataset orders by the data dataset's lengths", async () => {
  const align = await alignmentFile();
  const meta = await createDataset({
    class: "MetaDataset",
    datasets: {
      feats: { class: "HDFDataset", files: [C] },
      ali: { class: "HDFDataset", files: [align] },
    },
    data_map: { data: ["feats", "data"], classes: ["ali", "align"] },
    seq_ordering: "sorted_reverse",
    chunking: "10:10",
  });
  const plain = await createDataset({
    class: "HDFDataset",
    files: [C],
    seq_ordering: "sorted_reverse",
    chunking: "10:10",
  });
  await meta.initSeqOrder(1);
  await plain.initSeqOrder(1);
  const opts = { batch_size: 40, used_data_keys: ["data", "classes"] };
  const a = await Array.fromAsync(meta.batches(opts));
  const b = await Array.fromAsync(plain.batches(opts));
  assert.deepEqual(a.map((x) => x.slices), b.map((x) => x.slices));
  assert.deepEqual(a.map((x) => x.get("data")), b.map((x) => x.get("data")));
  await meta.close();
  await plain.close();
});

Deno.test("MetaDataset reports every problem of its dict at once", async () => {
  await assert.rejects(
    () =>
      createDataset({
        class: "MetaDataset",
        datasets: { feats: { class: "HDFDataset", files: [C] } },
        data_map: { data: ["feat", "data"], classes: ["feats"] },
        seq_order_control_dataset: "feets",
      }),
    (e: Error) => {
      assert.match(e.message, /names dataset 'feat'.*Did you mean 'feats'/);
      assert.match(e.message, /data_map\['classes'\] must be \[dataset name, data key\]/);
      assert.match(e.message, /seq_order_control_dataset 'feets'.*Did you mean 'feats'/);
      return true;
    },
  );
  await assert.rejects(
    () =>
      createDataset({
        class: "MetaDataset",
        datasets: { feats: { class: "HDFDataset", files: [C] } },
        data_map: { data: ["feats", "dta"] },
      }),
    /dataset 'feats' has no key 'dta'. Did you mean 'data'\?/,
  );
});
