/**
 * The trainer against `docs/returnn-semantics.md` sections 9 (where the trainer calls the
 * control), 10 (updater semantics) and 13, one focused test per rule. The fakes of
 * `_fakes_test.ts` stand in for the model; the control, `dynamic_learning_rate` and (where the
 * rule is about the update) the optimizer engine are the real ones.
 */

import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { train } from "./train.ts";
import { createEngineUpdater, createEpochControl } from "./wiring.ts";
import { fakeDeps, fakeModel, quiet, testClock } from "./_fakes_test.ts";
import { tempDir } from "../tests/_gpu.ts";
import { dynamicLearningRate } from "../schedules/dynamic_learning_rate.ts";
import { resolveConfig } from "./config.ts";
import type { Config } from "./config_types.ts";
import type { EpochControl, TrainDeps, Updater } from "./train_deps.ts";

const STEPS = Math.ceil(1437 / 64); // digits: 1437 training rows, batch 64

const clock = () => testClock(250);

const base: Config = {
  learning_rate: 0.05,
  learning_rate_control: "newbob_rel",
  num_epochs: 3,
  batch_size: 64,
  seed: 3,
};

interface Recorded {
  events: string[];
  steps: { lr: number; step: number }[];
}

/** Fakes for model and updater, the real control and dynamic_learning_rate; records calls. */
function recordingDeps(rec: Recorded, updaterOf?: TrainDeps["createUpdater"]): TrainDeps {
  const fakes = fakeDeps();
  return {
    ...fakes,
    dynamicLearningRate: (setting) => dynamicLearningRate(setting),
    async createControl(config, { file }) {
      const c = await createEpochControl(config, file);
      const wrapped: EpochControl = {
        epochStartLearningRate(e) {
          const lr = c.epochStartLearningRate(e);
          rec.events.push(`lr ${e}`);
          return lr;
        },
        setEpochMeta(e, meta) {
          rec.events.push(`meta ${e} ${Object.keys(meta).join(",")}`);
          c.setEpochMeta(e, meta);
        },
        setEpochError(e, scores) {
          rec.events.push(`error ${e} ${Object.keys(scores).join(",")}`);
          c.setEpochError(e, scores);
        },
        explain: (e) => c.explain(e),
        async save() {
          rec.events.push("save");
          await c.save();
        },
      };
      return wrapped;
    },
    async createUpdater(s, model) {
      const u: Updater = await (updaterOf ?? fakes.createUpdater)(s, model);
      return {
        ...u,
        step(grads, lr, step) {
          if (rec.steps.length === 0 || rec.events.at(-1) !== "step") rec.events.push("step");
          rec.steps.push({ lr, step });
          return u.step(grads, lr, step);
        },
      };
    },
  };
}

function fresh(): Recorded {
  return { events: [], steps: [] };
}

Deno.test("spec 9: per epoch: LR and meta at the start, train scores + save, dev scores + save", async () => {
  const dir = await tempDir("rules-order-");
  const rec = fresh();
  const r = await train(base, { ...quiet, outputDir: dir, deps: recordingDeps(rec), now: clock() });
  const epoch = (e: number) => [
    `lr ${e}`,
    `meta ${e} global_train_step,effective_learning_rate`,
    "step",
    `error ${e} train_score,train_error`,
    `meta ${e} epoch_num_train_steps,epoch_train_time_secs`,
    "save",
    `error ${e} dev_score,dev_error`,
    "save",
  ];
  deepEqual(rec.events, [...epoch(1), ...epoch(2), ...epoch(3)]);
  // The meta values as RETURNN's TF engine records them.
  const { createLearningRateControl } = await import("../control/learning_rate_control.ts");
  const control = await createLearningRateControl({ ...base }, { file: r.learningRateFile });
  for (const e of [1, 2, 3]) {
    const meta = control.epochMeta(e);
    equal(meta.global_train_step, (e - 1) * STEPS);
    equal(meta.effective_learning_rate, r.history[e - 1].learningRate);
    equal(meta.epoch_num_train_steps, STEPS);
    // RETURNN's engines store round(elapsed): whole seconds.
    ok(Number.isInteger(meta.epoch_train_time_secs), String(meta.epoch_train_time_secs));
  }
});

Deno.test("spec 9: the LR of epoch e is fixed before its steps, from epochs < e only", async () => {
  const dir = await tempDir("rules-fixed-");
  const rec = fresh();
  // A threshold that always decays: epoch 3's LR depends on the dev scores of epochs 1 and 2.
  const config = { ...base, newbob_relative_error_threshold: -100 };
  const r = await train(config, {
    ...quiet,
    outputDir: dir,
    deps: recordingDeps(rec),
    now: clock(),
  });
  deepEqual(r.history.map((h) => h.learningRate), [0.05, 0.05, 0.025]);
  for (const [i, { lr, step }] of rec.steps.entries()) {
    equal(step, i);
    equal(lr, r.history[Math.floor(i / STEPS)].learningRate);
  }
});

Deno.test("spec 9 TF: pretraining uses pretrain_learning_rate, a stored LR stays in the file", async () => {
  const dir = await tempDir("rules-pretrain-");
  const rec = fresh();
  const config: Config = {
    ...base,
    num_epochs: 4,
    learning_rate: 0.01,
    learning_rates: [0.005, 0, 0.007], // epoch 1 seeded, epoch 2 seeded with 0.0, epoch 3 seeded
    pretrain_epochs: 2,
    pretrain_learning_rate: 0.001,
    newbob_relative_error_threshold: -100, // always decay once the control decides
  };
  const r = await train(config, {
    ...quiet,
    outputDir: dir,
    deps: recordingDeps(rec),
    now: clock(),
  });
  // Training uses the pretrain LR in epochs 1-2 and D in epoch 3 (first after pretraining).
  deepEqual(r.history.map((h) => h.learningRate).slice(0, 3), [0.001, 0.001, 0.01]);
  deepEqual(
    [0, 1, 2].map((e) => rec.steps[e * STEPS].lr),
    [0.001, 0.001, 0.01],
  );
  // set-default: the stored non-zero seeds stay in the file, the stored 0.0 is replaced.
  const { createLearningRateControl } = await import("../control/learning_rate_control.ts");
  const control = await createLearningRateControl({ ...config }, { file: r.learningRateFile });
  const stored = control.epochs().map((v) => v.learningRate);
  deepEqual(stored.slice(0, 3), [0.005, 0.001, 0.007]);
  // Epoch 4: the control, over a history that includes the pretraining epochs (2 vs 3 decays
  // the stored 0.007 of epoch 3).
  equal(r.history[3].learningRate, 0.0035);
  equal(stored[3], 0.0035);
});

Deno.test("spec 9 TF: use_learning_rate_control_always puts pretraining epochs under the control", async () => {
  const dir = await tempDir("rules-always-");
  const rec = fresh();
  const config: Config = {
    ...base,
    num_epochs: 3,
    learning_rate: 0.01,
    learning_rates: [0.005],
    pretrain_epochs: 2,
    pretrain_learning_rate: 0.001,
    use_learning_rate_control_always: true,
    newbob_relative_error_threshold: -100,
  };
  const r = await train(config, {
    ...quiet,
    outputDir: dir,
    deps: recordingDeps(rec),
    now: clock(),
  });
  deepEqual(r.history.map((h) => h.learningRate), [0.005, 0.005, 0.0025]);
});

Deno.test("spec 10.1: a dynamic_learning_rate function gets RETURNN's keyword arguments", async () => {
  const dir = await tempDir("rules-dyn-fn-");
  const rec = fresh();
  const calls: Record<string, unknown>[] = [];
  const config: Config = {
    ...base,
    num_epochs: 2,
    learning_rate_control: "constant",
    learning_rates: [0.02, 0.04],
    dynamic_learning_rate: (kwargs) => {
      calls.push({ ...kwargs });
      return kwargs.learning_rate * 0.5;
    },
  };
  await train(config, { ...quiet, outputDir: dir, deps: recordingDeps(rec), now: clock() });
  // Step s uses f(s); the first call of each epoch is the meta's effective LR (Torch computes it
  // at the epoch start with the same step and epoch_continuous = e - 1).
  const perStep = calls.filter((_, i) => i % (STEPS + 1) !== 0);
  equal(perStep.length, 2 * STEPS);
  perStep.forEach((kw, s) => {
    const e = Math.floor(s / STEPS) + 1;
    const i = s % STEPS;
    deepEqual(kw, {
      global_train_step: s,
      epoch: e,
      epoch_continuous: e - 1 + i / STEPS,
      learning_rate: e === 1 ? 0.02 : 0.04,
    });
    equal(rec.steps[s].lr, (e === 1 ? 0.02 : 0.04) * 0.5);
  });
});

Deno.test("spec 10.1 / seed: Noam via global_train_step from 0 gives LR 0 at the very first step", async () => {
  const dir = await tempDir("rules-noam-");
  const rec = fresh();
  const noam = (n: number, warmupN: number, modelD: number) =>
    modelD ** -0.5 * Math.min(n ** -0.5, n * warmupN ** -1.5);
  const config: Config = {
    ...base,
    num_epochs: 2,
    learning_rate: 1,
    learning_rate_control: "constant",
    dynamic_learning_rate: ({ global_train_step, learning_rate }) =>
      learning_rate * noam(global_train_step, 25, 512),
  };
  await train(config, { ...quiet, outputDir: dir, deps: recordingDeps(rec), now: clock() });
  equal(rec.steps[0].lr, 0);
  rec.steps.forEach(({ lr, step }) => equal(lr, noam(step, 25, 512)));
  ok(rec.steps[24].lr > rec.steps[1].lr);
});

Deno.test("spec 10.1 TF: the dict form is lr * decay ** (global_train_step mod interval), float32", async () => {
  const dir = await tempDir("rules-dyn-dict-");
  const rec = fresh();
  const config: Config = {
    ...base,
    num_epochs: 2,
    learning_rate: 0.1,
    learning_rate_control: "constant",
    dynamic_learning_rate: { interval: 7, decay: 0.9 },
  };
  await train(config, { ...quiet, outputDir: dir, deps: recordingDeps(rec), now: clock() });
  rec.steps.forEach(({ lr, step }) =>
    equal(lr, Math.fround(Math.fround(0.1) * Math.fround(Math.fround(0.9) ** (step % 7))))
  );
});

Deno.test("spec 1.2 TF: learning_rate_multiplier in the optimizer dict scales every step", async () => {
  const dir = await tempDir("rules-mult-");
  const rec = fresh();
  const config: Config = {
    ...base,
    num_epochs: 1,
    learning_rate_control: "constant",
    optimizer: { class: "sgd", learning_rate_multiplier: 0.5 },
    dynamic_learning_rate: ({ global_train_step, learning_rate }) =>
      learning_rate * (global_train_step + 1),
  };
  await train(config, { ...quiet, outputDir: dir, deps: recordingDeps(rec), now: clock() });
  rec.steps.forEach(({ lr, step }) => equal(lr, 0.05 * (step + 1) * 0.5));
});

Deno.test("spec 10.2: with accumulation global_train_step counts mini-batches and drives the LR", async () => {
  const dir = await tempDir("rules-accum-steps-");
  const rec = fresh();
  const deps = recordingDeps(rec, createEngineUpdater);
  const config: Config = {
    ...base,
    num_epochs: 2,
    learning_rate_control: "constant",
    optimizer: { class: "sgd" },
    accum_grad_multiple_step: 4,
    dynamic_learning_rate: ({ global_train_step, learning_rate }) =>
      learning_rate / (1 + global_train_step),
  };
  const r = await train(config, { ...quiet, outputDir: dir, deps, now: clock() });
  equal(r.globalTrainStep, 2 * STEPS);
  rec.steps.forEach(({ lr, step }, i) => {
    equal(step, i);
    equal(lr, 0.05 / (1 + i));
  });
  const { createLearningRateControl } = await import("../control/learning_rate_control.ts");
  const control = await createLearningRateControl({ ...config }, { file: r.learningRateFile });
  equal(control.epochMeta(2).global_train_step, STEPS);
});

// ------------------------------------------------------------------ the update (real engine)

/** The real cpu engine on the fake model with the given config. */
async function engine(config: Config) {
  const model = fakeModel(2, 2, 1);
  const u = await createEngineUpdater(resolveConfig(config), model);
  return { u, model };
}

/** Gradients of the fake model's two tensors (4 and 2 elements) filled with `v`. */
function grads(v: number): Float32Array[] {
  return [new Float32Array(4).fill(v), new Float32Array(2).fill(v)];
}

async function firstParam(u: Updater): Promise<number> {
  return (await u.parameters())[1][0]; // the bias starts at 0
}

Deno.test("spec 10.2: accumulation sums (no averaging, LR unchanged), windows on the global step", async () => {
  const { u } = await engine({ optimizer: { class: "sgd" }, accum_grad_multiple_step: 3 });
  const seen: number[] = [];
  // Epochs of 2 mini-batches: the window of steps 0-2 spans the epoch boundary.
  for (let g = 0; g < 6; g++) {
    if (g % 2 === 0) u.startEpoch(g / 2 + 1);
    await u.step(grads(g + 1), 1, g);
    seen.push(await firstParam(u));
  }
  // Updates at g mod 3 == 2 only, with the sum: -(1+2+3), then -(4+5+6) more.
  deepEqual(seen, [0, 0, -6, -6, -6, -21]);
  u.dispose();
});

Deno.test("spec 10.2: the update uses the LR of its own mini-batch step", async () => {
  const { u } = await engine({ optimizer: { class: "sgd" }, accum_grad_multiple_step: 2 });
  u.startEpoch(1);
  await u.step(grads(1), 0.25, 0);
  await u.step(grads(1), 0.5, 1);
  equal(await firstParam(u), -1); // 0.5 * (1 + 1)
  u.dispose();
});

Deno.test('spec 10.2 Torch: accum_grad_window "epoch" restarts per epoch, the partial window is dropped', async () => {
  const { u } = await engine({
    optimizer: { class: "sgd" },
    accum_grad_multiple_step: 3,
    accum_grad_window: "epoch",
  });
  const seen: number[] = [];
  for (let g = 0; g < 8; g++) {
    if (g % 4 === 0) u.startEpoch(g / 4 + 1);
    await u.step(grads(g + 1), 1, g);
    seen.push(await firstParam(u));
  }
  // Epoch 1: 1+2+3, then 4 is dropped; epoch 2: 5+6+7, then 8 is dropped.
  deepEqual(seen, [0, 0, -6, -6, -6, -6, -24, -24]);
  u.dispose();
});

Deno.test("spec 10.2: a resume in the middle of a global window keeps the partial sum", async () => {
  const config: Config = {
    optimizer: { class: "adam", epsilon: 1e-8 },
    accum_grad_multiple_step: 2,
  };
  const a = await engine(config);
  const b = await engine(config);
  a.u.startEpoch(1);
  b.u.startEpoch(1);
  for (let g = 0; g < 3; g++) {
    await a.u.step(grads(g + 1), 0.1, g);
    await b.u.step(grads(g + 1), 0.1, g);
  }
  // b stops after epoch 1 (3 mini-batches: step 2 opened a window) and resumes.
  const saved = await b.u.exportState();
  const c = await engine(config);
  await c.model.setParameters(await b.u.parameters());
  const resumed = await createEngineUpdater(resolveConfig(config), c.model);
  await resumed.importState(saved);
  a.u.startEpoch(2);
  resumed.startEpoch(2);
  await a.u.step(grads(4), 0.1, 3);
  await resumed.step(grads(4), 0.1, 3);
  deepEqual(await resumed.parameters(), await a.u.parameters());
  for (const x of [a.u, b.u, c.u, resumed]) x.dispose();
});

Deno.test("spec 10.3 Torch (default): global norm of the processed gradients, c/(N+1e-6) capped at 1", async () => {
  // Value clip to 0.5 first: N = sqrt(6 * 0.25), coefficient 1/(N + 1e-6).
  const { u } = await engine({
    optimizer: { class: "sgd" },
    gradient_clip: 0.5,
    gradient_clip_global_norm: 1,
  });
  u.startEpoch(1);
  await u.step(grads(1), 1, 0);
  const f = Math.fround;
  const n = Math.sqrt(6 * 0.25);
  const coef = Math.min(f(1 / f(f(n) + f(1e-6))), 1);
  ok(Math.abs(await firstParam(u) + 0.5 * coef) < 1e-7, String(await firstParam(u)));
  // Below the bound the coefficient is 1 (not 1/(N + 1e-6) > 1).
  const before = await firstParam(u);
  await u.step(grads(0.1), 1, 1);
  equal(await firstParam(u), f(before - 0.1));
  u.dispose();
});

Deno.test('spec 10.3 TF: gradient_transform_style "tf" clips by the raw step norm, c/max(N, c)', async () => {
  const { u } = await engine({
    optimizer: { class: "sgd" },
    gradient_clip: 0.5,
    gradient_clip_global_norm: 1,
    gradient_transform_style: "tf",
  });
  u.startEpoch(1);
  await u.step(grads(1), 1, 0);
  // The raw norm sqrt(6) (before the value clip) gives the coefficient.
  ok(Math.abs(await firstParam(u) + 0.5 / Math.sqrt(6)) < 1e-7, String(await firstParam(u)));
  u.dispose();
});

Deno.test({
  name: 'spec 10.3 TF: with accumulation, "tf" takes the norm of the current mini-batch only',
  async fn() {
    const { u } = await engine({
      optimizer: { class: "sgd" },
      accum_grad_multiple_step: 2,
      gradient_clip_global_norm: 1,
      gradient_transform_style: "tf",
    });
    u.startEpoch(1);
    // Each mini-batch has norm sqrt(6) * 0.2 < 1: no clip, although the sum's norm is > 1.
    await u.step(grads(0.2), 1, 0);
    await u.step(grads(0.2), 1, 1);
    equal(await firstParam(u), Math.fround(-0.4));
    u.dispose();
  },
});

Deno.test("spec 10.5: invalid steps are skipped, a finite norm and a new epoch reset the count", async () => {
  const { u } = await engine({
    optimizer: { class: "sgd" },
    num_allowed_consec_invalid_gradient_steps: 1,
  });
  u.startEpoch(1);
  await u.step(grads(1), 1, 0);
  await u.step(grads(NaN), 1, 1); // skipped (1 in a row)
  equal(await firstParam(u), -1);
  await u.step(grads(1), 1, 2); // finite: the count restarts
  await u.step(grads(NaN), 1, 3); // skipped (1 in a row)
  u.startEpoch(2);
  await u.step(grads(Infinity), 1, 4); // a new epoch restarts the count: skipped
  equal(await firstParam(u), -2);
  await rejects(u.step(grads(NaN), 1, 5), (e: Error) => {
    ok(e.name === "InvalidGradientError", e.message);
    ok(/update step 6 \(mini-batch global_train_step 5, epoch 2\)/.test(e.message), e.message);
    return true;
  });
  u.dispose();
});

Deno.test("spec 10.5: num_allowed_consec_invalid_gradient_steps = 0 aborts on the first invalid step", async () => {
  const { u } = await engine({
    optimizer: { class: "sgd" },
    num_allowed_consec_invalid_gradient_steps: 0,
  });
  u.startEpoch(1);
  await u.step(grads(1), 1, 0);
  await rejects(u.step(grads(NaN), 1, 1), (e: Error) => e.name === "InvalidGradientError");
  u.dispose();
});

Deno.test("spec 10.7: a reset clears moments, step counts and accumulators, not the parameters", async () => {
  const config: Config = {
    optimizer: { class: "adam", epsilon: 1e-8 },
    accum_grad_multiple_step: 2,
  };
  const a = await engine(config);
  a.u.startEpoch(1);
  await a.u.step(grads(1), 0.1, 0);
  await a.u.step(grads(1), 0.1, 1);
  await a.u.step(grads(5), 0.1, 2); // opens a window
  const params = await a.u.parameters();
  await a.u.reset();
  equal(await firstParam(a.u), params[1][0]);
  const state = await a.u.exportState();
  const meta = state.meta as { groups: { host: { step: number } }[] };
  equal(meta.groups[0].host.step, 0);
  for (const [name, arr] of Object.entries(state.arrays)) {
    ok(arr.every((v) => v === 0), `${name} not cleared`);
  }
  // A fresh optimizer started from these parameters does the same next update.
  const b = await engine(config);
  await b.model.setParameters(params);
  const fresh = await createEngineUpdater(resolveConfig(config), b.model);
  fresh.startEpoch(1);
  await a.u.step(grads(2), 0.1, 3);
  await fresh.step(grads(0), 0.1, 2);
  await fresh.step(grads(2), 0.1, 3);
  deepEqual(await a.u.parameters(), await fresh.parameters());
  for (const x of [a.u, b.u, fresh]) x.dispose();
});

// ------------------------------------------------------------------ the learning-rate file

Deno.test("spec 8/11: learning_rates in the output folder by default; a relative learning_rate_file is from the cwd", async () => {
  const dir = await tempDir("rules-file-");
  const a = await train({ ...base, num_epochs: 1 }, {
    ...quiet,
    outputDir: `${dir}/out`,
    deps: recordingDeps(fresh()),
    now: clock(),
  });
  equal(a.learningRateFile, `${dir}/out/learning_rates`);
  await Deno.stat(a.learningRateFile);
  // Relative to the working folder (as RETURNN opens it), its folder created on the first save.
  const relative = `${dir}/elsewhere/sub/lr.txt`;
  ok(!relative.startsWith("/"));
  const b = await train({ ...base, num_epochs: 1, learning_rate_file: relative }, {
    ...quiet,
    outputDir: `${dir}/out2`,
    deps: recordingDeps(fresh()),
    now: clock(),
  });
  equal(b.learningRateFile, relative);
  ok((await Deno.readTextFile(relative)).startsWith("{\n1: EpochData(learningRate=0.05"));
});

Deno.test("spec 8/11: a RETURNN-written file (np.float64, old format) is continued with its decisions", async () => {
  const dir = await tempDir("rules-returnn-file-");
  const file = `${dir}/learning_rates`;
  // As RETURNN (numpy 2) writes it after 3 epochs, epoch 1 in the old float-error format.
  await Deno.writeTextFile(
    file,
    `{
1: EpochData(learningRate=np.float64(0.1), error=2.5),
2: EpochData(learningRate=np.float64(0.1), error={
  'dev_score': np.float64(1.0),
  'train_score': np.float64(1.2),
}, meta={'global_train_step': 23}),
3: EpochData(learningRate=np.float64(0.05), error={
  'dev_score': np.float64(0.999),
  'train_score': np.float64(1.1),
}),
}
`,
  );
  const rec = fresh();
  const config: Config = { ...base, num_epochs: 4, learning_rate: 0.1, learning_rate_file: file };
  const lines: string[] = [];
  const r = await train(config, {
    ...quiet,
    log: (l) => lines.push(l),
    outputDir: dir,
    deps: recordingDeps(rec),
    now: clock(),
  });
  ok(lines.some((l) => l.includes("exists without a checkpoint")), lines.join("\n"));
  // The stored epochs keep RETURNN's rates (the decision of epoch 3 included).
  deepEqual(r.history.map((h) => h.learningRate).slice(0, 3), [0.1, 0.1, 0.05]);
  equal(rec.steps[2 * STEPS].lr, 0.05);
  const text = await Deno.readTextFile(file);
  ok(text.includes("3: EpochData(learningRate=0.05, error={"), text);
  ok(!text.includes("np.float64"), text);
});

Deno.test("spec 10.7 / seed: reset_updater_vars_mod_step in epochs (seed) and in steps (TF code)", async () => {
  const resetsOf = async (extra: Config) => {
    const rec = fresh();
    const at: number[] = [];
    const deps = recordingDeps(rec, async (s, model) => {
      const u = await fakeDeps().createUpdater(s, model);
      return {
        ...u,
        reset() {
          at.push(rec.steps.length); // the global step of the next mini-batch
          return u.reset();
        },
      };
    });
    const dir = await tempDir("rules-reset-");
    await train({ ...base, num_epochs: 5, ...extra }, {
      ...quiet,
      outputDir: dir,
      deps,
      now: clock(),
    });
    return at;
  };
  // "After every 2 epochs": before epochs 3 and 5.
  deepEqual(await resetsOf({ reset_updater_vars_mod_step: 2 }), [2 * STEPS, 4 * STEPS]);
  // TF: before mini-batch s of each epoch with s mod 10 == 0 (s = 0, 10, 20 of 23).
  const steps = await resetsOf({
    reset_updater_vars_mod_step: 10,
    reset_updater_vars_unit: "steps",
  });
  deepEqual(steps, [0, 1, 2, 3, 4].flatMap((e) => [0, 10, 20].map((s) => e * STEPS + s)));
});

Deno.test("spec 10.2: stop + resume inside a global accumulation window == uninterrupted", async () => {
  const config: Config = {
    ...base,
    optimizer: { class: "adam", epsilon: 1e-8 },
    accum_grad_multiple_step: 2, // 23 mini-batches per epoch: windows span the epoch ends
    gradient_clip_global_norm: 1,
    gradient_noise: 0.01,
    num_allowed_consec_invalid_gradient_steps: 2,
  };
  const deps = () => recordingDeps(fresh(), createEngineUpdater);
  const a = await tempDir("rules-accum-resume-a-");
  const b = await tempDir("rules-accum-resume-b-");
  const full = await train(config, { ...quiet, outputDir: a, deps: deps(), now: clock() });
  await train(config, { ...quiet, outputDir: b, deps: deps(), now: clock(), stopAfterEpoch: 1 });
  const rest = await train(config, { ...quiet, outputDir: b, deps: deps(), now: clock() });
  equal(rest.resumedAfterEpoch, 1);
  deepEqual(rest.parameters, full.parameters);
  equal(
    await Deno.readTextFile(`${b}/learning_rates`),
    await Deno.readTextFile(`${a}/learning_rates`),
  );
});

Deno.test("spec 10.3: order noise -> value clip -> per-tensor norm clip -> global-norm clip", async () => {
  // Noise first: the value clip bounds the noised gradient (noise after it would not be bounded).
  const noisy = await engine({
    optimizer: { class: "sgd" },
    gradient_noise: 1,
    gradient_clip: 1e-3,
  });
  noisy.u.startEpoch(1);
  await noisy.u.step(grads(0), 1, 0);
  for (const p of await noisy.u.parameters()) {
    ok(p.every((v) => Math.abs(v) <= 0.06), String(p)); // |initial| <= 0.05, |step| <= 1e-3
  }
  // Value clip before the per-tensor norm clip: bias grads [3, 3] -> [1, 1] -> norm sqrt(2) -> 1.
  const clip = await engine({
    optimizer: { class: "sgd" },
    gradient_clip: 1,
    gradient_clip_norm: 1,
  });
  clip.u.startEpoch(1);
  await clip.u.step(grads(3), 1, 0);
  ok(Math.abs(await firstParam(clip.u) + 1 / Math.SQRT2) < 1e-7, String(await firstParam(clip.u)));
  noisy.u.dispose();
  clip.u.dispose();
});
