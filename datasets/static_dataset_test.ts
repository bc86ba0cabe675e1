import assert from "node:assert/strict";
import { createDataset } from "./create_dataset.ts";
import { checkStaticDict } from "./static_dataset.ts";

Deno.test("StaticDataset: RETURNN's keys (sorted, data first), dims, tags, sorting by the first key", async () => {
  const ds = await createDataset({
    class: "StaticDataset",
    data: [
      { zeta: [1, 2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]), alpha: [0] },
      { zeta: [4], data: new Float32Array([7, 8]), alpha: [2, 1] },
    ],
    output_dim: { data: [2, 2], zeta: 5 },
    seq_ordering: "sorted",
  });
  assert.deepEqual(ds.dataKeys, ["data", "alpha", "zeta"]);
  assert.deepEqual(ds.keyInfo("zeta"), { dim: 5, sparse: true, dtype: "int32", frameShape: [] });
  assert.equal(ds.keyInfo("alpha").dim, 3); // not given: largest index + 1
  await ds.initSeqOrder(1);
  assert.deepEqual([ds.tag(0), ds.tag(1)], ["seq-1", "seq-0"]); // data lengths 1 and 3
  const [b] = await Array.fromAsync(ds.batches({ batch_size: 100 }));
  assert.deepEqual(b.get("data").data, new Float32Array([7, 8, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6]));
  assert.deepEqual(b.get("zeta").seqLens, new Int32Array([1, 3]));
});

Deno.test("StaticDataset: every problem of the dict at once", () => {
  const problems = checkStaticDict({
    class: "StaticDataset",
    data: [{ data: [[1, 2]], classes: [0] }, { data: [[1]], classes: [-1], extra: [1] }],
    output_dim: { data: [2, 2], phones: [3, 1] },
    seq_orderin: "sorted",
  });
  const text = problems.join("\n");
  assert.match(text, /Did you mean 'seq_ordering'/);
  assert.match(text, /output_dim names 'phones'/);
  assert.match(text, /data\[1\]\['data'\] has 1 features per frame, expected 2/);
  assert.match(text, /data\[1\]\['classes'\] must be class indices/);
  assert.equal(checkStaticDict({ class: "StaticDataset", data: [] }).length, 1);
});
