import assert from "node:assert/strict";
import { Task12AXDataset } from "./task12ax_dataset.ts";

const fixture = JSON.parse(
  await Deno.readTextFile(
    new URL("../tests/fixtures/returnn_task12ax/task12ax.json", import.meta.url),
  ),
) as {
  cases: { dataset: Record<string, unknown>; epochs: Record<string, [string, string, string][]> }[];
};

Deno.test("Task12AXDataset generates RETURNN's sequences (same seed, epoch, ordering)", async () => {
  for (const c of fixture.cases) {
    const ds = Task12AXDataset.create(c.dataset);
    for (const [epoch, seqs] of Object.entries(c.epochs)) {
      await ds.initSeqOrder(Number(epoch));
      const got: [string, string, string][] = [];
      for (let i = 0; i < ds.numSeqs; i++) {
        const x = await ds.getData(i, "data");
        const y = await ds.getData(i, "classes");
        let inp = "";
        for (let t = 0; t < y.length; t++) {
          inp += "123ABCXYZ"[x.subarray(t * 9, t * 9 + 9).indexOf(1)];
        }
        got.push([ds.tag(i), inp, Array.from(y, (v) => "LR"[v]).join("")]);
      }
      assert.deepEqual(got, seqs, `${JSON.stringify(c.dataset)} epoch ${epoch}`);
    }
  }
});

Deno.test("Task12AXDataset batches, and rejects what it cannot do", async () => {
  const ds = Task12AXDataset.create({ class: "Task12AXDataset", num_seqs: 10, chunking: "20:20" });
  await ds.initSeqOrder(1);
  const batches = await Array.fromAsync(ds.batches({ batch_size: 100, max_seqs: 4 }));
  assert.ok(batches.length > 0);
  for (const b of batches) {
    assert.ok(b.get("data").shape[1] <= 20);
    assert.equal(b.get("data").shape[2], 9);
  }
  assert.throws(
    () => Task12AXDataset.create({ class: "Task12AXDataset" }),
    /'num_seqs' must be a positive integer/,
  );
  assert.throws(
    () =>
      Task12AXDataset.create({
        class: "Task12AXDataset",
        num_seqs: 5,
        seq_ordering: "laplace:3",
        num_seq: 3,
      }),
    /Did you mean 'num_seqs'[\s\S]*needs sequence lengths/,
  );
});
