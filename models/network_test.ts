import assert from "node:assert/strict";
import { loadTfjs } from "../trainer/tfjs_backend.ts";
import { buildNetwork, checkNetwork, type Network, validateNetwork } from "./network.ts";
import { externDataFromBatch, type HostBatchKey } from "./extern_data.ts";
import { stepGradients } from "./function_model.ts";
import { ScoreAccumulator } from "./scores.ts";

const { tf } = await loadTfjs("cpu");
const DATA = { data: { dim: 9, sparse: false }, classes: { dim: 2, sparse: true } };

const LSTM_DEMO = {
  fw0: { class: "rec", unit: "nativelstm", dropout: 0.1, n_out: 10, from: "data" },
  output: { class: "softmax", loss: "ce", from: "fw0" },
};

Deno.test("12AX LSTM demo network: 822 parameters with RETURNN's names and shapes", () => {
  const net = buildNetwork(tf, LSTM_DEMO, { externData: DATA });
  assert.equal(net.numTrainableParams, 822);
  assert.deepEqual(net.params.map((p) => [p.name, p.shape]), [
    ["fw0/rec/W", [9, 40]],
    ["fw0/rec/W_re", [10, 40]],
    ["fw0/rec/b", [40]],
    ["output/W", [10, 2]],
    ["output/b", [2]],
  ]);
  // Glorot-uniform weights, zero biases, reproducible from the seed.
  const w = net.params[0].variable.dataSync();
  const limit = Math.sqrt(6 / (9 + 40));
  assert.ok(w.every((v) => Math.abs(v) <= limit) && Math.max(...w.map(Math.abs)) > 0.8 * limit);
  assert.ok(net.params[2].variable.dataSync().every((v) => v === 0));
  const again = buildNetwork(tf, LSTM_DEMO, { externData: DATA });
  assert.deepEqual(again.params[0].variable.dataSync(), net.params[0].variable.dataSync());
  net.dispose();
  again.dispose();
});

Deno.test("the conv model of demo-torch.config as a network dict: 28402 parameters", () => {
  const net = buildNetwork(tf, {
    c1: { class: "conv", filter_size: [5], padding: "same", n_out: 50, activation: "relu" },
    c2: {
      class: "conv",
      filter_size: [5],
      padding: "same",
      n_out: 100,
      activation: "relu",
      from: "c1",
    },
    output: { class: "conv", filter_size: [5], padding: "same", n_out: 2, from: "c2" },
  }, { externData: DATA });
  assert.equal(net.numTrainableParams, 9 * 50 * 5 + 50 + 50 * 100 * 5 + 100 + 100 * 2 * 5 + 2);
  assert.equal(net.numTrainableParams, 28402);
  net.dispose();
});

Deno.test("validateNetwork reports every problem at once, with did-you-mean", () => {
  const problems = validateNetwork({
    fw0: { class: "rec", unit: "nativlstm", n_out: 10, dropot: 0.1 },
    conv: {
      class: "conv",
      filter_size: [3],
      padding: "same",
      n_out: 4,
      from: "fw0",
      activation: "relux",
    },
    att: { class: "self_attention", num_heads: 3, total_key_dim: 8, n_out: 6, from: "fw0" },
    pool: { class: "pool", from: "fw0" },
    output: { class: "sofmax", loss: "ce", from: "fw1" },
    out2: { class: "softmax", loss: "ctcc", target: "clases", from: ["out2"] },
  }, DATA);
  const want = [
    /network\.fw0: unknown option 'dropot' for class 'rec'\. Did you mean 'dropout'\?/,
    /network\.fw0: 'unit' "nativlstm" is not supported.*Did you mean 'nativelstm'\?/,
    /network\.conv: 'activation' "relux" .*Did you mean 'relu'\?/,
    /network\.att: 'total_key_dim' \(8\) must be divisible by 'num_heads' \(3\)/,
    /network\.pool: class 'pool' is not supported by newbob/,
    /network\.output: unknown class 'sofmax'.*Did you mean 'softmax'\?/,
    /network\.output: 'from' refers to 'fw1'.*Did you mean 'fw0'\?/,
    /network: layer 'out2' depends on itself/,
  ];
  for (const w of want) {
    assert.ok(problems.some((p) => w.test(p)), `missing ${w}\n${problems.join("\n")}`);
  }
  assert.throws(
    () => buildNetwork(tf, { output: { class: "sofmax" } }, { externData: DATA }),
    /1 problem/,
  );
  // n_out from the target; ctc adds the blank.
  assert.deepEqual(
    checkNetwork({ output: { class: "softmax", loss: "ctc", n_out: 2 } }, DATA).problems,
    [
      "network.output: the loss 'ctc' on target 'classes' needs 3 outputs (the target's classes + 1 for blank), but 'n_out' is 2",
    ],
  );
  assert.deepEqual(validateNetwork({ output: { class: "linear", loss: "ce" } }, DATA).length, 1);
  assert.deepEqual(
    validateNetwork({ output: { class: "linear", activation: "softmax", loss: "ce" } }, DATA),
    [],
  );
});

/** Host batch of sequences padded to T with noise (or zeros) after each length. */
function batch(
  seqs: number[][][],
  labels: number[][],
  T: number,
  noise: number,
): Record<string, HostBatchKey> {
  const B = seqs.length, F = seqs[0][0].length;
  const x = new Float32Array(B * T * F), y = new Int32Array(B * T);
  let r = 12345;
  const rnd = () => ((r = (r * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * noise;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let f = 0; f < F; f++) {
        x[(b * T + t) * F + f] = t < seqs[b].length ? seqs[b][t][f] : rnd();
      }
      y[b * T + t] = t < labels[b].length ? labels[b][t] : 1;
    }
  }
  const lens = new Int32Array(seqs.map((s) => s.length));
  return {
    data: { data: x, shape: [B, T, F], seqLens: lens },
    classes: { data: y, shape: [B, T], seqLens: lens },
  };
}

function randomSeq(len: number, F: number, seed: number): number[][] {
  let r = seed;
  const rnd = () => ((r = (r * 69069 + 1) % 4294967296) / 4294967296) * 2 - 1;
  return Array.from({ length: len }, () => Array.from({ length: F }, rnd));
}

const MASKING_NET = {
  fw: { class: "rec", unit: "nativelstm2", n_out: 6, dropout: 0.2 },
  bw: { class: "rec", unit: "nativelstm2", n_out: 6, direction: -1 },
  conv: {
    class: "conv",
    filter_size: [3],
    padding: "same",
    n_out: 12,
    from: ["fw", "bw"],
    activation: "relu",
  },
  ln: { class: "layer_norm", from: "conv" },
  att: { class: "self_attention", num_heads: 2, total_key_dim: 8, n_out: 12, from: "ln" },
  res: { class: "combine", kind: "add", from: ["att", "ln"] },
  lin: { class: "linear", n_out: 12, activation: "tanh", from: "res", L2: 0.01 },
  output: { class: "softmax", loss: "ce", from: ["lin"] },
};

async function lossGradsScores(net: Network, b: Record<string, HostBatchKey>, train: boolean) {
  const data = externDataFromBatch(tf, b, DATA);
  const r = stepGradients(tf, net.trainableVariables, (ctx) => {
    net.step(ctx, data, { train, seed: 7 });
  }, "tf");
  const acc = new ScoreAccumulator(tf, "tf");
  acc.add(r.ctx);
  const values = await r.ctx.read();
  const grads = r.grads.map((g) => Array.from(g.dataSync()));
  const scores = await acc.scores("dev");
  r.ctx.dispose();
  acc.reset();
  tf.dispose([r.loss, ...r.grads, ...Object.values(data).map((d) => d.values)]);
  return { values, grads, scores };
}

function assertClose(a: number[], b: number[], tol: number, what: string) {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) {
    assert.ok(
      Math.abs(a[i] - b[i]) <= tol * Math.max(1, Math.abs(b[i])),
      `${what}[${i}]: ${a[i]} vs ${b[i]}`,
    );
  }
}

Deno.test("masking: the same sequences padded differently give the same loss, gradients and scores", async () => {
  const net = buildNetwork(tf, MASKING_NET, { externData: DATA, seed: 3 });
  const s1 = randomSeq(5, 9, 1), s2 = randomSeq(8, 9, 2);
  const l1 = [0, 1, 1, 0, 1], l2 = [1, 1, 0, 0, 1, 0, 1, 1];
  for (const train of [false, true]) {
    const a = await lossGradsScores(net, batch([s1, s2], [l1, l2], 8, 0), train);
    const b = await lossGradsScores(net, batch([s2, s1], [l2, l1], 13, 50), train); // other order, T, noisy padding
    assert.deepEqual([...a.values.keys()], ["cost:output", "error:output"]);
    assertClose(
      [a.values.get("cost:output")!.loss],
      [b.values.get("cost:output")!.loss],
      1e-5,
      "loss",
    );
    assert.equal(a.values.get("cost:output")!.invNorm, 13); // real frames only
    a.grads.forEach((g, i) =>
      assertClose(g, b.grads[i], 2e-4, `grad ${net.trainableNames[i]} (train ${train})`)
    );
    const sa = a.scores.dev_score as Record<string, number>,
      sb = b.scores.dev_score as Record<string, number>;
    assertClose([sa["cost:output"]], [sb["cost:output"]], 1e-5, "score");
    assert.deepEqual(a.scores.dev_error, b.scores.dev_error);
  }
  net.dispose();
});

Deno.test("masking: other batch partners do not change a sequence's outputs; backward LSTM never sees padding", () => {
  const net = buildNetwork(tf, MASKING_NET, { externData: DATA, seed: 4 });
  const s1 = randomSeq(4, 9, 5);
  const out = (b: Record<string, HostBatchKey>) => {
    const d = externDataFromBatch(tf, b, DATA);
    const o = net.forward(d, { train: false });
    return {
      bw: (o.get("bw")!.values.arraySync() as number[][][])[0].slice(0, 4).flat(),
      y: (o.get("output")!.values.arraySync() as number[][][])[0].slice(0, 4).flat(),
    };
  };
  const alone = out(batch([s1], [[0, 0, 1, 1]], 4, 0));
  const partnered = out(
    batch([s1, randomSeq(11, 9, 6), randomSeq(2, 9, 7)], [[0, 0, 1, 1], [], []], 11, 1e3),
  );
  assertClose(partnered.bw, alone.bw, 1e-5, "backward LSTM");
  assertClose(partnered.y, alone.y, 1e-5, "output");
  net.dispose();
});

Deno.test("dropout only in training; L2 enters the objective but not the score", async () => {
  const net = buildNetwork(tf, MASKING_NET, { externData: DATA, seed: 5 });
  const b = batch([randomSeq(6, 9, 9)], [[0, 1, 0, 1, 0, 1]], 6, 0);
  const d = externDataFromBatch(tf, b, DATA);
  const y = (train: boolean, seed: number) =>
    Array.from(net.forward(d, { train, seed }).get("output")!.values.dataSync());
  assert.deepEqual(y(false, 1), y(false, 2));
  assert.notDeepEqual(y(true, 1), y(true, 2));
  assert.deepEqual(y(true, 1), y(true, 1));
  const r = stepGradients(
    tf,
    net.trainableVariables,
    (ctx) => net.step(ctx, d, { train: false }),
    "tf",
  );
  const cost = (await r.ctx.read()).get("cost:output")!.loss;
  const lin = net.params.filter((p) => p.name.startsWith("lin/")).map((p) => p.variable);
  const l2 = 0.01 * lin.reduce((a, v) => a + tf.sum(tf.square(v)).dataSync()[0], 0);
  assert.ok(Math.abs(r.loss.dataSync()[0] - (cost + l2)) < 1e-4);
  r.ctx.dispose();
  net.dispose();
});

Deno.test("batch_norm: statistics over real frames only, running averages updated in training", () => {
  const net = buildNetwork(tf, {
    output: { class: "batch_norm", momentum: 0.5, epsilon: 0 },
  }, { externData: { data: { dim: 1, sparse: false } } });
  const b = {
    data: {
      data: new Float32Array([1, 3, 99, 5, 7, 99]),
      shape: [2, 3, 1],
      seqLens: new Int32Array([2, 2]),
    },
  };
  const d = externDataFromBatch(tf, b);
  const y = net.forward(d, { train: true }).get("output")!.values.arraySync() as number[][][];
  // mean 4, variance 5 over {1, 3, 5, 7}; padding 0
  assert.ok(Math.abs(y[0][0][0] - (1 - 4) / Math.sqrt(5)) < 1e-5 && y[0][2][0] === 0);
  net.applyStateUpdates();
  const mean = net.params.find((p) => p.name === "output/batch_norm/v2_mean")!;
  assert.equal(mean.trainable, false);
  assert.ok(Math.abs(mean.variable.dataSync()[0] - 2) < 1e-6); // 0.5 * 0 + 0.5 * 4
  assert.deepEqual(net.trainableNames, ["output/batch_norm/v2_gamma", "output/batch_norm/v2_beta"]);
  net.dispose();
});

Deno.test("a sparse input is embedded by linear and rec layers (RETURNN's embedding lookup)", () => {
  const ext = { data: { dim: 5, sparse: true }, classes: { dim: 2, sparse: true } };
  const net = buildNetwork(tf, {
    emb: { class: "linear", n_out: 3, with_bias: false },
    lstm: { class: "rec", unit: "nativelstm2", n_out: 4, from: "data" },
    output: { class: "softmax", loss: "ce", from: ["emb", "lstm"] },
  }, { externData: ext });
  const d = externDataFromBatch(tf, {
    data: { data: new Int32Array([4, 0, 2]), shape: [1, 3], seqLens: new Int32Array([3]) },
  }, ext);
  const emb = net.forward(d, { train: false }).get("emb")!.values.arraySync() as number[][][];
  const W = net.params[0].variable.arraySync() as number[][];
  assert.deepEqual(emb[0][0], W[4]);
  net.dispose();
});

Deno.test("ctc loss layer: blank last, normalised by target labels, label errors as its error", async () => {
  const ext = { data: { dim: 3, sparse: false }, classes: { dim: 2, sparse: true } };
  const net = buildNetwork(tf, {
    output: { class: "softmax", loss: "ctc", from: "data" },
    aux: { class: "softmax", loss: "ctc", from: "data", loss_opts: { use_normalized_loss: true } },
  }, { externData: ext });
  assert.equal(net.params.find((p) => p.name === "output/W")!.shape[1], 3);
  const d = externDataFromBatch(tf, {
    data: {
      data: new Float32Array(2 * 4 * 3).map((_, i) => Math.sin(i)),
      shape: [2, 4, 3],
      seqLens: new Int32Array([4, 3]),
    },
    classes: { data: new Int32Array([0, 1, 0, 0]), shape: [2, 2], seqLens: new Int32Array([2, 1]) },
  }, ext);
  const acc = new ScoreAccumulator(tf, "tf");
  const r = stepGradients(
    tf,
    net.trainableVariables,
    (ctx) => net.step(ctx, d, { train: true }),
    "tf",
  );
  acc.add(r.ctx);
  const v = await r.ctx.read();
  assert.deepEqual([...v.keys()], ["cost:aux", "error:aux", "cost:output", "error:output"]);
  assert.equal(v.get("cost:output")!.invNorm, 3);
  const e = v.get("error:output")!.loss;
  assert.ok(Number.isInteger(e) && e >= 0 && e <= 4);
  const scores = await acc.scores("train");
  assert.deepEqual(Object.keys(scores), ["train_score", "train_error"]);
  assert.deepEqual(Object.keys(scores.train_score), ["cost:aux", "cost:output"]);
  assert.ok(
    Math.abs(
      (scores.train_score as Record<string, number>)["cost:output"] -
        v.get("cost:output")!.loss / 3,
    ) < 1e-6,
  );
  // The objective: the summed output loss plus the normalised aux loss.
  const want = v.get("cost:output")!.loss + v.get("cost:aux")!.loss / 3;
  assert.ok(Math.abs(r.loss.dataSync()[0] - want) < 1e-4);
  r.ctx.dispose();
  acc.reset();
  net.dispose();
});
