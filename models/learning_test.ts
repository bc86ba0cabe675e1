// The 12AX LSTM network of RETURNN's demo learns: a plain batch loop with tfjs's Adam (0.01)
// on generated 12AX sequences lowers the dev frame error rate well below its start.
import assert from "node:assert/strict";
import { loadTfjs } from "../trainer/tfjs_backend.ts";
import { buildNetwork, externDataFromBatch } from "./mod.ts";
import { evaluateNetwork, trainStep } from "../tests/_seq_train.ts";
import { twelveAxBatch } from "../tests/_twelve_ax.ts";
import { Rng } from "../trainer/rng.ts";
import lstmDemo from "../examples/demo-tf-native-lstm.12ax.config.ts";

const STEPS = 150;
const EXT = { data: { dim: 9, sparse: false }, classes: { dim: 2, sparse: true } };

Deno.test("the 12AX LSTM network learns: dev frame error falls", async () => {
  const { tf } = await loadTfjs("wasm");
  const net = buildNetwork(tf, lstmDemo.network, { externData: EXT, seed: 1 });
  const opt = tf.train.adam(0.01);
  const dev = [0, 1, 2].map((i) =>
    externDataFromBatch(tf, twelveAxBatch(new Rng(100 + i), 10, 10, 30), EXT)
  );
  const devFer = async () =>
    ((await evaluateNetwork(tf, net, dev)).dev_error as Record<string, number>)["error:output"];
  const before = await devFer();
  // Always answering L is wrong on every R frame: the rate to beat.
  const rFrames = dev.reduce(
    (a, d) =>
      a + d.classes.host!.filter((v, i) =>
        v === 1 &&
        i % d.classes.values.shape[1]! <
          d.classes.seqLens[Math.floor(i / d.classes.values.shape[1]!)]
      ).length,
    0,
  );
  const frames = dev.reduce((a, d) => a + d.classes.seqLens.reduce((x, y) => x + y, 0), 0);
  const baseline = rFrames / frames;
  const rng = new Rng(7);
  for (let step = 0; step < STEPS; step++) {
    await trainStep(tf, net, opt, externDataFromBatch(tf, twelveAxBatch(rng, 10, 10, 20), EXT));
  }
  const after = await devFer();
  console.log(
    `12AX dev FER: ${before.toFixed(4)} before, ${after.toFixed(4)} after ${STEPS} Adam steps ` +
      `(all-L answers: ${baseline.toFixed(4)})`,
  );
  assert.ok(after < baseline / 2 && after < before / 4, `dev FER ${before} -> ${after}`);
  net.dispose();
});
