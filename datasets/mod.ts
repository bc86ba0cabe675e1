/**
 * Sequence data as RETURNN feeds it: RETURNN's dataset dicts (`HDFDataset`, `MetaDataset`,
 * `Task12AXDataset`, `StaticDataset`, plus `MemoryDataset` and `DigitsDataset`), its sequence orderings (numpy's
 * RandomState, bit for bit), `partition_epoch`, chunking and batch building, and HDF files in
 * RETURNN's layout (read streamed, and written). No TensorFlow.js; h5wasm is loaded only when an
 * HDF file is opened.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createDataset } from "./mod.ts";
 *
 * const ds = await createDataset({
 *   class: "HDFDataset",
 *   files: ["tests/fixtures/returnn_data/pub_a.hdf", "tests/fixtures/returnn_data/pub_b.hdf"],
 *   seq_ordering: "laplace:3",
 *   partition_epoch: 2,
 *   chunking: "20:10",
 * });
 * await ds.initSeqOrder(1);
 * for await (const batch of ds.batches({ batch_size: 500, max_seqs: 7, max_seq_length: { classes: 30 } })) {
 *   const { data, shape, seqLens } = batch.get("data");
 *   assert.equal(shape[0], batch.slices.length);
 *   assert.equal(data.length, shape[0] * shape[1] * shape[2]);
 *   assert.ok(seqLens.every((n) => n <= 20));
 * }
 * await ds.close();
 * ```
 *
 * @module
 */

export * from "./batching.ts";
export * from "./chunking.ts";
export * from "./common_options.ts";
export * from "./corpus_dataset.ts";
export * from "./create_dataset.ts";
export * from "./data_config.ts";
export * from "./dataset.ts";
export * from "./digits_dataset.ts";
export * from "./hdf_dataset.ts";
export * from "./hdf_writer.ts";
export * from "./memory_dataset.ts";
export * from "./meta_dataset.ts";
export * from "./numbers_dict.ts";
export * from "./numpy_random.ts";
export * from "./seq_order.ts";
export * from "./static_dataset.ts";
export * from "./task12ax_dataset.ts";
export { type IoStats, wasmHeapBytes } from "./_h5.ts";
