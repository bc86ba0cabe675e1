// The CTC example learns: a short run of its network with tfjs's Adam lowers the dev label
// error rate (greedy decoding, edit distance over the reference labels).
import assert from "node:assert/strict";
import { loadTfjs } from "../trainer/tfjs_backend.ts";
import {
  buildNetwork,
  externDataFromBatch,
  resolveExternData,
  validateNetwork,
} from "../models/mod.ts";
import { evaluateNetwork, trainStep } from "../tests/_seq_train.ts";
import config from "./ctc_toy.config.ts";
import { ctcToyBatch } from "../tests/_ctc_toy.ts";

Deno.test("ctc_toy example: the network validates and a short training run lowers the dev LER", async () => {
  const { tf } = await loadTfjs("wasm");
  const problems: string[] = [];
  const ext = resolveExternData(config, problems);
  assert.deepEqual([...problems, ...validateNetwork(config.network, ext)], []);
  const net = buildNetwork(tf, config.network, { externData: ext, seed: 1 });
  const opt = tf.train.adam(0.01);
  const devData = config.dev.data;
  const dev = [0, 1].map((i) =>
    externDataFromBatch(tf, ctcToyBatch(devData.slice(i * 20, i * 20 + 20)), ext)
  );
  const evaluate = async () => {
    const s = await evaluateNetwork(tf, net, dev);
    return { score: s.dev_score, ler: (s.dev_error as Record<string, number>)["error:output"] };
  };
  const before = await evaluate();
  const train = config.train.data;
  const steps = 60;
  for (let step = 0; step < steps; step++) {
    const batch = train.slice((step * 10) % 490, (step * 10) % 490 + 10);
    await trainStep(tf, net, opt, externDataFromBatch(tf, ctcToyBatch(batch), ext));
  }
  const after = await evaluate();
  console.log(
    `ctc_toy dev LER ${before.ler.toFixed(3)} -> ${
      after.ler.toFixed(3)
    } after ${steps} steps; dev score`,
    before.score,
    "->",
    after.score,
  );
  assert.ok(after.ler < 0.5 * before.ler && after.ler < 0.4, `LER ${before.ler} -> ${after.ler}`);
  net.dispose();
});
