// The sequence model at trainer level: masking (the same sequences batched differently give
// the same loss, gradients and scores), no tensor leak over epochs, and the three backends.
import { deepEqual, equal, ok } from "node:assert/strict";
import { createTfjsSequenceModel } from "./tfjs_seq_model.ts";
import { resolveConfig } from "./config.ts";
import type { Config } from "./config_types.ts";
import type { BackendName, SequenceModel } from "./model_types.ts";
import { loadTfjs } from "./tfjs_backend.ts";
import { train } from "./train.ts";
import { defaultDeps } from "./wiring.ts";
import { createDataset, type SequenceDataset } from "../datasets/mod.ts";
import { flattenScores } from "../control/error_key.ts";
import { gpuTest, tempDir } from "../tests/_gpu.ts";
import { quiet, testClock } from "./_fakes_test.ts";
import { Rng } from "./rng.ts";
import convDemo from "../examples/demo-torch.config.ts";

/** Five sequences of different lengths (features 3, two classes), as a RETURNN StaticDataset. */
function sequences(): Record<string, unknown> {
  const rng = new Rng(3);
  const data = [7, 3, 9, 1, 5].map((T) => ({
    data: Array.from({ length: T }, () => [rng.uniform(-1, 1), rng.uniform(-1, 1), 1]),
    classes: Array.from({ length: T }, () => rng.int(2)),
  }));
  return { class: "StaticDataset", data, output_dim: { data: [3, 2], classes: [2, 1] } };
}

/** Every layer kind that looks along time: LSTMs both ways, a convolution, attention. */
const network = {
  fw: { class: "rec", unit: "nativelstm", n_out: 4, from: "data" },
  bw: { class: "rec", unit: "nativelstm", n_out: 4, direction: -1, from: "data" },
  conv: {
    class: "conv",
    filter_size: [3],
    padding: "same",
    n_out: 4,
    activation: "relu",
    from: ["fw", "bw"],
  },
  att: { class: "self_attention", num_heads: 2, total_key_dim: 4, n_out: 4, from: "conv" },
  output: { class: "softmax", loss: "ce", from: ["att", "fw"] },
};

function settings(model: Record<string, unknown>) {
  return resolveConfig({
    train: sequences(),
    extern_data: { data: { dim: 3 }, classes: { dim: 2, sparse: true } },
    ...model,
  }).sequence!;
}

/** Summed gradients, train scores and dev scores of one pass over `ds` batched as `batching`. */
async function pass(
  model: SequenceModel,
  ds: SequenceDataset,
  batching: Record<string, unknown>,
): Promise<{ grads: Float32Array[]; train: Map<string, number>; dev: Map<string, number> }> {
  await ds.initSeqOrder(1);
  const opts = { ...batching, used_data_keys: [...model.usedDataKeys] };
  let grads: Float32Array[] | undefined;
  let steps = 0;
  for await (const batch of ds.batches(opts)) {
    const g = model.gradients(batch, { globalTrainStep: steps++, epoch: 1 });
    const host = g.grads as Float32Array[];
    grads = grads
      ? grads.map((a, i) => a.map((x, j) => x + host[i][j]))
      : host.map((a) => a.slice());
    g.dispose();
  }
  ok(steps > 0);
  const train = flattenScores(await model.trainScores());
  const dev = flattenScores(await model.evaluate("dev", ds.batches(opts)));
  return { grads: grads!, train, dev };
}

function close(a: number, b: number, what: string) {
  ok(Math.abs(a - b) <= 2e-5 * Math.max(1, Math.abs(a), Math.abs(b)), `${what}: ${a} vs ${b}`);
}

for (
  const [kind, model] of [["network dict", { network }], ["get_model", convDemoOn3()]] as const
) {
  Deno.test(`masking (cpu, ${kind}): other batch partners and other padding give the same loss, gradients and scores`, async () => {
    const ds = await createDataset(sequences());
    const batchings = [
      { batch_size: 1000 }, // all five in one batch, T = 9
      { batch_size: 1000, max_seqs: 1 }, // each alone, T = its length
      { batch_size: 12, max_seqs: 2 }, // pairs (and a longer one alone)
    ];
    const results = [];
    for (const b of batchings) {
      const m = await createTfjsSequenceModel(settings(model), { backend: "cpu", seed: 7 });
      results.push(await pass(m, ds, b));
      m.dispose();
    }
    const [ref, ...others] = results;
    for (const r of others) {
      deepEqual([...r.train.keys()], [...ref.train.keys()]);
      for (const [k, v] of ref.train) close(r.train.get(k)!, v, `train ${k}`);
      for (const [k, v] of ref.dev) close(r.dev.get(k)!, v, `dev ${k}`);
      r.grads.forEach((g, i) => g.forEach((x, j) => close(x, ref.grads[i][j], `grad ${i}[${j}]`)));
    }
    await ds.close();
  });
}

/** The demo's convolutions, on 3 input features. */
function convDemoOn3(): Record<string, unknown> {
  return {
    get_model: (args: Parameters<typeof convDemo.get_model>[0]) => {
      const m = convDemo.get_model(args);
      const tf = args.tf;
      const W = m.params["conv1/W"];
      // 3 input features instead of 9: slice the first filter's input axis.
      const params = { ...m.params, "conv1/W": tf.variable(tf.slice(W, [0, 0, 0], [5, 3, 50])) };
      W.dispose();
      return { params };
    },
    train_step: convDemo.train_step,
  };
}

/** A small network-dict job on the five sequences. */
function smallJob(num_epochs: number): Config {
  return {
    train: sequences(),
    dev: sequences(),
    extern_data: { data: { dim: 3 }, classes: { dim: 2, sparse: true } },
    network,
    batch_size: 12,
    max_seqs: 2,
    optimizer: { class: "adam", epsilon: 1e-8 },
    learning_rate: 0.01,
    num_epochs,
  };
}

Deno.test("memory (wasm): the tensor count stays flat over epochs of the training loop", async () => {
  const { tf } = await loadTfjs("wasm");
  const base = await defaultDeps();
  const atStep: { epoch: number; tensors: number }[] = [];
  await train(smallJob(4), {
    ...quiet,
    outputDir: await tempDir("seq-memory-"),
    backend: "wasm",
    now: testClock(),
    deps: {
      ...base,
      async createSequenceModel(spec, o) {
        const m = await base.createSequenceModel!(spec, o);
        return {
          ...m,
          gradients(batch, at) {
            atStep.push({ epoch: at.epoch, tensors: tf.memory().numTensors });
            return m.gradients(batch, at);
          },
        };
      },
    },
  });
  const perEpoch = [1, 2, 3, 4].map((e) =>
    atStep.filter((s) => s.epoch === e).map((s) => s.tensors)
  );
  ok(perEpoch[1].length >= 3, JSON.stringify(perEpoch));
  // From epoch 2 on, every epoch's steps see the same tensor counts (no leak per step or epoch).
  deepEqual(perEpoch[2], perEpoch[1]);
  deepEqual(perEpoch[3], perEpoch[1]);
});

async function backendRun(backend: BackendName) {
  return await train({ ...smallJob(2), seed: 3 }, {
    ...quiet,
    outputDir: await tempDir(`seq-${backend}-`),
    backend,
    now: testClock(),
  });
}

for (const backend of ["wasm", "webgpu"] as const) {
  const run = backend === "webgpu" ? gpuTest : Deno.test;
  run(
    `backends: a network dict trains on ${backend} as on cpu (in-place updates on webgpu)`,
    async () => {
      const ref = await backendRun("cpu");
      const r = await backendRun(backend);
      equal(r.backend, backend);
      deepEqual(r.parameterNames, ref.parameterNames);
      r.parameters.forEach((p, i) =>
        p.forEach((x, j) =>
          ok(
            Math.abs(x - ref.parameters[i][j]) < 2e-3,
            `${r.parameterNames[i]}[${j}]: ${x} vs ${ref.parameters[i][j]}`,
          )
        )
      );
      for (const [k, v] of Object.entries(ref.history[1].scores!)) {
        ok(
          Math.abs(r.history[1].scores![k] - v) < 2e-3,
          `${k}: ${r.history[1].scores![k]} vs ${v}`,
        );
      }
    },
  );
}

Deno.test("dropout streams (cpu): stream 0 is the default's masks, another stream (a rank) draws others", async () => {
  const ds = await createDataset(sequences());
  const dropNet = {
    fw: { class: "rec", unit: "nativelstm", n_out: 4, dropout: 0.5, from: "data" },
    output: { class: "softmax", loss: "ce", from: "fw" },
  };
  const gradsOf = async (dropoutStream?: number) => {
    const m = await createTfjsSequenceModel(settings({ network: dropNet }), {
      backend: "cpu",
      seed: 7,
      ...(dropoutStream !== undefined ? { dropoutStream } : {}),
    });
    const r = await pass(m, ds, { batch_size: 1000 });
    m.dispose();
    return r.grads;
  };
  const base = await gradsOf();
  deepEqual(await gradsOf(0), base);
  const other = await gradsOf(1);
  ok(
    other.some((g, i) => g.some((x, j) => x !== base[i][j])),
    "rank 1's dropout masks must differ from rank 0's",
  );
  await ds.close();
});
