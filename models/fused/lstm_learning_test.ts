// The 12AX LSTM network of RETURNN's demo learns the same with the fused LSTM as with the
// reference composition: same initial weights, batches and dropout draws, tfjs Adam 0.01;
// the dev frame error rates after training agree (float32 rounding differs, so the runs drift
// apart a little) and both beat the all-L baseline by far. The fused op also trains on cpu and
// webgpu.
import assert from "node:assert/strict";
import { loadTfjs } from "../../trainer/tfjs_backend.ts";
import { gpuTest } from "../../tests/_gpu.ts";
import type { BackendName } from "../../trainer/model_types.ts";
import { buildNetwork, externDataFromBatch } from "../mod.ts";
import { type LstmImplementation, setLstmImplementation } from "../lstm_cell.ts";
import { evaluateNetwork, trainStep } from "../../tests/_seq_train.ts";
import { twelveAxBatch } from "../../tests/_twelve_ax.ts";
import { Rng } from "../../trainer/rng.ts";
import lstmDemo from "../../examples/demo-tf-native-lstm.12ax.config.ts";

const STEPS = 150;
const EXT = { data: { dim: 9, sparse: false }, classes: { dim: 2, sparse: true } };

async function train(backend: BackendName, impl: LstmImplementation): Promise<number> {
  const { tf } = await loadTfjs(backend);
  const before = setLstmImplementation(impl);
  try {
    const net = buildNetwork(tf, lstmDemo.network, { externData: EXT, seed: 1 });
    const opt = tf.train.adam(0.01);
    const dev = [0, 1, 2].map((i) =>
      externDataFromBatch(tf, twelveAxBatch(new Rng(100 + i), 10, 10, 30), EXT)
    );
    const rng = new Rng(7);
    for (let step = 0; step < STEPS; step++) {
      const batch = externDataFromBatch(tf, twelveAxBatch(rng, 10, 10, 20), EXT);
      await trainStep(tf, net, opt, batch);
    }
    const s = await evaluateNetwork(tf, net, dev);
    net.dispose();
    opt.dispose();
    return (s.dev_error as Record<string, number>)["error:output"];
  } finally {
    setLstmImplementation(before);
  }
}

Deno.test("12AX: the fused LSTM reaches the reference composition's dev FER (wasm)", async () => {
  const fused = await train("wasm", "fused");
  const reference = await train("wasm", "reference");
  console.log(`12AX dev FER after ${STEPS} steps: fused ${fused}, reference ${reference}`);
  assert.ok(fused < 0.1 && reference < 0.1, `fused ${fused}, reference ${reference}`);
  assert.ok(Math.abs(fused - reference) <= 0.02, `fused ${fused}, reference ${reference}`);
});

Deno.test("12AX: the fused LSTM learns on cpu", async () => {
  const fer = await train("cpu", "fused");
  assert.ok(fer < 0.1, `dev FER ${fer}`);
});

gpuTest("12AX: the fused LSTM learns on webgpu", async () => {
  const fer = await train("webgpu", "fused");
  assert.ok(fer < 0.1, `dev FER ${fer}`);
});
