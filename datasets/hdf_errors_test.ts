import assert from "node:assert/strict";
import { createDataset } from "./create_dataset.ts";
import { denoFileSource, loadH5, mountSource } from "./_h5.ts";

const DIR = ".tmp/datasets/errors";

/** Write an HDF file with h5wasm directly (to make layouts HDFWriter never writes). */
// deno-lint-ignore no-explicit-any
async function rawHdf(name: string, build: (f: any) => void): Promise<string> {
  await Deno.mkdir(DIR, { recursive: true });
  const path = `${DIR}/${name}`;
  const h5 = await loadH5();
  const m = mountSource(h5, denoFileSource(path, true));
  const f = new h5.File(m.path, "w");
  build(f);
  f.close();
  m.unmount();
  return path;
}

Deno.test("HDFDataset: broken files are reported before any data is read, each with a fix", async () => {
  await Deno.mkdir(DIR, { recursive: true });
  const text = `${DIR}/notes.hdf`;
  await Deno.writeTextFile(text, "these are not HDF5 bytes\n".repeat(40));
  const noLengths = await rawHdf("no_lengths.hdf", (f) => {
    f.create_dataset({ name: "inputs", data: new Float32Array(6), shape: [2, 3] });
    f.create_dataset({ name: "seqTags", data: ["a"] });
  });
  const short = await rawHdf("short.hdf", (f) => {
    f.create_dataset({ name: "inputs", data: new Float32Array(6), shape: [2, 3] });
    f.create_dataset({ name: "seqLengths", data: new Int32Array([2, 0, 3, 0]), shape: [2, 2] });
    f.create_dataset({ name: "seqTags", data: ["a", "b"] });
  });
  const columns = await rawHdf("columns.hdf", (f) => {
    f.create_dataset({ name: "inputs", data: new Float32Array(6), shape: [2, 3] });
    f.create_dataset({ name: "seqLengths", data: new Int32Array([2]), shape: [1, 1] });
    f.create_dataset({ name: "seqTags", data: ["a"] });
  });
  await assert.rejects(
    () =>
      createDataset({
        class: "HDFDataset",
        files: ["nowhere/train.hdf", text, noLengths, short, columns],
      }),
    (e: Error) => {
      assert.ok(e instanceof TypeError);
      assert.match(
        e.message,
        /HDF file 'nowhere\/train.hdf' in 'files' does not exist .*fix the path/,
      );
      assert.match(e.message, /'\.tmp\/datasets\/errors\/notes.hdf' is not an HDF5 file/);
      assert.match(
        e.message,
        /no_lengths.hdf': has no 'seqLengths' dataset.*convert it with HDFWriter/,
      );
      assert.match(
        e.message,
        /short.hdf': the lengths of 'data' in 'seqLengths' add up to 5 frames but 'inputs' has only 2 rows/,
      );
      assert.match(
        e.message,
        /columns.hdf': 'seqLengths' has shape \[1,1\] but must be \[num_seqs, 2\]/,
      );
      return true;
    },
  );
});

Deno.test("HDFDataset: files with other dimensions or keys than the first are rejected", async () => {
  const a = await rawHdf("dim3.hdf", (f) => {
    f.create_dataset({ name: "inputs", data: new Float32Array(6), shape: [2, 3] });
    f.create_dataset({ name: "seqLengths", data: new Int32Array([2, 0]), shape: [1, 2] });
    f.create_dataset({ name: "seqTags", data: ["a"] });
  });
  const b = await rawHdf("dim2.hdf", (f) => {
    f.create_dataset({ name: "inputs", data: new Float32Array(4), shape: [2, 2] });
    f.create_dataset({ name: "seqLengths", data: new Int32Array([2, 0]), shape: [1, 2] });
    f.create_dataset({ name: "seqTags", data: ["b"] });
  });
  await assert.rejects(
    () => createDataset({ class: "HDFDataset", files: [a, b] }),
    /dim2.hdf': key 'data' has dimension 2 \(frame shape \[2\]\) but the first file has 3/,
  );
  // An inputs-only file (as RETURNN's SimpleHDFWriter writes without extras) has only 'data'.
  const ds = await createDataset({ class: "HDFDataset", files: [a] });
  await ds.initSeqOrder(1);
  assert.deepEqual(ds.dataKeys, ["data"]);
  assert.deepEqual(ds.seqLength(0), { data: 2, classes: 0 }); // RETURNN's dummy 'classes' column
  await assert.rejects(async () => {
    for await (const _ of ds.batches({ used_data_keys: ["classes"] }));
  }, /has no data key 'classes'/);
  await ds.close();
});

Deno.test("createDataset: unknown class, options and orderings, all at once", async () => {
  await assert.rejects(
    () => createDataset({ class: "HDFDatset" }),
    /unknown class 'HDFDatset'. Did you mean 'HDFDataset'\?/,
  );
  await assert.rejects(() => createDataset({ files: [] } as never), /'class' is missing/);
  await assert.rejects(
    () =>
      createDataset({
        class: "HDFDataset",
        files: ["tests/fixtures/returnn_data/pub_a.hdf"],
        seq_ordering: "sort_bin_shufle",
        partition_epochs: 2,
        chunking: "10:5:2",
        window: 3,
      }),
    (e: Error) => {
      assert.match(e.message, /4 problems/);
      assert.match(e.message, /unknown ordering. Did you mean 'sort_bin_shuffle'\?/);
      assert.match(
        e.message,
        /unknown option 'partition_epochs'.*Did you mean 'partition_epoch'\?/,
      );
      assert.match(e.message, /chunking "10:5:2": expected at most two parts/);
      assert.match(e.message, /'window' = 3 is not supported/);
      return true;
    },
  );
});
