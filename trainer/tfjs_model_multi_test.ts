import assert from "node:assert/strict";
import { createTfjsModel } from "./tfjs_model.ts";
import { loadTfjs } from "./tfjs_backend.ts";
import type { BackendName, Batch } from "./model_types.ts";
import { both } from "../tests/_gpu.ts";
import { TWO_HEAD_TENSORS } from "./_fakes_test.ts";

// Six rows of three features; a 3-class and a 2-class output.
const x = new Float32Array([0, 1, 2, 1, 0, 1, 2, 2, 0, 0, 0, 1, 1, 1, 1, 2, 0, 1]);
const digit = new Int32Array([0, 1, 2, 1, 0, 2]);
const parity = new Int32Array([0, 1, 0, 1, 0, 0]);
const batch: Batch = { x, y: digit, size: 6, targets: { output: digit, parity } };

async function twoHeads(backend: BackendName) {
  const model = await createTfjsModel(
    { kind: "mlp", inputDim: 3, hidden: [4], outputs: { output: 3, parity: 2 } },
    { backend, seed: 3 },
  );
  assert.deepEqual(model.outputs, ["output", "parity"]);
  assert.deepEqual(model.names, TWO_HEAD_TENSORS);
  assert.deepEqual(model.shapes, [[3, 4], [4], [4, 3], [3], [4, 2], [2]]);
  const g = model.gradients(batch);
  const [total, parts] = [await g.loss(), await g.outputLosses!()];
  g.dispose();
  assert.equal(parts.length, 2);
  assert.ok(Math.abs(total - (parts[0] + parts[1])) < 1e-5, `${total} vs ${parts}`);
  // The evaluation (batches of 4 and 2) gives the same per-output cross-entropies.
  const r = await model.evaluate(x, digit, 4, { output: digit, parity });
  assert.deepEqual(Object.keys(r.outputs!), ["output", "parity"]);
  assert.ok(Math.abs(r.outputs!.output.score - parts[0]) < 1e-5);
  assert.ok(Math.abs(r.outputs!.parity.score - parts[1]) < 1e-5);
  assert.ok(Math.abs(r.score - total) < 1e-5);
  assert.equal(r.error, r.outputs!.output.error);
  for (const o of Object.values(r.outputs!)) assert.ok(o.error >= 0 && o.error <= 1);
  model.dispose();
}

both("tfjs mlp: two heads, loss = sum of the heads' cross-entropies", twoHeads);

Deno.test("tfjs mlp (cpu): the trunk starts as the one-head model's, heads follow", async () => {
  const one = await createTfjsModel(
    { kind: "mlp", inputDim: 3, hidden: [4], numClasses: 3 },
    { backend: "cpu", seed: 3 },
  );
  const two = await createTfjsModel(
    { kind: "mlp", inputDim: 3, hidden: [4], outputs: { output: 3, parity: 2 } },
    { backend: "cpu", seed: 3 },
  );
  const [a, b] = [await one.read(), await two.read()];
  assert.deepEqual(b.slice(0, 4), a); // same draws: trunk, then the first head
  one.dispose();
  two.dispose();
});

Deno.test("tfjs mlp (cpu): missing labels and bad outputs name the fix", async () => {
  const model = await createTfjsModel(
    { kind: "mlp", inputDim: 3, hidden: [], outputs: { output: 3, parity: 2 } },
    { backend: "cpu" },
  );
  assert.deepEqual(model.names, ["head_output/kernel", "head_output/bias", ...[
    "head_parity/kernel",
    "head_parity/bias",
  ]]);
  assert.throws(
    () => model.gradients({ x, y: digit, size: 6, targets: { output: digit } }),
    /no labels for 'parity'.*targets/,
  );
  assert.throws(
    () => model.gradients({ x, y: digit, size: 6, targets: { output: digit, parity: digit } }),
    /label 2 for output 'parity': the output has 2 classes/,
  );
  model.dispose();
  await assert.rejects(
    () => createTfjsModel({ kind: "mlp", inputDim: 3, hidden: [], outputs: { "a:b": 2 } }),
    /output name "a:b" must be letters/,
  );
  await assert.rejects(
    () => createTfjsModel({ kind: "mlp", inputDim: 3, hidden: [], outputs: { parity: 0 } }),
    /'outputs.parity' must be a positive integer/,
  );
  await assert.rejects(
    () => createTfjsModel({ kind: "mlp", inputDim: 3, hidden: [], outputs: {} }),
    /'outputs' must map output names/,
  );
});

Deno.test("tfjs LayersModel (cpu): several outputs are named after the output layers", async () => {
  const { tf } = await loadTfjs("cpu");
  const input = tf.input({ shape: [3] });
  const h = tf.layers.dense({ units: 4, activation: "relu", name: "trunk" }).apply(
    input,
  ) as import("@tensorflow/tfjs").SymbolicTensor;
  const out = tf.layers.dense({ units: 3, activation: "softmax", name: "output" }).apply(h);
  const par = tf.layers.dense({ units: 2, name: "parity" }).apply(h); // logits
  const layers = tf.model({
    inputs: input,
    outputs: [out, par] as import("@tensorflow/tfjs").SymbolicTensor[],
  });
  const model = await createTfjsModel(layers, { backend: "cpu" });
  assert.deepEqual(model.outputs, ["output", "parity"]);
  assert.equal(model.names.length, 6);
  const g = model.gradients(batch);
  const [total, parts] = [await g.loss(), await g.outputLosses!()];
  g.dispose();
  assert.ok(Math.abs(total - parts[0] - parts[1]) < 1e-5);
  const r = await model.evaluate(x, digit, 6, batch.targets);
  // Softmax output read as probabilities, logits output through logSoftmax: both match.
  assert.ok(Math.abs(r.outputs!.output.score - parts[0]) < 1e-5);
  assert.ok(Math.abs(r.outputs!.parity.score - parts[1]) < 1e-5);
  model.dispose();
  layers.dispose();
});
