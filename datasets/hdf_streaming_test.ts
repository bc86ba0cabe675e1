import assert from "node:assert/strict";
import { HDFDataset } from "./hdf_dataset.ts";
import { HDFWriter } from "./hdf_writer.ts";
import { wasmHeapBytes } from "./_h5.ts";

const N = 3000;
const F = 40;

Deno.test("HDFDataset streams: a file of many sequences is read as batches need it", async () => {
  await Deno.mkdir(".tmp/datasets", { recursive: true });
  const path = ".tmp/datasets/streaming.hdf";
  const w = await HDFWriter.create(path, {
    data: { dim: F },
    targets: { classes: { dim: 10, sparse: true } },
    overwrite: true,
  });
  for (let i = 0; i < N; i++) {
    const t = 20 + (i * 7919) % 60;
    const x = new Float32Array(t * F);
    for (let j = 0; j < x.length; j++) x[j] = (i + j) % 13;
    await w.insert(`s-${i}`, { data: x, classes: new Int32Array(t).fill(i % 10) });
  }
  await w.close();
  const size = (await Deno.stat(path)).size;
  assert.ok(size > 20e6, `file of ${size} bytes`);

  const heapBefore = await wasmHeapBytes();
  for (const ordering of ["default", "random"]) {
    const ds = await HDFDataset.open({
      class: "HDFDataset",
      files: [path],
      seq_ordering: ordering,
    });
    // Opening reads the layout, the lengths and the tags only.
    const atOpen = ds.ioStats.bytesRead;
    assert.ok(atOpen < size * 0.01, `open read ${atOpen} of ${size} bytes`);
    await ds.initSeqOrder(1);
    let batches = 0;
    let frames = 0;
    for await (const b of ds.batches({ batch_size: 4000 })) {
      batches++;
      frames += b.get("data").seqLens.reduce((a, c) => a + c, 0);
      if (batches === 3) {
        const read = ds.ioStats.bytesRead;
        assert.ok(read < size * 0.2, `${ordering}: 3 batches read ${read} of ${size} bytes`);
      }
    }
    assert.equal(
      frames,
      (await Array.fromAsync({ length: N }, (_, i) => 20 + (i * 7919) % 60)).reduce(
        (a, c) => a + c,
        0,
      ),
    );
    const read = ds.ioStats.bytesRead;
    // File order reads the file about once (whole chunks, read ahead); a random order costs
    // the chunks each sequence touches (a few times the file for chunks of about a sequence).
    assert.ok(
      read < size * (ordering === "default" ? 1.2 : 4),
      `${ordering}: epoch read ${read} of ${size}`,
    );
    await ds.close();
  }
  // What HDF5 held (caches included) did not grow with the file: the wasm memory stayed put.
  const heapAfter = await wasmHeapBytes();
  assert.ok(heapAfter <= heapBefore + (4 << 20), `wasm heap ${heapBefore} -> ${heapAfter}`);
  assert.ok(heapAfter < size, `wasm heap ${heapAfter} for a file of ${size}`);
  await Deno.remove(path);
});
