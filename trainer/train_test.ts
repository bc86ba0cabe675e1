import { deepEqual, equal, ok } from "node:assert/strict";
import { train } from "./train.ts";
import { createEngineUpdater, defaultDeps, transformsOf } from "./wiring.ts";
import { resolveConfig } from "./config.ts";
import type { Config } from "./config_types.ts";
import type { BackendName } from "./model_types.ts";
import type { TrainDeps } from "./train_deps.ts";
import { createLearningRateControl } from "../control/learning_rate_control.ts";
import { both, gpuTest, tempDir } from "../tests/_gpu.ts";
import { assertFileIsControlReplay, quiet, smallDigitsJob, testClock } from "./_fakes_test.ts";

const job: Config = smallDigitsJob;

async function endToEnd(backend: BackendName) {
  const dir = await tempDir(`train-${backend}-`);
  const r = await train(job, { ...quiet, outputDir: dir, backend, now: testClock() });
  equal(r.backend, backend);
  equal(r.history.length, 4);
  ok(r.history[3].trainScore < r.history[0].trainScore / 2, JSON.stringify(r.history));
  ok(r.history[3].devError < 0.15, JSON.stringify(r.history));
  // The threshold -0.8 makes newbob decay once the dev score improves by < 80 % (epoch 4).
  ok(r.history.some((h, i) => i > 1 && h.learningRate < r.history[i - 1].learningRate));
  await assertFileIsControlReplay(job, r.learningRateFile);
  await Deno.stat(`${dir}/checkpoint.nbck`);
}

both("train: loss falls, the learning-rate file is the control's replay", endToEnd);

Deno.test("train (cpu): stop + resume == uninterrupted (bitwise params, same lr file)", async () => {
  const a = await tempDir("train-resume-a-");
  const b = await tempDir("train-resume-b-");
  const full = await train(job, { ...quiet, outputDir: a, backend: "cpu", now: testClock() });
  const first = await train(job, {
    ...quiet,
    outputDir: b,
    backend: "cpu",
    now: testClock(),
    stopAfterEpoch: 2,
  });
  equal(first.history.length, 2);
  const rest = await train(job, {
    ...quiet,
    outputDir: b,
    backend: "cpu",
    now: testClock(),
    resume: true,
  });
  equal(rest.resumedAfterEpoch, 2);
  equal(rest.globalTrainStep, full.globalTrainStep);
  deepEqual(rest.parameters, full.parameters);
  deepEqual(rest.history.map((h) => h.learningRate), full.history.map((h) => h.learningRate));
  equal(
    await Deno.readTextFile(`${b}/learning_rates`),
    await Deno.readTextFile(`${a}/learning_rates`),
  );
});

Deno.test("train (cpu): the seed's Noam dynamic_learning_rate drives every step", async () => {
  const dir = await tempDir("train-noam-");
  // The seed document's example, as a TypeScript config.
  const noam = (n: number, warmupN: number, modelD: number) =>
    modelD ** -0.5 * Math.min(n ** -0.5, n * warmupN ** -1.5);
  const config: Config = {
    ...job,
    num_epochs: 2,
    learning_rates: undefined,
    learning_rate: 1,
    learning_rate_control: "constant",
    dynamic_learning_rate: ({ global_train_step, learning_rate }) =>
      learning_rate * noam(global_train_step, 25, 64),
  };
  const seen: [number, number][] = [];
  const deps: TrainDeps = {
    ...(await defaultDeps()),
    createUpdater: async (s, m) => {
      const u = await createEngineUpdater(s, m);
      return {
        ...u,
        step: (g, lr, step) => {
          seen.push([step, lr]);
          return u.step(g, lr, step);
        },
      };
    },
  };
  const r = await train(config, {
    ...quiet,
    outputDir: dir,
    backend: "cpu",
    deps,
    now: testClock(),
  });
  equal(seen.length, r.globalTrainStep);
  for (const [step, lr] of seen) equal(lr, noam(step, 25, 64));
  ok(seen[10][1] > seen[0][1] || Number.isNaN(seen[0][1]) || seen[0][1] === 0);
  ok(r.history[1].devError < 0.5, JSON.stringify(r.history));
});

Deno.test("train (cpu): accumulation and clipping reach the optimizer engine", async () => {
  const config: Config = {
    ...job,
    num_epochs: 2,
    accum_grad_multiple_step: 2,
    gradient_clip: 5,
    gradient_clip_global_norm: 1,
    gradient_noise: 1e-4,
  };
  deepEqual(
    transformsOf(resolveConfig(config)).map((t) => t.kind),
    ["accumulate", "noise", "clip_value", "clip_global_norm"],
  );
  const dir = await tempDir("train-accum-");
  const r = await train(config, { ...quiet, outputDir: dir, backend: "cpu", now: testClock() });
  ok(r.history[1].trainScore < r.history[0].trainScore);
  // 2 epochs x 23 steps = 46 mini-batches, global windows of 2: 23 updates.
  const state = await (await import("./checkpoint.ts")).loadCheckpoint(`${dir}/checkpoint.nbck`);
  const meta = state!.optimizerMeta as { groups: { host: { step: number } }[] };
  equal(r.globalTrainStep, 46);
  equal(meta.groups[0].host.step, 23);
});

async function hostStep(dir: string): Promise<number> {
  const { loadCheckpoint } = await import("./checkpoint.ts");
  const state = await loadCheckpoint(`${dir}/checkpoint.nbck`);
  return (state!.optimizerMeta as { groups: { host: { step: number } }[] }).groups[0].host.step;
}

Deno.test("train (cpu): reset_updater_vars_mod_step in epochs (default) and in steps", async () => {
  const base: Config = { ...job, num_epochs: 2 };
  const none = await tempDir("train-reset-none-");
  await train(base, { ...quiet, outputDir: none, backend: "cpu", now: testClock() });
  equal(await hostStep(none), 46);
  // Every epoch: the optimizer state of epoch 2 starts fresh.
  const epochs = await tempDir("train-reset-epochs-");
  await train({ ...base, reset_updater_vars_mod_step: 1 }, {
    ...quiet,
    outputDir: epochs,
    backend: "cpu",
    now: testClock(),
  });
  equal(await hostStep(epochs), 23);
  // RETURNN TF's reading: every 5 steps within an epoch (steps 0, 5, ..., 20 of 23).
  const steps = await tempDir("train-reset-steps-");
  await train({ ...base, reset_updater_vars_mod_step: 5, reset_updater_vars_unit: "steps" }, {
    ...quiet,
    outputDir: steps,
    backend: "cpu",
    now: testClock(),
  });
  equal(await hostStep(steps), 3);
});

Deno.test("train (cpu): pretraining epochs use pretrain_learning_rate (TF engine rule)", async () => {
  const dir = await tempDir("train-pretrain-");
  const r = await train({
    ...job,
    num_epochs: 3,
    learning_rates: undefined,
    learning_rate: 0.004,
    pretrain_epochs: 1,
    pretrain_learning_rate: 0.001,
  }, { ...quiet, outputDir: dir, backend: "cpu", now: testClock() });
  deepEqual(r.history.map((h) => h.learningRate).slice(0, 2), [0.001, 0.004]);
});

Deno.test("train (cpu): every key of the seed document works together", async () => {
  const dir = await tempDir("train-seed-");
  const notes: string[] = [];
  const config: Config = {
    ...job,
    num_epochs: 3,
    // The seed's keys, in its order.
    accum_grad_multiple_step: 2,
    dynamic_learning_rate: ({ learning_rate, global_train_step }) =>
      learning_rate * Math.min(1, (global_train_step + 1) / 10),
    gradient_clip: 10,
    gradient_noise: 1e-5,
    learning_rate: 0.01,
    learning_rates: [0.005, 0.01],
    learning_rate_control: "newbob_multi_epoch",
    learning_rate_control_error_measure: "dev_error",
    learning_rate_control_min_num_epochs_per_new_lr: 1,
    learning_rate_control_relative_error_relative_lr: true,
    learning_rate_file: `${dir}/lr.txt`,
    min_learning_rate: 1e-5,
    newbob_error_threshold: -0.01,
    newbob_learning_rate_decay: 0.7,
    newbob_multi_num_epochs: 2,
    newbob_multi_update_interval: 1,
    newbob_relative_error_threshold: 0,
    optimizer: { class: "adam", epsilon: 1e-8 },
    relative_error_div_by_old: true,
    reset_updater_vars_mod_step: 2,
    use_learning_rate_control_always: true,
  };
  const r = await train(config, {
    ...quiet,
    outputDir: dir,
    backend: "cpu",
    now: testClock(),
    log: (l) => notes.push(l),
  });
  ok(notes.some((l) => l.includes("'use_learning_rate_control_always' has no effect")));
  ok(r.history[2].devError < r.history[0].devError, JSON.stringify(r.history));
  equal(r.learningRateFile, `${dir}/lr.txt`);
  await assertFileIsControlReplay(config, r.learningRateFile);
  const control = await createLearningRateControl({ ...config }, { file: r.learningRateFile });
  equal(control.errorKey(3), "dev_error");
});

gpuTest("train (webgpu): stop + resume continues the same run", async () => {
  const a = await tempDir("train-gpu-resume-a-");
  const b = await tempDir("train-gpu-resume-b-");
  const o = { ...quiet, backend: "webgpu" as const };
  const full = await train(job, { ...o, outputDir: a, now: testClock() });
  await train(job, { ...o, outputDir: b, now: testClock(), stopAfterEpoch: 2 });
  const rest = await train(job, { ...o, outputDir: b, now: testClock(), resume: true });
  equal(rest.resumedAfterEpoch, 2);
  deepEqual(rest.history.map((h) => h.learningRate), full.history.map((h) => h.learningRate));
  let maxDiff = 0;
  full.parameters.forEach((p, i) =>
    p.forEach((v, j) => (maxDiff = Math.max(maxDiff, Math.abs(v - rest.parameters[i][j]))))
  );
  ok(maxDiff < 1e-4, `max parameter difference ${maxDiff}`);
  console.log(`webgpu resume: max parameter difference ${maxDiff}`);
});

Deno.test("train (cpu): the reduce_on_plateau control (PyTorch users) is wired through", async () => {
  const dir = await tempDir("train-plateau-");
  const config: Config = {
    ...job,
    num_epochs: 3,
    learning_rates: undefined,
    learning_rate: 0.005,
    learning_rate_control: "reduce_on_plateau",
    reduce_on_plateau: { factor: 0.5, patience: 0, threshold: 0.9 },
  };
  const r = await train(config, { ...quiet, outputDir: dir, backend: "cpu", now: testClock() });
  // torch: the first metric improves on best = inf; with threshold 0.9 (relative) no later
  // epoch counts as an improvement, so with patience 0 the rate halves from then on.
  deepEqual(r.history.map((h) => h.learningRate), [0.005, 0.005, 0.0025]);
  await assertFileIsControlReplay(config, r.learningRateFile);
});
