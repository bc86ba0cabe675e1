import assert from "node:assert/strict";
import { loadTfjs } from "../trainer/tfjs_backend.ts";
import {
  buildNetwork,
  externDataFromBatch,
  modelParameters,
  resolveExternData,
  ScoreAccumulator,
  stepGradients,
  validateModelFunctions,
  validateNetwork,
} from "../models/mod.ts";
import lstmDemo from "./demo-tf-native-lstm.12ax.config.ts";
import convDemo from "./demo-torch.config.ts";
import { twelveAxBatch } from "../tests/_twelve_ax.ts";
import { Rng } from "../trainer/rng.ts";

const { tf } = await loadTfjs("cpu");

Deno.test("demo-tf-native-lstm.12ax: the network validates (also through JSON) and has 822 parameters", () => {
  const problems: string[] = [];
  const ext = resolveExternData(lstmDemo, problems);
  assert.deepEqual(problems, []);
  const network = JSON.parse(JSON.stringify(lstmDemo.network));
  assert.deepEqual(validateNetwork(network, ext), []);
  const net = buildNetwork(tf, network, { externData: ext });
  assert.equal(net.numTrainableParams, 822);
  net.dispose();
});

Deno.test("demo-torch: get_model has 28402 parameters; train_step marks ce and fer as RETURNN's torch engine", async () => {
  assert.deepEqual(validateModelFunctions(convDemo), []);
  const problems: string[] = [];
  const ext = resolveExternData(convDemo, problems);
  assert.deepEqual(problems, []);
  assert.deepEqual(ext, { data: { dim: 9, sparse: false }, classes: { dim: 2, sparse: true } });
  const model = convDemo.get_model({ epoch: 1, step: 0, tf });
  const params = modelParameters(model);
  assert.equal(params.variables.reduce((a, v) => a + v.size, 0), 28402);
  assert.deepEqual(params.names, [
    "conv1/W",
    "conv1/b",
    "conv2/W",
    "conv2/b",
    "conv3/W",
    "conv3/b",
  ]);
  const data = externDataFromBatch(tf, twelveAxBatch(new Rng(1), 3, 10, 20), ext);
  const acc = new ScoreAccumulator(tf, "torch");
  const r = stepGradients(
    tf,
    params.variables,
    (run_ctx) => convDemo.train_step({ model, extern_data: data, run_ctx, tf, train: true }),
  );
  acc.add(r.ctx);
  const frames = data.data.seqLens.reduce((a, b) => a + b, 0);
  const v = await r.ctx.read();
  assert.equal(v.get("ce")!.invNorm, frames);
  assert.equal(v.get("fer")!.invNorm, frames);
  assert.ok(Math.abs(r.loss.dataSync()[0] - v.get("ce")!.loss) < 1e-4); // fer is not in the gradient
  assert.deepEqual(Object.keys(await acc.scores("train")), ["train_loss_ce", "train_loss_fer"]);
  assert.equal(r.grads.length, 6);
  r.ctx.dispose();
  acc.reset();
  tf.dispose(params.variables);
});
