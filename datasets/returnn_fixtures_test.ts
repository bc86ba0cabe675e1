import assert from "node:assert/strict";
import { createDataset } from "./create_dataset.ts";

const DIR = "tests/fixtures/returnn_data/";
interface Case {
  id: string;
  files: string[];
  dataset: Record<string, unknown>;
  batching: Record<string, unknown>;
  epochs: Record<
    string,
    [string, Record<string, number>, Record<string, number>, Record<string, number>][][]
  >;
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
          const got = [];
          for await (const batch of ds.batches(c.batching, () => {})) {
            const rows = [];
            for (const [i, s] of batch.slices.entries()) {
              const sums: Record<string, number> = {};
              for (const key of batch.keys) {
                const d = batch.get(key);
                const frame = d.shape.slice(2).reduce((a, b) => a * b, 1);
                const len = d.seqLens[i];
                assert.equal(len, s.end[key] - s.start[key]);
                let sum = 0;
                const base = i * d.shape[1] * frame;
                for (let j = 0; j < len * frame; j++) sum += d.data[base + j];
                for (let j = len * frame; j < d.shape[1] * frame; j++) {
                  assert.equal(d.data[base + j], 0);
                }
                sums[key] = sum;
              }
              rows.push([s.seqTag, s.start, s.end, sums]);
            }
            got.push(rows);
          }
          assert.equal(got.length, expected.length, `${c.id} epoch ${epoch}: number of batches`);
          got.forEach((b, bi) => {
            assert.deepEqual(
              b.map((r) => r.slice(0, 3)),
              expected[bi].map((r) => r.slice(0, 3)),
              `${c.id} epoch ${epoch} batch ${bi}`,
            );
            b.forEach((r, ri) => {
              for (const [k, v] of Object.entries(expected[bi][ri][3])) {
                const g = (r[3] as Record<string, number>)[k];
                assert.ok(
                  Math.abs(g - v) <= 1e-9 * Math.max(1, Math.abs(v)),
                  `${c.id} e${epoch} b${bi} r${ri} ${k}: ${g} vs ${v}`,
                );
              }
            });
          });
        }
      } finally {
        await ds.close();
      }
    });
  }
});
