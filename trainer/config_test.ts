import { deepEqual, equal, ok, rejects, throws } from "node:assert/strict";
import { loadConfig, resolveConfig } from "./config.ts";
import { ConfigError } from "./config_error.ts";
import { tempDir } from "../tests/_gpu.ts";
import { resolveControlSettings } from "../control/config.ts";

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error("expected a ConfigError");
}

Deno.test("config: a typo gets a did-you-mean", () => {
  const p = problemsOf(() => resolveConfig({ learning_rte: 0.1 }));
  equal(p.length, 1);
  ok(p[0].includes("unknown key 'learning_rte'"), p[0]);
  ok(p[0].includes("Did you mean 'learning_rate'?"), p[0]);
});

Deno.test("config: a wrong type names the key and the expected type", () => {
  const p = problemsOf(() => resolveConfig({ num_epochs: "3" }));
  ok(p[0].includes("'num_epochs' must be an integer >= 1"), p[0]);
  ok(p[0].includes('"3"'), p[0]);
});

Deno.test("config: unsupported RETURNN keys are named, never ignored", () => {
  const p = problemsOf(() =>
    resolveConfig({
      gradient_nan_inf_filter: true,
      horovod_reduce_typ: "grad",
      gradient_clip_avg_norm: 1,
      grad_clip: 1,
    })
  );
  equal(p.length, 4);
  ok(p.some((x) => x.includes("'gradient_nan_inf_filter'") && x.includes("does not implement")));
  // The distributed keys are parseDistributedConfig's (docs/distributed.md).
  ok(p.some((x) => x.includes("'horovod_reduce_typ'") && x.includes("'horovod_reduce_type'")));
  ok(p.some((x) => x.includes("'gradient_clip_avg_norm'")));
  ok(p.some((x) => x.includes("'grad_clip'") && x.includes("gradient_clip")));
});

Deno.test("config: conflicts are named", () => {
  const p = problemsOf(() =>
    resolveConfig({
      relative_error_div_by_old: true,
      newbob_relative_error_div_by_old: false,
      optimizer: { class: "adam", lr: 0.1 },
    })
  );
  equal(p.length, 2);
  ok(p[0].includes("conflict"), p[0]);
  ok(p[1].includes("'optimizer.lr'"), p[1]);
  // Equal values are no conflict; the alias reaches the control.
  const s = resolveConfig({ relative_error_div_by_old: true });
  equal(s.control.newbob_relative_error_div_by_old, true);
});

Deno.test("config: all problems are reported at once", () => {
  const p = problemsOf(() =>
    resolveConfig({
      learning_rte: 1,
      num_epochs: 0,
      gradient_nan_inf_filter: true,
      relative_error_div_by_old: 1,
      newbob_relative_error_div_by_old: 0,
      backend: "tpu",
    })
  );
  equal(p.length, 5);
  const e = throws(() => resolveConfig({ a_b_c: 1, num_epochs: -1 }), ConfigError);
  void e;
});

Deno.test("config: translation to camelCase and defaults", () => {
  const fn = (
    { learning_rate, global_train_step }: { learning_rate: number; global_train_step: number },
  ) => learning_rate * global_train_step;
  const s = resolveConfig({
    learning_rate: 0.01,
    learning_rate_control: "newbob_rel",
    optimizer: { class: "adam", learning_rate_multiplier: 2 },
    dynamic_learning_rate: fn,
    output_dir: "out/x",
  });
  equal(s.learningRateFile, "out/x/learning_rates");
  equal(s.learningRateMultiplier, 2);
  deepEqual(s.optimizer, { class: "adam" });
  deepEqual(s.control, { learning_rate: 0.01, learning_rate_control: "newbob_rel" });
  equal(typeof s.dynamicLearningRate, "function");
  const f = s.dynamicLearningRate as (c: {
    globalTrainStep: number;
    epoch: number;
    epochContinuous: number;
    learningRate: number;
  }) => number;
  equal(f({ globalTrainStep: 3, epoch: 1, epochContinuous: 0, learningRate: 0.5 }), 1.5);
  equal(s.accumGradMultipleStep, 1);
  equal(s.accumGradWindow, "global");
});

Deno.test("config: a JSON config cannot reach functions or evaluate strings", async () => {
  const dir = await tempDir("config-");
  const path = `${dir}/job.json`;
  await Deno.writeTextFile(
    path,
    JSON.stringify({
      dynamic_learning_rate: "({learning_rate}) => learning_rate * 2",
      learning_rate_decay: "lambda lr: lr * 0.5",
      learning_rates: "[0.1] * 3",
    }),
  );
  const e = await rejects(loadConfig(path), ConfigError).catch((x) => x);
  void e;
  try {
    await loadConfig(path);
  } catch (err) {
    const p = (err as ConfigError).problems;
    equal(p.length, 3, p.join("\n"));
    ok(p.some((x) => x.includes("'dynamic_learning_rate' must be a function")));
    ok(p.some((x) => x.includes("'learning_rate_decay'")));
    ok(p.some((x) => x.includes("never evaluates code")));
  }
  await Deno.writeTextFile(path, JSON.stringify({ learning_rate: 0.5, num_epochs: 2 }));
  const { settings } = await loadConfig(path);
  equal(settings.numEpochs, 2);
  equal(settings.outputDir, "out/job");
});

Deno.test("config: learning_rates as a Python literal string, as RETURNN accepts", () => {
  const fromText = resolveConfig({ learning_rates: "{1: 0.1, 3: 2.5e-3}" });
  const fromObject = resolveConfig({ learning_rates: { "1": 0.1, "3": 2.5e-3 } });
  deepEqual(fromText.control.learning_rates, "{1: 0.1, 3: 2.5e-3}");
  deepEqual(
    [...resolveControlSettings(fromText.control).learningRates],
    [...resolveControlSettings(fromObject.control).learningRates],
  );
  throws(() => resolveConfig({ learning_rates: "[0.1] * 3" }), /never evaluates code/);
  throws(() => resolveConfig({ learning_rates: "__import__('os')" }), /never evaluates code/);
});

Deno.test("config: the seed's settings are all accepted", () => {
  resolveConfig({
    accum_grad_multiple_step: 2,
    dynamic_learning_rate: ({ learning_rate }: { learning_rate: number }) => learning_rate,
    gradient_clip: 1,
    gradient_noise: 0.1,
    learning_rate: 1,
    learning_rates: [0.1, 0.2],
    learning_rate_control: "newbob_multi_epoch",
    learning_rate_control_error_measure: "dev_score_output",
    learning_rate_control_min_num_epochs_per_new_lr: 3,
    learning_rate_control_relative_error_relative_lr: true,
    learning_rate_file: "lr.txt",
    min_learning_rate: 1e-5,
    newbob_error_threshold: -0.01,
    newbob_learning_rate_decay: 0.7,
    newbob_multi_num_epochs: 3,
    newbob_multi_update_interval: 1,
    newbob_relative_error_threshold: 0,
    optimizer: { class: "adam", epsilon: 1e-8 },
    relative_error_div_by_old: true,
    reset_updater_vars_mod_step: 2,
    use_learning_rate_control_always: true,
    pretrain_epochs: 1,
  });
});

Deno.test("config: the control's own checks are reported too", () => {
  const p = problemsOf(() =>
    resolveConfig({ learning_rate_control: "reduce_on_plateau", reduce_on_plateau: { factor: 2 } })
  );
  equal(p.length, 1);
  ok(p[0].startsWith("learning-rate control:"), p[0]);
  ok(p[0].includes("factor"), p[0]);
});

Deno.test("config: model and data contents are checked", () => {
  const p = problemsOf(() =>
    resolveConfig({
      model: { type: "mlp", hiden: [64] },
      data: { name: "digts", dev_fraction: 2 },
    })
  );
  equal(p.length, 3, p.join("\n"));
  ok(p[0].includes("Did you mean 'hidden'?"), p[0]);
});

Deno.test("config: a JSON syntax error names line and column", async () => {
  const dir = await tempDir("config-json-");
  const path = `${dir}/bad.json`;
  await Deno.writeTextFile(path, '{\n  "learning_rate": 0.1,\n}\n');
  const err = await loadConfig(path).then(() => undefined, (e) => e);
  ok(err instanceof ConfigError);
  ok(err.message.includes("line 3 column 1"), err.message);
  ok(err.message.includes(path), err.message);
});

Deno.test("config: a hostile config gets a bounded message with every problem kept", () => {
  const raw: Record<string, number> = {};
  for (let i = 0; i < 500; i++) raw[`k${i}_${"x".repeat(100)}`] = i;
  const e = throws(() => resolveConfig(raw), ConfigError);
  void e;
  try {
    resolveConfig(raw);
  } catch (err) {
    const c = err as ConfigError;
    equal(c.problems.length, 500);
    ok(c.message.length < 10_000, `${c.message.length}`);
    ok(c.message.includes("and 450 more"));
  }
});

Deno.test("config: several outputs get a target each (given, or by name)", () => {
  const s = resolveConfig({
    model: { type: "mlp", outputs: { output: 10, parity: 2 } },
    data: { name: "digits", targets: { output: "digit", parity: "parity" } },
  });
  deepEqual(s.data.targets, { output: "digit", parity: "parity" });
  // Defaults: 'output' is the digit, an output named like a target is that target.
  deepEqual(
    resolveConfig({ model: { type: "mlp", outputs: { output: 10, ge5: 2 } }, data: "digits" })
      .data,
    { name: "digits", targets: { output: "digit", ge5: "ge5" } },
  );
  // One head on another target; and the plain single-output config is unchanged.
  deepEqual(resolveConfig({ data: { name: "digits", targets: { output: "parity" } } }).data, {
    name: "digits",
    targets: { output: "parity" },
  });
  deepEqual(resolveConfig({ data: "digits" }).data, { name: "digits" });
});

Deno.test("config: bad outputs and targets are all reported, with the fix", () => {
  const p = problemsOf(() =>
    resolveConfig({
      model: { type: "mlp", outputs: { output: 10, parity: 3, "a:b": 2, one: 1 } },
      data: { name: "digits", targets: { output: "digit", parity: "parity", extra: "pairity" } },
    })
  );
  ok(
    p.some((x) => x.includes("'model.outputs.parity' is 3 but its target 'parity' has 2")),
    p.join("\n"),
  );
  ok(p.some((x) => x.includes("'model.outputs.a:b': output names must be letters")), p.join("\n"));
  ok(p.some((x) => x.includes("'model.outputs.one' must be a number of classes")), p.join("\n"));
  ok(
    p.some((x) => x.includes("'data.targets.extra' must be one of digit, parity, ge5")),
    p.join("\n"),
  );
  ok(p.some((x) => x.includes("Did you mean 'parity'?")), p.join("\n"));
  ok(p.some((x) => x.includes("'data.targets.extra' names no output of the model")), p.join("\n"));
  ok(p.some((x) => x.includes("no target for the model output 'one'")), p.join("\n"));
  // An output without a target, and targets for outputs a one-head model lacks.
  const q = problemsOf(() =>
    resolveConfig({ model: { type: "mlp", outputs: { output: 10, odd: 2 } } })
  );
  equal(q.length, 1);
  ok(q[0].includes("the model output 'odd' has no target") && q[0].includes("targets"), q[0]);
  const r = problemsOf(() =>
    resolveConfig({ data: { name: "digits", targets: { output: "digit", parity: "parity" } } })
  );
  equal(r.length, 1);
  ok(
    r[0].includes("'data.targets.parity' names no output") && r[0].includes("model: { outputs"),
    r[0],
  );
  const t = problemsOf(() =>
    resolveConfig({ model: { type: "mlp", outputs: {} }, data: { name: "digits", targets: [] } })
  );
  ok(t.some((x) => x.includes("'model.outputs' must map output names")), t.join("\n"));
  ok(t.some((x) => x.includes("'data.targets' must map output names")), t.join("\n"));
  const u = problemsOf(() => resolveConfig({ model: { type: "mlp", output: { parity: 2 } } }));
  ok(u[0].includes("Did you mean 'outputs'?"), u[0]);
});

Deno.test("config: every spec 1.1/1.2 key is accepted or rejected with a reason", () => {
  const accepted: Record<string, unknown> = {
    learning_rate_control: "newbob",
    learning_rate: 0.1,
    learning_rates: { "1": 0.01 },
    min_learning_rate: 0,
    learning_rate_decay: null,
    newbob_learning_rate_decay: 0.5,
    learning_rate_growth: 1,
    newbob_learning_rate_growth: 1,
    newbob_relative_error_threshold: -0.01,
    newbob_relative_error_grow_threshold: -0.01,
    newbob_error_threshold: -0.01,
    newbob_multi_num_epochs: 5,
    newbob_multi_update_interval: 5,
    learning_rate_control_min_num_epochs_per_new_lr: 0,
    learning_rate_control_relative_error_relative_lr: false,
    newbob_relative_error_div_by_old: false,
    learning_rate_control_error_measure: ["dev_score"],
    learning_rate_file: "lr",
    pretrain_learning_rate: 0.1,
    use_learning_rate_control_always: false,
    optimizer: { class: "adam", learning_rate_multiplier: 2 },
    optimizer_epsilon: 1e-8,
    momentum: 0,
    accum_grad_multiple_step: 0,
    dynamic_learning_rate: { interval: 10, decay: 0.9 },
    gradient_clip: 0,
    gradient_clip_norm: 0,
    gradient_clip_global_norm: 0,
    gradient_noise: 0,
    num_allowed_consec_invalid_gradient_steps: 3,
    reset_updater_vars_mod_step: 0,
  };
  for (const [key, value] of Object.entries(accepted)) resolveConfig({ [key]: value });
  const s = resolveConfig({ optimizer: { class: "adam", learning_rate_multiplier: 2 } });
  equal(s.learningRateMultiplier, 2);
  const rejected = [
    "gradient_clip_avg_norm",
    "gradient_nan_inf_filter",
    "grad_norm_to_clip_to_zero",
    "maximize_grad_norm",
    "global_norm_tag",
    "gradient_clip_global_norm_tag",
    "debug_grad_summaries",
    "grad_clip",
    "decouple_constraints",
    "weight_decay",
    "learning_rate_multiplier",
    "adam",
    "nadam",
    "adadelta",
    "adagrad",
    "rmsprop",
  ];
  for (const key of rejected) {
    const p = problemsOf(() => resolveConfig({ [key]: 1 }));
    equal(p.length, 1, key);
    ok(p[0].startsWith(`'${key}' `) && !p[0].includes("unknown key"), p[0]);
  }
});

Deno.test("config: RETURNN's None means 'not set' where RETURNN treats it so", () => {
  const s = resolveConfig({
    optimizer: null,
    momentum: null,
    dynamic_learning_rate: null,
    accum_grad_multiple_step: null,
    gradient_clip: null,
    gradient_clip_norm: null,
    gradient_clip_global_norm: null,
    gradient_noise: null,
    num_allowed_consec_invalid_gradient_steps: null,
    reset_updater_vars_mod_step: null,
    learning_rate_file: null,
    learning_rate_control_relative_error_relative_lr: null,
    newbob_relative_error_div_by_old: null,
    use_learning_rate_control_always: null,
  });
  deepEqual(s.optimizer, { class: "sgd" }); // no optimizer: plain SGD
  equal(s.dynamicLearningRate, undefined);
  equal(s.accumGradMultipleStep, 1);
  equal(s.numAllowedConsecInvalidGradientSteps, undefined);
  equal(s.gradientNoise, undefined);
  equal(s.learningRateFile, "out/default/learning_rates");
  // gradient_noise = 0.0 is RETURNN's default (off), not an error.
  equal(resolveConfig({ gradient_noise: 0 }).gradientNoise, undefined);
  // Where RETURNN would crash on None, newbob says so.
  const p = problemsOf(() => resolveConfig({ learning_rate: null }));
  ok(p[0].includes("'learning_rate'"), p[0]);
});

Deno.test("config: the optimizer is checked before any work (plain string, class, parameters)", () => {
  const asString = problemsOf(() => resolveConfig({ optimizer: "adam" }));
  ok(asString[0].includes('{ class: "adam" }'), asString[0]);
  const p = problemsOf(() =>
    resolveConfig({ optimizer: { class: "adamm" }, learning_rte: 1 }, { source: "job.ts" })
  );
  equal(p.length, 2);
  ok(p.some((x) => x.includes("unknown optimizer class 'adamm'")), p.join("\n"));
  const q = problemsOf(() => resolveConfig({ optimizer: { class: "adam", betaz: [0.9, 0.99] } }));
  ok(q[0].includes("'betaz'") && q[0].includes("betas"), q[0]);
});

Deno.test("config: a float key may be a string, as RETURNN's config.float casts it", () => {
  const s = resolveConfig({
    newbob_relative_error_threshold: "-inf",
    newbob_error_threshold: "inf",
    learning_rate: "1e-3",
    gradient_clip: "5",
  });
  equal(s.control.newbob_relative_error_threshold, -Infinity);
  equal(s.control.newbob_error_threshold, Infinity);
  equal(s.control.learning_rate, 0.001);
  equal(s.gradientClip, 5);
  const p = problemsOf(() => resolveConfig({ learning_rate: "fast", min_learning_rate: "inf" }));
  equal(p.length, 2);
});

Deno.test("config: error measure None keeps the control on (RETURNN's code, not its docs), with a note", () => {
  const s = resolveConfig({
    learning_rate_control: "newbob",
    learning_rate_control_error_measure: null,
  });
  equal(s.control.learning_rate_control_error_measure, null);
  ok(s.notes.some((n) => n.includes("does not disable the control")), s.notes.join("\n"));
  equal(resolveConfig({ learning_rate_control_error_measure: null }).notes.length, 0);
});

Deno.test("config: an optimizer dict with lr reports every other problem of the dict too", () => {
  const p = problemsOf(() =>
    resolveConfig({ optimizer: { class: "adma", lr: 0.1, betaz: [0.9, 0.99], eps: -1 } })
  );
  ok(p.some((x) => x.includes("'optimizer.lr' must not be set")), p.join("\n"));
  ok(p.some((x) => x.includes("unknown optimizer class 'adma'")), p.join("\n"));
  ok(p.some((x) => x.includes("unknown parameter 'betaz'")), p.join("\n"));
  equal(p.filter((x) => x.includes("'lr'") || x.includes("'optimizer.lr'")).length, 1);
  const q = problemsOf(() =>
    resolveConfig({ optimizer: { class: "adam", learning_rate: 1, weight_decay: -1, amsgrad: 2 } })
  );
  equal(q.length, 3, q.join("\n"));
});
