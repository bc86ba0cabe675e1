import { deepEqual, equal, ok } from "node:assert/strict";
import { createEngineUpdater, transformsOf } from "./wiring.ts";
import { resolveConfig } from "./config.ts";
import type { TrainModel } from "./model_types.ts";
import { fakeModel } from "./_fakes_test.ts";

function model(): TrainModel {
  return fakeModel(4, 3, 1);
}

async function hyperOf(config: Record<string, unknown>) {
  const u = await createEngineUpdater(resolveConfig(config), model());
  const saved = await u.exportState();
  u.dispose();
  return saved.meta as { class: string; hyper: Record<string, unknown> };
}

Deno.test("wiring: optimizer_epsilon and momentum reach the optimizer as RETURNN TF injects them", async () => {
  // RETURNN's 1e-16 epsilon by default, optimizer_epsilon when set, the dict's own epsilon wins.
  equal((await hyperOf({ optimizer: { class: "adam" } })).hyper.eps, 1e-16);
  equal((await hyperOf({ optimizer: { class: "adam" }, optimizer_epsilon: 1e-7 })).hyper.eps, 1e-7);
  equal(
    (await hyperOf({ optimizer: { class: "adam", epsilon: 1e-8 }, optimizer_epsilon: 1e-7 })).hyper
      .eps,
    1e-8,
  );
  // momentum is injected into classes that take one, and not into others.
  equal((await hyperOf({ optimizer: { class: "sgd" }, momentum: 0.9 })).hyper.momentum, 0.9);
  equal(
    (await hyperOf({ optimizer: { class: "sgd", momentum: 0.5 }, momentum: 0.9 })).hyper.momentum,
    0.5,
  );
  ok(!("momentum" in (await hyperOf({ optimizer: { class: "adam" }, momentum: 0.9 })).hyper));
});

Deno.test("wiring: transforms in the Torch order; style and window are separate keys", () => {
  const s = resolveConfig({
    gradient_clip_global_norm: 1,
    gradient_clip_norm: 2,
    gradient_clip: 3,
    gradient_noise: 0.1,
    accum_grad_multiple_step: 4,
    num_allowed_consec_invalid_gradient_steps: 0,
  });
  const kinds = transformsOf(s).map((t) => t.kind);
  deepEqual(kinds, [
    "accumulate",
    "noise",
    "clip_value",
    "clip_norm",
    "clip_global_norm",
    "skip_invalid",
  ]);
  const byDefault = transformsOf(s);
  deepEqual(byDefault[0], { kind: "accumulate", steps: 4, window: "global" });
  equal((byDefault[4] as { style: string }).style, "torch");
  const other = transformsOf(
    resolveConfig({
      gradient_clip_global_norm: 1,
      accum_grad_multiple_step: 2,
      accum_grad_window: "epoch",
      gradient_transform_style: "tf",
    }),
  );
  deepEqual(other[0], { kind: "accumulate", steps: 2, window: "epoch" });
  equal((other[1] as { style: string }).style, "tf");
  deepEqual(transformsOf(resolveConfig({})), []);
});

Deno.test("wiring: learning_rate_multiplier scales the step on the cpu engine", async () => {
  const s = resolveConfig({ optimizer: { class: "sgd", learning_rate_multiplier: 2 } });
  equal(s.learningRateMultiplier, 2);
  const m = model();
  const before = (await m.parameters()) as Float32Array[];
  const u = await createEngineUpdater(resolveConfig({ optimizer: { class: "sgd" } }), m);
  const g = before.map((p) => new Float32Array(p.length).fill(1));
  // The loop multiplies: lr 0.1 x 2 = 0.2 per step.
  await u.step(g, 0.1 * s.learningRateMultiplier, 0);
  const after = await u.parameters();
  equal(Math.fround(before[0][0] - 0.2), after[0][0]);
  u.dispose();
});

Deno.test("wiring: optimizer_epsilon only for classes that take one; momentum only when not 0", async () => {
  // A class without eps gets none (RETURNN injects only where the class takes 'epsilon').
  ok(!("eps" in (await hyperOf({ optimizer: { class: "sgd" }, optimizer_epsilon: 1e-3 })).hyper));
  // 'eps' (PyTorch's name) counts as set, like 'epsilon'.
  equal(
    (await hyperOf({ optimizer: { class: "adam", eps: 1e-6 }, optimizer_epsilon: 1e-3 })).hyper
      .eps,
    1e-6,
  );
  equal((await hyperOf({ optimizer: { class: "adagrad" } })).hyper.eps, 1e-16);
  // momentum = 0 (RETURNN's default) is not injected; no optimizer dict is plain SGD, and with
  // RETURNN's legacy momentum flag it is SGD with that momentum (TF's MomentumOptimizer).
  equal((await hyperOf({ optimizer: { class: "sgd" }, momentum: 0 })).hyper.momentum, 0);
  const plain = await hyperOf({});
  equal(plain.class, "sgd");
  equal(plain.hyper.momentum, 0);
  equal((await hyperOf({ momentum: 0.9 })).hyper.momentum, 0.9);
});
