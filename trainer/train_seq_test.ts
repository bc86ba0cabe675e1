// Sequence configs through the real trainer: RETURNN datasets, network dicts and model
// functions, RETURNN's score names, exact resume, save_interval / cleanup_old_models,
// stop_on_nonfinite_train_score, and every config problem reported at once.
import { deepEqual, equal, match, notEqual, ok, rejects } from "node:assert/strict";
import { epochModelFile, train } from "./train.ts";
import { ConfigError } from "./config_error.ts";
import { loadCheckpoint } from "./checkpoint.ts";
import type { Config } from "./config_types.ts";
import { epochsToDelete } from "./cleanup_models.ts";
import { NonFiniteScoreError } from "./epoch.ts";
import { createLearningRateControl } from "../control/learning_rate_control.ts";
import { assertFileIsControlReplay, quiet, testClock } from "./_fakes_test.ts";
import { tempDir } from "../tests/_gpu.ts";
import lstmDemo from "../examples/demo-tf-native-lstm.12ax.config.ts";
import convDemo from "../examples/demo-torch.config.ts";
import { twelveAxSequence } from "../tests/_twelve_ax.ts";
import { Rng } from "./rng.ts";

/** 12AX sequences as a RETURNN StaticDataset (which, unlike generated data, can be sorted). */
function static12ax(numSeqs: number, seed: number, extra: Record<string, unknown> = {}) {
  const rng = new Rng(seed);
  const data = Array.from({ length: numSeqs }, () => {
    const s = twelveAxSequence(rng, 5 + rng.int(16));
    return {
      data: s.x.map((c) => Array.from({ length: 9 }, (_, i) => i === c ? 1 : 0)),
      classes: s.y,
    };
  });
  return { class: "StaticDataset", data, output_dim: { data: [9, 2], classes: [2, 1] }, ...extra };
}

/** RETURNN's 12AX data, small. */
const small12ax = {
  train: { class: "Task12AXDataset", num_seqs: 24 },
  dev: { class: "Task12AXDataset", num_seqs: 8, fixed_random_seed: 1 },
};
/** Fewer sequences, for the convolutions (slow on cpu). */
const tiny12ax = {
  train: { class: "Task12AXDataset", num_seqs: 10 },
  dev: { class: "Task12AXDataset", num_seqs: 4, fixed_random_seed: 1 },
};

/** A fast network dict on 12AX: dropout, a linear layer, a softmax output (a dense input). */
const fastNet: Config = {
  train: static12ax(24, 1),
  dev: static12ax(8, 2),
  num_inputs: 9,
  num_outputs: 2,
  batching: "laplace:.4",
  batch_size: 400,
  max_seqs: 4,
  network: {
    hidden: { class: "linear", activation: "tanh", n_out: 8, dropout: 0.2, from: "data" },
    output: { class: "softmax", loss: "ce", from: "hidden" },
  },
  optimizer: { class: "adam", epsilon: 1e-8 },
  learning_rate: 0.01,
  learning_rate_control: "newbob_rel",
  newbob_relative_error_threshold: -0.5,
  num_epochs: 3,
  seed: 5,
};

Deno.test("seq (cpu): the 12AX LSTM demo trains with RETURNN TF's score names", async () => {
  const dir = await tempDir("seq-lstm-");
  const config = { ...lstmDemo, ...small12ax, num_epochs: 2 } as Config;
  const r = await train(config, { ...quiet, outputDir: dir, backend: "cpu", now: testClock() });
  equal(r.history.length, 2);
  deepEqual(Object.keys(r.history[1].scores!), [
    "train_score",
    "train_error",
    "dev_score",
    "dev_error",
  ]);
  ok(r.history[1].trainScore < r.history[0].trainScore, JSON.stringify(r.history));
  deepEqual(r.parameterNames, ["fw0/rec/W", "fw0/rec/W_re", "fw0/rec/b", "output/W", "output/b"]);
  equal(r.parameters.reduce((a, p) => a + p.length, 0), 822);
  await assertFileIsControlReplay(config, r.learningRateFile);
  await Deno.stat(`${dir}/${epochModelFile(1)}`);
  await Deno.stat(`${dir}/${epochModelFile(2)}`);
});

Deno.test("seq (cpu): a get_model/train_step config records train_loss_ce, dev_loss_fer; the control reads dev_loss_ce", async () => {
  const dir = await tempDir("seq-conv-");
  const config = { ...convDemo, ...tiny12ax, num_epochs: 2 } as Config;
  const r = await train(config, { ...quiet, outputDir: dir, backend: "cpu", now: testClock() });
  deepEqual(Object.keys(r.history[0].scores!), [
    "train_loss_ce",
    "train_loss_fer",
    "dev_loss_ce",
    "dev_loss_fer",
  ]);
  const control = await createLearningRateControl({ ...config }, { file: r.learningRateFile });
  equal(control.errorKey(1), "dev_loss_ce");
  equal(r.history[0].devError, r.history[0].scores!.dev_loss_fer);
});

Deno.test("seq (cpu): stop + resume == uninterrupted (bitwise params and learning-rate file), also mid-partition", async () => {
  // partition_epoch 2: each (sub-)epoch is half the corpus, as RETURNN counts epochs; the
  // seeded dropout, gradient noise, accumulation and the dynamic learning rate all continue.
  const config: Config = {
    ...fastNet,
    train: static12ax(24, 1, { partition_epoch: 2 }),
    num_epochs: 4,
    accum_grad_multiple_step: 2,
    gradient_clip_global_norm: 1,
    gradient_noise: 0.01,
    dynamic_learning_rate: ({ global_train_step, learning_rate }) =>
      learning_rate * Math.min(1, (global_train_step + 1) / 5),
  };
  const [a, b] = [await tempDir("seq-resume-a-"), await tempDir("seq-resume-b-")];
  const full = await train(config, { ...quiet, outputDir: a, backend: "cpu", now: testClock() });
  const first = await train(config, {
    ...quiet,
    outputDir: b,
    backend: "cpu",
    now: testClock(),
    stopAfterEpoch: 1,
  });
  equal(first.history.length, 1);
  const second = await train(config, { ...quiet, outputDir: b, backend: "cpu", now: testClock() });
  equal(second.resumedAfterEpoch, 1);
  equal(second.globalTrainStep, full.globalTrainStep);
  deepEqual(second.parameters, full.parameters);
  // The clocks differ after the resume only in epoch 1's wall time, which the first run wrote.
  equal(
    await Deno.readTextFile(second.learningRateFile),
    await Deno.readTextFile(full.learningRateFile),
  );
});

Deno.test("seq (cpu): save_interval saves every N epochs and the last; cleanup_old_models keeps RETURNN's set", async () => {
  const dir = await tempDir("seq-save-");
  const config: Config = {
    ...fastNet,
    num_epochs: 7,
    save_interval: 2,
    cleanup_old_models: { keep_last_n: 1, keep_best_n: 1 },
  };
  const logs: string[] = [];
  const r = await train(config, {
    log: (l) => logs.push(l),
    progress: "none",
    outputDir: dir,
    backend: "cpu",
    now: testClock(),
  });
  const stored: number[] = [];
  for await (const e of Deno.readDir(dir)) {
    const m = /^model\.(\d+)\.nbck$/.exec(e.name);
    if (m) stored.push(Number(m[1]));
  }
  stored.sort((x, y) => x - y);
  // Saved: 2, 4, 6, 7. The rule after each save, with the history's scores:
  const scores = new Map(r.history.map((h) => [h.epoch, h.scores!]));
  let kept: number[] = [];
  for (const e of [2, 4, 6, 7]) {
    kept = [...kept, e];
    const gone = epochsToDelete(kept, scores, { keepLastN: 1, keepBestN: 1 });
    kept = kept.filter((x) => !gone.includes(x));
  }
  deepEqual(stored, kept);
  ok(stored.includes(7) && stored.includes(4), `${stored}`); // the last; 4 is in RETURNN's keep pattern
  equal((await loadCheckpoint(r.checkpointFile))!.epoch, 7);
});

Deno.test("seq (cpu): stop_on_nonfinite_train_score stops at the step (no save); false records the nan", async () => {
  let calls = 0;
  const config: Config = {
    ...convDemo,
    ...tiny12ax,
    num_epochs: 2,
    train_step: (args) => {
      convDemo.train_step(args as Parameters<typeof convDemo.train_step>[0]);
      if (args.train && ++calls === 2) args.run_ctx.markAsLoss("bad", args.tf.scalar(NaN));
    },
  } as Config;
  const dir = await tempDir("seq-nan-");
  await rejects(
    train(config, { ...quiet, outputDir: dir, backend: "cpu", now: testClock() }),
    (e: Error) => {
      ok(e instanceof NonFiniteScoreError, String(e));
      match(e.message, /step 0 of epoch 2 \(global_train_step 1\) is NaN/);
      return true;
    },
  );
  equal((await loadCheckpoint(`${dir}/checkpoint.nbck`))!.epoch, 1); // epoch 2 is not saved
  calls = 0;
  const dir2 = await tempDir("seq-nan2-");
  const r = await train({ ...config, stop_on_nonfinite_train_score: false } as Config, {
    ...quiet,
    outputDir: dir2,
    backend: "cpu",
    now: testClock(),
  });
  ok(Number.isNaN(r.history[1].scores!.train_loss_bad));
  equal(r.history[0].scores!.train_loss_bad, undefined); // marked from the second step on
  ok(Number.isFinite(r.history[1].scores!.dev_loss_ce));
});

Deno.test("seq: every problem of a RETURNN config is reported at once, before any work", async () => {
  const dir = await tempDir("seq-problems-");
  const config = {
    train: { class: "Task12AXDataset", num_seq: 10 },
    dev: { class: "HDFDatset", files: ["x.hdf"] },
    num_inputs: 9,
    num_outputs: 2,
    network: {
      fw0: { class: "rec", unit: "nativelstm", n_out: 10, dropot: 0.1 },
      output: { class: "sofmax", loss: "ce", from: "fw0" },
    },
    learning_rte: 0.01,
    save_interval: 0,
    backend: "torch",
  };
  await rejects(train(config as Config, { ...quiet, outputDir: dir }), (e: Error) => {
    ok(e instanceof ConfigError);
    for (
      const want of [
        /unknown key 'learning_rte'/,
        /save_interval/,
        /'backend'.*TensorFlow\.js backend/,
        /Did you mean 'num_seqs'/,
        /Did you mean 'HDFDataset'/,
        /Did you mean 'dropout'/,
        /unknown class 'sofmax'/,
      ]
    ) match(e.message, want);
    return true;
  });
  // Nothing was written.
  deepEqual([...Deno.readDirSync(dir)], []);
});

Deno.test("seq: a dataset without a key the network reads is a config problem before training", async () => {
  const dir = await tempDir("seq-keys-");
  const config: Config = {
    ...fastNet,
    extern_data: { data: { dim: 9 }, phones: { dim: 2, sparse: true } },
    num_inputs: undefined,
    num_outputs: undefined,
    network: { output: { class: "softmax", loss: "ce", target: "phones", from: "data" } },
  };
  await rejects(train(config, { ...quiet, outputDir: dir, backend: "cpu" }), (e: Error) => {
    ok(e instanceof ConfigError, String(e));
    match(e.message, /dataset 'train' has no data key 'phones'/);
    match(e.message, /dataset 'dev' has no data key 'phones'/);
    return true;
  });
  notEqual(fastNet.network, undefined);
});
