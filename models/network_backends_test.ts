// The same network, parameters and batch on wasm and webgpu give cpu's losses and gradients
// (LSTM both directions, conv, layer norm, attention, CTC).
import assert from "node:assert/strict";
import { loadTfjs } from "../trainer/tfjs_backend.ts";
import { gpuTest } from "../tests/_gpu.ts";
import type { BackendName } from "../trainer/model_types.ts";
import { buildNetwork, externDataFromBatch, type HostBatchKey, stepGradients } from "./mod.ts";

const EXT = { data: { dim: 4, sparse: false }, classes: { dim: 3, sparse: true } };
const NET = {
  fw: { class: "rec", unit: "nativelstm2", n_out: 5 },
  bw: { class: "rec", unit: "lstm", n_out: 5, direction: -1 },
  conv: {
    class: "conv",
    filter_size: [3],
    padding: "same",
    n_out: 6,
    from: ["fw", "bw"],
    activation: "relu",
  },
  ln: { class: "layer_norm", from: "conv" },
  att: { class: "self_attention", num_heads: 2, total_key_dim: 4, n_out: 6, from: "ln" },
  output: { class: "softmax", loss: "ctc", from: "att" },
};

function batch(): Record<string, HostBatchKey> {
  const x = new Float32Array(3 * 7 * 4).map((_, i) => Math.sin(i * 1.7));
  return {
    data: { data: x, shape: [3, 7, 4], seqLens: new Int32Array([7, 5, 2]) },
    classes: {
      data: new Int32Array([0, 1, 2, 2, 0, 0, 1, 0, 0]),
      shape: [3, 3],
      seqLens: new Int32Array([3, 2, 1]),
    },
  };
}

async function run(backend: BackendName) {
  const { tf } = await loadTfjs(backend);
  const net = buildNetwork(tf, NET, { externData: EXT, seed: 9 });
  const d = externDataFromBatch(tf, batch(), EXT);
  const r = stepGradients(
    tf,
    net.trainableVariables,
    (ctx) => net.step(ctx, d, { train: false }),
    "tf",
  );
  const out = {
    loss: (await r.loss.data())[0],
    grads: await Promise.all(r.grads.map(async (g) => Array.from(await g.data()))),
  };
  r.ctx.dispose();
  net.dispose();
  return out;
}

async function parity(backend: BackendName) {
  const want = await run("cpu");
  const got = await run(backend);
  assert.ok(
    Math.abs(got.loss - want.loss) <= 1e-4 * Math.max(1, Math.abs(want.loss)),
    `loss ${got.loss} vs ${want.loss}`,
  );
  const scale = Math.max(1, ...want.grads.flat().map(Math.abs));
  got.grads.forEach((g, i) =>
    g.forEach((v, j) =>
      assert.ok(
        Math.abs(v - want.grads[i][j]) <= 1e-4 * scale,
        `grad ${i}[${j}]: ${v} vs ${want.grads[i][j]}`,
      )
    )
  );
}

Deno.test("network losses and gradients: wasm equals cpu", () => parity("wasm"));
gpuTest("network losses and gradients: webgpu equals cpu", () => parity("webgpu"));
