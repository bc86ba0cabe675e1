import assert from "node:assert/strict";
import { loadTfjs } from "./tfjs_backend.ts";
import { type FitLearningRateControl, fitLogsToScores, newbobForFit } from "./tfjs_fit.ts";
import { createOptimizer } from "../optimizers/mod.ts";
import { gpuTest } from "../tests/_gpu.ts";
import { acquireGpu } from "../gpu/mod.ts";
import type * as tfjs from "@tensorflow/tfjs";

type Tf = Awaited<ReturnType<typeof loadTfjs>>["tf"];

function tinyModel(tf: Tf): tfjs.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [3], units: 4, activation: "tanh" }),
      tf.layers.dense({ units: 2 }),
    ],
  });
}

function tinyData(tf: Tf): [tfjs.Tensor2D, tfjs.Tensor2D] {
  const x = tf.tensor2d([[0, 1, 0.5], [1, 0, -0.5], [0.2, 0.8, 0], [0.9, 0.1, 0.3]]);
  const y = tf.tensor2d([[0, 1], [1, 0], [0, 1], [1, 0]]);
  return [x, y];
}

Deno.test("fitLogsToScores: RETURNN score names", () => {
  assert.deepEqual(fitLogsToScores({ loss: 0.5, val_loss: 0.7, acc: 0.75, val_acc: 0.5, mse: 2 }), {
    train_score: 0.5,
    dev_score: 0.7,
    train_error: 0.25,
    dev_error: 0.5,
    train_mse: 2,
  });
});

Deno.test("newbobForFit (cpu): one fit step equals newbob's Adam on tfjs' gradients", async () => {
  const { tf } = await loadTfjs("cpu");
  const model = tinyModel(tf);
  const [x, y] = tinyData(tf);
  const loss = (t: tfjs.Tensor, p: tfjs.Tensor) => tf.losses.softmaxCrossEntropy(t, p);
  // Reference: tfjs gradients of the same loss, newbob Adam on the host.
  const vars = model.trainableWeights.map((w) => w.read() as tfjs.Variable);
  const init = vars.map((v) => Float32Array.from(v.dataSync()));
  const { grads } = tf.variableGrads(
    () => loss(y, model.apply(x) as tfjs.Tensor) as tfjs.Scalar,
    vars,
  );
  const ref = await createOptimizer({ class: "adam" }, { backend: "cpu" });
  const refState = await ref.init(init.map((a) => a.slice()));
  await ref.step(refState, vars.map((v) => Float32Array.from(grads[v.name].dataSync())), {
    learningRate: 0.05,
  });
  const expected = await ref.read(refState);
  tf.dispose(Object.values(grads));

  const fit = await newbobForFit(model, { optimizer: { class: "adam" }, learningRate: 0.05 });
  assert.equal(fit.backend, "wasm"); // the engine on its wasm backend (bitwise the cpu reference)
  model.compile({ optimizer: fit.optimizer, loss });
  await model.fit(x, y, {
    epochs: 1,
    batchSize: 4,
    shuffle: false,
    callbacks: fit.callbacks,
    verbose: 0,
  });
  vars.forEach((v, i) => {
    const got = v.dataSync();
    expected[i].forEach((e, k) => assert.ok(Math.abs(got[k] - e) < 1e-6, `${v.name}[${k}]`));
    assert.ok(expected[i].some((e, k) => e !== init[i][k]), "the step changed the weights");
  });
  assert.equal((await fit.exportState()).config.class, "adam");
  fit.dispose();
  tf.dispose([x, y]);
  model.dispose();
});

Deno.test("newbobForFit (cpu): the control sets each epoch's rate and gets its scores", async () => {
  const { tf } = await loadTfjs("cpu");
  const model = tinyModel(tf);
  const [x, y] = tinyData(tf);
  const calls: string[] = [];
  const rates = [0.05, 0, 0.05];
  const control: FitLearningRateControl = {
    learningRateForEpoch: (e) => rates[e - 1],
    setEpochError: (e, s) => {
      calls.push(`${e}:${Object.keys(s).sort().join(",")}`);
    },
    save: () => {
      calls.push("save");
      return Promise.resolve();
    },
  };
  const fit = await newbobForFit(model, {
    optimizer: { class: "sgd" },
    learningRateControl: control,
  });
  assert.equal(fit.learningRate(), 0.05);
  model.compile({ optimizer: fit.optimizer, loss: "meanSquaredError", metrics: ["accuracy"] });
  const snapshots: Float32Array[] = [];
  await model.fit(x, y, {
    epochs: 3,
    batchSize: 2,
    validationData: [x, y],
    verbose: 0,
    callbacks: [
      fit.callbacks,
      {
        onEpochEnd: () => {
          snapshots.push(Float32Array.from(model.trainableWeights[0].read().dataSync()));
          return Promise.resolve();
        },
      },
    ] as never,
  });
  assert.deepEqual(calls, [
    "1:dev_error,dev_score,train_error,train_score",
    "save",
    "2:dev_error,dev_score,train_error,train_score",
    "save",
    "3:dev_error,dev_score,train_error,train_score",
    "save",
  ]);
  // Epoch 2 had learning rate 0: plain SGD leaves the weights unchanged.
  assert.deepEqual(snapshots[1], snapshots[0]);
  assert.notDeepEqual(snapshots[2], snapshots[1]);
  fit.dispose();
  tf.dispose([x, y]);
  model.dispose();
});

Deno.test("newbobForFit (cpu): newbob learning-rate control from a config dict", async () => {
  const { tf } = await loadTfjs("cpu");
  const model = tinyModel(tf);
  const [x, y] = tinyData(tf);
  const fit = await newbobForFit(model, {
    optimizer: { class: "adam" },
    learningRateControl: { learning_rate: 0.01, learning_rate_control: "newbob" },
    learningRateFile: null,
  });
  model.compile({ optimizer: fit.optimizer, loss: "categoricalCrossentropy" });
  const h = await model.fit(x, y, {
    epochs: 3,
    batchSize: 4,
    callbacks: fit.callbacks,
    verbose: 0,
  });
  assert.equal(h.history.loss.length, 3);
  assert.equal(fit.control!.learningRateForEpoch(1), 0.01);
  assert.ok(fit.control!.learningRateForEpoch(4) <= 0.01);
  fit.dispose();
  tf.dispose([x, y]);
  model.dispose();
});

gpuTest("newbobForFit (webgpu): Adam updates the variables' buffers in place", async () => {
  const { device } = await acquireGpu();
  const { tf } = await loadTfjs("webgpu", { device });
  const model = tinyModel(tf);
  const [x, y] = tinyData(tf);
  const fit = await newbobForFit(model, { optimizer: { class: "adam" }, learningRate: 0.05 });
  assert.equal(fit.backend, "webgpu");
  model.compile({ optimizer: fit.optimizer, loss: (t, p) => tf.losses.softmaxCrossEntropy(t, p) });
  const h = await model.fit(x, y, {
    epochs: 8,
    batchSize: 2,
    callbacks: fit.callbacks,
    verbose: 0,
  });
  const losses = h.history.loss as number[];
  assert.ok(losses[7] < losses[0], `loss ${losses}`);
  const fromOptimizer = await fit.newbob.optimizer.read(fit.newbob.state);
  const weights = await Promise.all(model.trainableWeights.map((w) => w.read().data()));
  weights.forEach((w, i) => assert.deepEqual(Array.from(w), Array.from(fromOptimizer[i])));
  fit.dispose();
  tf.dispose([x, y]);
  model.dispose();
  await loadTfjs("cpu");
});
