import assert from "node:assert/strict";
import { HDFDataset } from "./hdf_dataset.ts";
import { type HdfKeySpec, HDFWriter } from "./hdf_writer.ts";
import type { SequenceDataset } from "./dataset.ts";

const DIR = "tests/fixtures/returnn_data/";

/** Copy every sequence of a dataset (corpus order) into a new file with HDFWriter. */
export async function copyToHdf(ds: SequenceDataset, path: string): Promise<void> {
  await ds.initSeqOrder(1, { seqOrder: ds.allTags().map((_, i) => i) });
  const spec = (k: string): HdfKeySpec => {
    const i = ds.keyInfo(k);
    return {
      dim: i.dim,
      sparse: i.sparse,
      frameShape: i.frameShape,
      dtype: i.dtype,
      ...(i.labels ? { labels: i.labels } : {}),
    };
  };
  const targets = Object.fromEntries(
    ds.dataKeys.filter((k) => k !== "data").map((k) => [k, spec(k)]),
  );
  const w = await HDFWriter.create(path, {
    ...(ds.dataKeys.includes("data") ? { data: spec("data") } : {}),
    targets,
    overwrite: true,
  });
  for (let i = 0; i < ds.numSeqs; i++) {
    const values = Object.fromEntries(
      await Promise.all(ds.dataKeys.map(async (k) => [k, await ds.getData(i, k)] as const)),
    );
    await w.insert(ds.tag(i), values);
  }
  await w.close();
}

async function assertSameDatasets(a: SequenceDataset, b: SequenceDataset): Promise<void> {
  assert.deepEqual(b.dataKeys, a.dataKeys);
  for (const k of a.dataKeys) assert.deepEqual(b.keyInfo(k), a.keyInfo(k), k);
  assert.deepEqual(b.allTags(), a.allTags());
  await a.initSeqOrder(1);
  await b.initSeqOrder(1);
  for (let i = 0; i < a.numSeqs; i++) {
    assert.deepEqual(b.seqLength(i), a.seqLength(i));
    for (const k of a.dataKeys) assert.deepEqual(await b.getData(i, k), await a.getData(i, k));
  }
}

Deno.test("HDF files written by HDFWriter read back identically (RETURNN's files rewritten)", async () => {
  await Deno.mkdir(".tmp/datasets", { recursive: true });
  for (const name of ["pub_a", "pub_b", "pub_c"]) {
    const orig = await HDFDataset.open({ class: "HDFDataset", files: [`${DIR}${name}.hdf`] });
    const out = `.tmp/datasets/${name}_rewritten.hdf`;
    await copyToHdf(orig, out);
    const back = await HDFDataset.open({ class: "HDFDataset", files: [out] });
    try {
      await assertSameDatasets(orig, back);
      // And a second generation is the same again.
      const out2 = `.tmp/datasets/${name}_rewritten2.hdf`;
      await copyToHdf(back, out2);
      const back2 = await HDFDataset.open({ class: "HDFDataset", files: [out2] });
      await assertSameDatasets(back, back2);
      await back2.close();
    } finally {
      await orig.close();
      await back.close();
    }
  }
});

Deno.test("HDFWriter: dense targets, a targets-only file, errors before writing", async () => {
  await Deno.mkdir(".tmp/datasets", { recursive: true });
  const path = ".tmp/datasets/dense_targets.hdf";
  const w = await HDFWriter.create(path, {
    data: { dim: 2 },
    targets: { feats: { dim: 3 }, classes: { dim: 4, sparse: true, labels: ["a", "b", "c", "d"] } },
    overwrite: true,
  });
  await assert.rejects(
    () =>
      w.insert("x", {
        data: new Float32Array(3),
        feats: new Float32Array(3),
        classes: new Int32Array(1),
      }),
    /multiple of its frame size 2/,
  );
  await assert.rejects(
    () => w.insert("x", { data: new Float32Array(2), feats: new Float32Array(3) }),
    /'classes' is missing/,
  );
  await assert.rejects(
    () =>
      w.insert("x", {
        data: new Float32Array(2),
        feats: new Float32Array(3),
        classes: new Int32Array(1),
        clases: new Int32Array(1),
      }),
    /Did you mean 'classes'/,
  );
  await w.insert("s0", {
    data: new Float32Array([1, 2, 3, 4]),
    feats: new Float32Array([1, 2, 3]),
    classes: new Int32Array([3, 1, 2]),
  });
  await w.close();
  const ds = await HDFDataset.open({ class: "HDFDataset", files: [path] });
  await ds.initSeqOrder(1);
  assert.deepEqual(ds.dataKeys, ["data", "classes", "feats"]);
  assert.deepEqual(ds.seqLength(0), { data: 2, classes: 3, feats: 1 });
  assert.deepEqual(ds.keyInfo("classes").labels, ["a", "b", "c", "d"]);
  assert.equal(ds.keyInfo("feats").sparse, false);
  const [b] = await Array.fromAsync(ds.batches({ batch_size: 10 }));
  assert.deepEqual(b.get("feats").shape, [1, 1, 3]);
  assert.deepEqual(b.get("classes").shape, [1, 3]);
  await ds.close();

  await assert.rejects(() => HDFWriter.create(path, { data: { dim: 2 } }), /exists/);
  await assert.rejects(
    () => HDFWriter.create(".tmp/datasets/x.hdf", { data: { dim: 0 }, target: {} } as never),
    /unknown option 'target'. Did you mean 'targets'\?[\s\S]*dim must be a positive integer/,
  );
  const only = await HDFWriter.create(".tmp/datasets/targets_only.hdf", {
    targets: { orth: { dim: 5, sparse: true } },
    overwrite: true,
  });
  await only.insert("t0", { orth: new Int32Array([4, 0]) });
  await only.close();
  const tds = await HDFDataset.open({
    class: "HDFDataset",
    files: [".tmp/datasets/targets_only.hdf"],
    seq_ordering: "sorted",
  });
  await tds.initSeqOrder(1);
  assert.deepEqual(tds.dataKeys, ["orth"]);
  assert.deepEqual(await tds.getData(0, "orth"), new Int32Array([4, 0]));
  await tds.close();
  const empty = await HDFWriter.create(".tmp/datasets/empty.hdf", {
    targets: { classes: { dim: 2, sparse: true } },
    overwrite: true,
  });
  await assert.rejects(() => empty.close(), /no sequence was inserted/);
  await assert.rejects(() => Deno.stat(".tmp/datasets/empty.hdf"), Deno.errors.NotFound);
});

Deno.test("HDFDataset reads a file given as bytes (as a browser would)", async () => {
  const path = `${DIR}pub_c.hdf`;
  const fromPath = await HDFDataset.open({
    class: "HDFDataset",
    files: [path],
    seq_ordering: "laplace:2",
  });
  const fromBytes = await HDFDataset.open({
    class: "HDFDataset",
    files: [{ name: "pub_c.hdf", bytes: await Deno.readFile(path) }],
    seq_ordering: "laplace:2",
  });
  try {
    await assertSameDatasets(fromPath, fromBytes);
  } finally {
    await fromPath.close();
    await fromBytes.close();
  }
});
