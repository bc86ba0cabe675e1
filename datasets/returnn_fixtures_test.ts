import assert from "node:assert/strict";
import { createDataset } from "./create_dataset.ts";
import type { BatchingOptions } from "./batching.ts";
import { assertSameBatches, batchRows, type Row } from "./_test_util.ts";

const DIR = "tests/fixtures/returnn_data/";
interface Case {
  id: string;
  files: string[];
  dataset: Record<string, unknown>;
  batching: BatchingOptions;
  epochs: Record<string, Row[][]>;
}
const cases = (await Deno.readTextFile(`${DIR}pub_batch_cases.jsonl`)).trim().split("\n")
  .map((l) => JSON.parse(l) as Case);

Deno.test("all 30 RETURNN batch cases: order, slices and values through createDataset", async (t) => {
  assert.equal(cases.length, 30);
  for (const c of cases) {
    await t.step(c.id, async () => {
      const ds = await createDataset({ ...c.dataset, files: c.files.map((f) => DIR + f) });
      try {
        for (const [epoch, expected] of Object.entries(c.epochs)) {
          await ds.initSeqOrder(Number(epoch));
          assertSameBatches(await batchRows(ds, c.batching), expected, `${c.id} epoch ${epoch}`);
        }
      } finally {
        await ds.close();
      }
    });
  }
});

Deno.test("RETURNN's MetaDataset cases (HDF features + alignment joined by tag)", async () => {
  const fixture = JSON.parse(
    await Deno.readTextFile("tests/fixtures/returnn_meta/meta_cases.json"),
  ) as {
    cases: {
      dataset: Record<string, unknown>;
      batching: BatchingOptions;
      epochs: Record<string, Row[][]>;
    }[];
  };
  assert.equal(fixture.cases.length, 4);
  for (const [i, c] of fixture.cases.entries()) {
    const ds = await createDataset(c.dataset);
    try {
      for (const [epoch, expected] of Object.entries(c.epochs)) {
        await ds.initSeqOrder(Number(epoch));
        assertSameBatches(
          await batchRows(ds, c.batching),
          expected,
          `meta case ${i} epoch ${epoch}`,
        );
      }
    } finally {
      await ds.close();
    }
  }
});
