// Network dicts and model functions get the fused LSTM without asking: every `rec` LSTM unit
// (`nativelstm2` and friends, both directions) dispatches the fused kernels on cpu and wasm
// (webgpu where an adapter is), with RETURNN's parameters unchanged (822 for the 12AX demo),
// and its loss and gradients equal those of the same network on the reference composition.
// A model function's `lstmSequence` call takes the fused kernels as well.
import assert from "node:assert/strict";
import { loadTfjs } from "../../trainer/tfjs_backend.ts";
import { gpuTest } from "../../tests/_gpu.ts";
import type { BackendName } from "../../trainer/model_types.ts";
import { buildNetwork, externDataFromBatch, stepGradients } from "../mod.ts";
import { LSTM_UNITS } from "../layers/rec.ts";
import { lstmSequence, setLstmImplementation } from "../lstm_cell.ts";
import { twelveAxBatch } from "../../tests/_twelve_ax.ts";
import { Rng } from "../../trainer/rng.ts";
import lstmDemo from "../../examples/demo-tf-native-lstm.12ax.config.ts";
import type { Tf, tfjs } from "../_tf.ts";
import { LSTM_BACKWARD, LSTM_FORWARD } from "./lstm_op.ts";

const EXT = { data: { dim: 9, sparse: false }, classes: { dim: 2, sparse: true } };

/** Kernel names one call dispatches. */
async function kernels(tf: Tf, f: () => Promise<void>): Promise<Set<string>> {
  const info = await tf.profile(f);
  return new Set(info.kernels.map((k) => k.name));
}

/** The loss and the gradients of a network dict's step on one 12AX batch. */
async function netStep(tf: Tf, network: Record<string, unknown>, seed: number) {
  const net = buildNetwork(tf, network, { externData: EXT, seed });
  const d = externDataFromBatch(tf, twelveAxBatch(new Rng(seed), 4, 3, 12), EXT);
  const out = { loss: 0, grads: [] as Float32Array[], params: net.numTrainableParams };
  const names = await kernels(tf, async () => {
    const r = stepGradients(
      tf,
      net.trainableVariables,
      (c) => net.step(c, d, { train: true }),
      "tf",
    );
    out.loss = (await r.loss.data())[0];
    out.grads = await Promise.all(r.grads.map(async (g) => await g.data() as Float32Array));
    r.ctx.dispose();
    tf.dispose([r.loss, ...r.grads]);
  });
  tf.dispose(Object.values(d).map((t) => t.values));
  net.dispose();
  return { ...out, names };
}

function close(got: ArrayLike<number>, want: ArrayLike<number>, what: string) {
  let scale = 1, worst = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  assert.ok(worst <= 2e-5 * scale, `${what}: max error ${worst} (scale ${scale})`);
}

async function units(backend: BackendName) {
  const { tf } = await loadTfjs(backend);
  for (const [k, unit] of LSTM_UNITS.entries()) {
    const direction = k % 2 === 0 ? 1 : -1;
    const network = {
      fw: { class: "rec", unit, n_out: 5, direction, from: "data" },
      output: { class: "softmax", loss: "ce", from: "fw" },
    };
    const what = `${backend} unit ${unit} direction ${direction}`;
    const fused = await netStep(tf, network, 3 + k);
    const before = setLstmImplementation("reference");
    let reference;
    try {
      reference = await netStep(tf, network, 3 + k);
    } finally {
      setLstmImplementation(before);
    }
    assert.ok(fused.names.has(LSTM_FORWARD) && fused.names.has(LSTM_BACKWARD), `${what}: fused`);
    assert.ok(!reference.names.has(LSTM_FORWARD), `${what}: the reference ran the fused kernel`);
    assert.equal(fused.params, reference.params, `${what}: parameters`);
    close([fused.loss], [reference.loss], `${what}: loss`);
    fused.grads.forEach((g, i) => close(g, reference.grads[i], `${what}: gradient ${i}`));
  }
  // RETURNN's 12AX demo network: its 822 parameters, on the fused kernels.
  const demo = await netStep(tf, lstmDemo.network, 1);
  assert.equal(demo.params, 822);
  assert.ok(demo.names.has(LSTM_FORWARD) && demo.names.has(LSTM_BACKWARD));
}

Deno.test("rec LSTM units run the fused kernels transparently, as the reference computes (cpu)", () =>
  units("cpu"));
Deno.test("rec LSTM units run the fused kernels transparently, as the reference computes (wasm)", () =>
  units("wasm"));
gpuTest(
  "rec LSTM units run the fused kernels transparently, as the reference computes (webgpu)",
  () => units("webgpu"),
);

Deno.test("a model function's lstmSequence call runs the fused kernels (wasm)", async () => {
  const { tf } = await loadTfjs("wasm");
  const x = tf.variable(tf.randomNormal([2, 6, 12], 0, 1, "float32", 5));
  const wRe = tf.variable(tf.randomNormal([3, 12], 0, 0.5, "float32", 6));
  const names = await kernels(tf, async () => {
    // What a train_step body does: its model's LSTM, then run_ctx.markAsLoss.
    const r = stepGradients(tf, [x, wRe], (ctx) => {
      const y = lstmSequence(tf, {
        x: x as unknown as tfjs.Tensor3D,
        wRe: wRe as unknown as tfjs.Tensor2D,
        seqLens: [6, 4],
      });
      ctx.markAsLoss("sq", tf.sum(tf.square(y)) as tfjs.Scalar);
    });
    await Promise.all(r.grads.map((g) => g.data()));
    r.ctx.dispose();
    tf.dispose([r.loss, ...r.grads]);
  });
  assert.ok(names.has(LSTM_FORWARD) && names.has(LSTM_BACKWARD), [...names].join(", "));
  tf.dispose([x, wRe]);
});
