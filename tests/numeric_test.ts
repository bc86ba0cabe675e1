/**
 * Numeric faults: NaN/Inf gradients injected on `cpu` and `webgpu` follow
 * `num_allowed_consec_invalid_gradient_steps` (skip, count, reset on a finite step or a new
 * epoch, abort with a clear error past the allowance); without it, the check on read-back stops
 * the run naming the first non-finite tensor before anything is saved. NaN/Inf/zero scores
 * follow the spec (sections 3, 5, 13): NaN relative errors take the growth branch (newbob_rel,
 * newbob_abs) or change nothing (multi-epoch); a zero divisor stops with the clear error.
 *
 * @module
 */

import { deepEqual, equal, match, notEqual, rejects, throws } from "node:assert/strict";
import { join } from "node:path";
import { gpuTest, tempDir } from "./_gpu.ts";
import { tinyConfig } from "./_crash.ts";
import { trainWithHooks } from "./_train_hooks.ts";
import { createOptimizer, InvalidGradientError } from "../optimizers/mod.ts";
import { chain, skipInvalidGradients } from "../transforms/mod.ts";
import { LearningRateControl } from "../control/learning_rate_control.ts";
import { parseLearningRateFile } from "../control/lr_file.ts";
import { decodeCheckpoint } from "../trainer/checkpoint.ts";
import { NonFiniteParameterError } from "../trainer/finite_check.ts";

// ------------------------------------------------------------------ engine level

type Backend = "cpu" | "webgpu";

/**
 * SGD (lr 0.5) on one 4-element tensor with the given gradient values per update; returns the
 * parameters, or the InvalidGradientError raised on a step or on the read.
 */
async function runSgd(
  backend: Backend,
  allowed: number,
  steps: { g: number; epoch: number }[],
): Promise<{ params?: Float32Array; error?: InvalidGradientError }> {
  const opt = await createOptimizer(
    chain(skipInvalidGradients(allowed, { checkInterval: 1 }), { class: "sgd" }),
    { backend },
  );
  const state = await opt.init([new Float32Array([1, 2, 3, 4])], { names: ["w"] });
  try {
    for (const s of steps) {
      await opt.step(state, [new Float32Array(4).fill(s.g)], {
        learningRate: 0.5,
        epoch: s.epoch,
      });
    }
    const [params] = await opt.read(state);
    return { params };
  } catch (e) {
    if (e instanceof InvalidGradientError) return { error: e };
    throw e;
  } finally {
    opt.dispose(state);
  }
}

const expected = (sumOfFiniteGrads: number) =>
  Float32Array.from([1, 2, 3, 4], (p) => p - 0.5 * sumOfFiniteGrads);

async function invalidGradientRules(backend: Backend): Promise<void> {
  // Two invalid updates in a row are skipped; a finite one resets the count.
  let r = await runSgd(backend, 2, [
    { g: 1, epoch: 1 },
    { g: NaN, epoch: 1 },
    { g: Infinity, epoch: 1 },
    { g: 1, epoch: 1 },
    { g: -Infinity, epoch: 1 },
    { g: NaN, epoch: 1 },
    { g: 1, epoch: 1 },
  ]);
  equal(r.error, undefined);
  deepEqual(r.params, expected(3));
  // A new epoch resets the count.
  r = await runSgd(backend, 2, [
    { g: NaN, epoch: 1 },
    { g: NaN, epoch: 1 },
    { g: NaN, epoch: 2 },
    { g: NaN, epoch: 2 },
    { g: 1, epoch: 2 },
  ]);
  equal(r.error, undefined);
  deepEqual(r.params, expected(1));
  // A third invalid update in a row aborts, naming the update step and the setting.
  r = await runSgd(backend, 2, [
    { g: 1, epoch: 1 },
    { g: NaN, epoch: 1 },
    { g: NaN, epoch: 1 },
    { g: Infinity, epoch: 1 },
    { g: 1, epoch: 1 },
  ]);
  notEqual(r.error, undefined);
  equal(r.error!.step, 4);
  match(r.error!.message, /num_allowed_consec_invalid_gradient_steps=2/);
  // allowed = 0 aborts on the first invalid update.
  r = await runSgd(backend, 0, [{ g: 1, epoch: 1 }, { g: NaN, epoch: 1 }]);
  equal(r.error?.step, 2);
}

Deno.test("numeric: cpu engine: NaN/Inf gradients follow num_allowed_consec_invalid_gradient_steps", async () => {
  await invalidGradientRules("cpu");
});

gpuTest(
  "numeric: webgpu engine: NaN/Inf gradients follow num_allowed_consec_invalid_gradient_steps",
  async () => {
    await invalidGradientRules("webgpu");
  },
);

// ------------------------------------------------------------------ trainer level

/** Poison the gradients of the listed steps (1-based over the run) with the value. */
function poison(steps: Record<number, number>) {
  return (n: number, grads: Float32Array[] | GPUBuffer[], device?: GPUDevice) => {
    const v = steps[n];
    if (v === undefined) return;
    for (const g of grads) {
      if (g instanceof Float32Array) g.fill(v);
      else device!.queue.writeBuffer(g, 0, new Float32Array(g.size / 4).fill(v));
    }
  };
}

async function checkpointEpoch(out: string): Promise<number> {
  const path = join(out, "checkpoint.nbck");
  return decodeCheckpoint(await Deno.readFile(path), path).epoch;
}

function allFinite(params: readonly Float32Array[]): boolean {
  return params.every((p) => p.every(Number.isFinite));
}

async function trainerRules(backend: Backend): Promise<void> {
  const dir = await tempDir("numeric-");
  try {
    const config = { ...tinyConfig(2), backend, log_every_steps: 1 };
    // 12 steps per epoch: steps 15, 16 are in epoch 2.
    // Within the allowance: skipped, the run completes with finite parameters.
    const ok = await trainWithHooks(
      { ...config, num_allowed_consec_invalid_gradient_steps: 2 },
      join(dir, "a"),
      { grads: poison({ 15: NaN, 16: Infinity }) },
    );
    equal(allFinite(ok.parameters), true);
    // Past the allowance: InvalidGradientError; epoch 1's checkpoint is kept.
    await rejects(
      trainWithHooks(
        { ...config, num_allowed_consec_invalid_gradient_steps: 2 },
        join(dir, "b"),
        { grads: poison({ 15: NaN, 16: Infinity, 17: NaN }) },
      ),
      (e: Error) => e instanceof InvalidGradientError && /update step 17/.test(e.message),
    );
    equal(await checkpointEpoch(join(dir, "b")), 1);
    // Without the setting: the read-back check names the first non-finite tensor; nothing
    // non-finite is saved.
    await rejects(
      trainWithHooks(config, join(dir, "c"), { grads: poison({ 15: NaN }) }),
      (e: Error) => {
        if (!(e instanceof NonFiniteParameterError)) throw e;
        equal(e.tensor.length > 0, true);
        match(e.message, /resume from the last checkpoint/);
        return true;
      },
    );
    equal(await checkpointEpoch(join(dir, "c")), 1);
    const path = join(dir, "c", "checkpoint.nbck");
    equal(allFinite(decodeCheckpoint(await Deno.readFile(path), path).params), true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("numeric: cpu trainer: invalid gradients skipped, aborted, or caught on read-back", async () => {
  await trainerRules("cpu");
});

gpuTest(
  "numeric: webgpu trainer: invalid gradients skipped, aborted, or caught on read-back",
  async () => {
    await trainerRules("webgpu");
  },
);

Deno.test("numeric: the read-back check names the first non-finite tensor (cpu, at the step)", async () => {
  const dir = await tempDir("numeric-");
  try {
    await rejects(
      trainWithHooks(tinyConfig(1), join(dir, "out"), { grads: poison({ 3: -Infinity }) }),
      (e: Error) =>
        e instanceof NonFiniteParameterError && /after update step 3 \(epoch 1\)/.test(e.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// ------------------------------------------------------------------ scores

/** The learning rates of epochs 1..n with the given dev scores (one per epoch). */
function ratesFor(config: Record<string, unknown>, scores: number[]): number[] {
  const c = new LearningRateControl({ learning_rate: 1.0, ...config });
  const rates: number[] = [];
  scores.forEach((s, i) => {
    rates.push(c.learningRateForEpoch(i + 1));
    c.setEpochError(i + 1, { dev_score: s });
  });
  rates.push(c.learningRateForEpoch(scores.length + 1));
  return rates;
}

Deno.test("numeric: NaN/Inf scores follow the spec (sections 3, 5, 13)", () => {
  const rel = {
    learning_rate_control: "newbob_rel",
    newbob_learning_rate_decay: 0.5,
    newbob_learning_rate_growth: 2.0,
  };
  // NaN relative error: decay is false, so newbob_rel grows.
  deepEqual(ratesFor(rel, [1, NaN]), [1, 1, 2]);
  deepEqual(ratesFor(rel, [NaN, 1]), [1, 1, 2]);
  // Inf: divided by the new score (default) gives NaN -> grow; divided by the old one, +Inf -> decay.
  deepEqual(ratesFor(rel, [1, Infinity]), [1, 1, 2]);
  deepEqual(ratesFor({ ...rel, newbob_relative_error_div_by_old: true }, [1, Infinity]), [
    1,
    1,
    0.5,
  ]);
  // newbob_abs: a NaN difference grows as well.
  deepEqual(
    ratesFor({ ...rel, learning_rate_control: "newbob_abs" }, [1, NaN]),
    [1, 1, 2],
  );
  // multi-epoch: a NaN mean changes nothing.
  deepEqual(
    ratesFor({
      learning_rate_control: "newbob_multi_epoch",
      newbob_multi_num_epochs: 2,
      newbob_multi_update_interval: 1,
      newbob_learning_rate_decay: 0.5,
    }, [1, 2, NaN, 4]),
    [1, 1, 0.5, 0.5, 0.5],
  );
});

Deno.test("numeric: a zero score stops with the spec's clear error (trainer, file intact)", async () => {
  const dir = await tempDir("numeric-");
  try {
    const out = join(dir, "out");
    await rejects(
      trainWithHooks(tinyConfig(3), out, {
        // eval 4 = dev of epoch 2: a zero score, the divisor of epoch 3's decision.
        evalResult: (n, r) => n === 4 ? { ...r, score: 0 } : r,
      }),
      (e: Error) => {
        match(e.message, /epoch 3/);
        match(e.message, /dev_score/);
        match(e.message, /ZeroDivisionError/);
        match(e.message, /Fix:/);
        return true;
      },
    );
    equal(await checkpointEpoch(out), 2);
    const lr = parseLearningRateFile(await Deno.readTextFile(join(out, "learning_rates")));
    equal(lr.size, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("numeric: NaN scores are stored as float('nan') and read back", async () => {
  const dir = await tempDir("numeric-");
  try {
    const out = join(dir, "out");
    await trainWithHooks(tinyConfig(3), out, {
      evalResult: (n, r) => n === 2 ? { ...r, score: NaN } : r, // dev of epoch 1
    });
    const text = await Deno.readTextFile(join(out, "learning_rates"));
    match(text, /'dev_score': float\('nan'\)/); // RETURNN's better_repr
    const lr = parseLearningRateFile(text);
    equal(Number.isNaN(lr.get(1)!.error.get("dev_score")), true);
    throws(() => parseLearningRateFile(text.replace("float('nan')", "float('nan'")));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
