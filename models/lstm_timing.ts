/**
 * Timing script: seconds per training step (forward, backward, Adam) of the 12AX LSTM network
 * (10 units, batch 10, 12AX sequences of 10-100 frames as RETURNN's demo) with newbob's
 * `lstmSequence` against the same LSTM as tfjs's own `tf.layers.lstm` (masked). For the fused
 * kernel of a later issue: run `deno run --allow-read=. --allow-env models/lstm_timing.ts
 * [backend]`.
 *
 * @module
 */

import { loadTfjs } from "../trainer/tfjs_backend.ts";
import type { BackendName } from "../trainer/model_types.ts";
import { buildNetwork, externDataFromBatch } from "./mod.ts";
import { trainStep } from "../tests/_seq_train.ts";
import { twelveAxBatch } from "../tests/_twelve_ax.ts";
import { Rng } from "../trainer/rng.ts";

/** Median seconds per step of both implementations on a backend. */
export async function timeLstmSteps(
  backend: BackendName,
  steps = 20,
): Promise<{ newbob: number; tfLayers: number }> {
  const { tf } = await loadTfjs(backend);
  const EXT = { data: { dim: 9, sparse: false }, classes: { dim: 2, sparse: true } };
  const batches = Array.from({ length: steps }, (_, i) => twelveAxBatch(new Rng(i), 10, 10, 100));
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];

  const net = buildNetwork(tf, {
    fw0: { class: "rec", unit: "nativelstm", n_out: 10, from: "data" },
    output: { class: "softmax", loss: "ce", from: "fw0" },
  }, { externData: EXT });
  const opt = tf.train.adam(0.01);
  const a: number[] = [];
  for (const b of batches) {
    const d = externDataFromBatch(tf, b, EXT);
    const t0 = performance.now();
    await trainStep(tf, net, opt, d);
    a.push((performance.now() - t0) / 1000);
  }
  net.dispose();

  const model = tf.sequential({
    layers: [
      tf.layers.masking({ inputShape: [null, 9], maskValue: 0 }),
      tf.layers.lstm({ units: 10, returnSequences: true }),
      tf.layers.dense({ units: 2 }),
    ],
  });
  const opt2 = tf.train.adam(0.01);
  const b2: number[] = [];
  for (const b of batches) {
    const [B, T] = b.data.shape;
    const x = tf.tensor3d(b.data.data as Float32Array, [B, T, 9]);
    const y = tf.oneHot(tf.tensor2d(b.classes.data as Int32Array, [B, T], "int32"), 2);
    const t0 = performance.now();
    const loss = opt2.minimize(
      () => tf.losses.softmaxCrossEntropy(y, model.apply(x) as never) as never,
      true,
    );
    await loss!.data();
    b2.push((performance.now() - t0) / 1000);
    tf.dispose([x, y, loss!]);
  }
  model.dispose();
  return { newbob: median(a), tfLayers: median(b2) };
}

if (import.meta.main) {
  const backend = (Deno.args[0] ?? "wasm") as BackendName;
  const r = await timeLstmSteps(backend);
  console.log(
    `12AX LSTM (10 units, batch 10, T 10-100) on ${backend}: newbob lstmSequence ` +
      `${(r.newbob * 1000).toFixed(1)} ms/step, tf.layers.lstm ${
        (r.tfLayers * 1000).toFixed(1)
      } ms/step`,
  );
}
