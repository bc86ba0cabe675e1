import { deepEqual, equal, ok, rejects, throws } from "node:assert/strict";
import { gpuTest } from "../tests/_gpu.ts";
import { everyBackend } from "../tests/_parity.ts";
import { acquireGpu } from "../gpu/mod.ts";
import { type Backend, createOptimizer, InvalidGradientError } from "../optimizers/mod.ts";
import {
  accumulateGradients,
  addNoise,
  chain,
  clipByGlobalNorm,
  clipByNorm,
  clipByValue,
  compilePlan,
  skipInvalidGradients,
  transformsFromConfig,
  weightDecay,
} from "./mod.ts";

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return Math.fround(((s >>> 8) / 2 ** 24) * 2 - 1);
  };
}
const arrays = (sizes: number[], r: () => number) =>
  sizes.map((n) => Float32Array.from({ length: n }, r));
const sum = (gs: Float32Array[][]) =>
  gs[0].map((_, t) =>
    gs.slice(1).reduce(
      (acc, g) => acc.map((v, j) => Math.fround(v + g[t][j])),
      Float32Array.from(gs[0][t]),
    )
  );

const SIZES = [5, 130, 1];
const ADAM = { class: "adam", eps: 1e-8 };

/** Run `dict` on `grads` with plain steps (the reference). */
async function reference(
  backend: Backend,
  dict: Record<string, unknown>,
  init: Float32Array[],
  grads: Float32Array[][],
  lr = 1e-2,
) {
  const opt = await createOptimizer(dict, { backend });
  const st = await opt.init(init);
  for (const g of grads) await opt.step(st, g, { learningRate: lr });
  return await opt.read(st);
}

Deno.test("factories validate their arguments", () => {
  throws(() => clipByValue(0), /'clipValue' must be a number > 0: current value is 0/);
  throws(() => clipByGlobalNorm(NaN), /'maxNorm'/);
  throws(() => clipByGlobalNorm(1, { normType: 3 as never }), /'normType' must be 2, 1 or "inf"/);
  throws(() => addNoise(-1), /'sigma'/);
  throws(() => addNoise(1, { seed: -1 }), /'seed' must be an integer/);
  throws(() => accumulateGradients(0), /'steps' must be an integer in \[1/);
  throws(() => skipInvalidGradients(-1), /'allowed'/);
  throws(() => weightDecay(-0.1), /'rate'/);
  throws(() => chain(clipByValue(1), {} as never), /last argument must be an optimizer dict/);
  throws(
    () => compilePlan([clipByValue(1), accumulateGradients(2)]),
    /accumulation must come first/,
  );
});

Deno.test("transformsFromConfig: Torch order; style picks the norm rule, window is separate", () => {
  const cfg = {
    accum_grad_multiple_step: 2,
    gradient_noise: 0.1,
    gradient_clip: 5,
    gradient_clip_norm: 2,
    gradient_clip_global_norm: 1,
    num_allowed_consec_invalid_gradient_steps: 3,
  };
  const order = ["accumulate", "noise", "clip_value", "clip_norm", "clip_global_norm"];
  const torch = transformsFromConfig(cfg);
  deepEqual(torch.map((t) => t.kind), [...order, "skip_invalid"]);
  equal((torch[0] as { window: string }).window, "global");
  equal((torch[4] as { style: string }).style, "torch");
  const tf = transformsFromConfig(cfg, { style: "tf", window: "epoch" });
  deepEqual(tf.map((t) => t.kind), [...order, "skip_invalid"]);
  equal((tf[0] as { window: string }).window, "epoch");
  equal((tf[4] as { style: string }).style, "tf");
  throws(() => transformsFromConfig({ gradient_clip: -1 }), RangeError);
  deepEqual(transformsFromConfig({ gradient_clip: 0, accum_grad_multiple_step: 1 }), []);
});

everyBackend(
  "accumulation: K micro-steps then update == one step with the summed gradient",
  async (backend) => {
    const r = rng(1);
    const init = arrays(SIZES, r);
    const g = Array.from({ length: 6 }, () => arrays(SIZES, r));
    const opt = await createOptimizer(chain(accumulateGradients(3), ADAM), { backend });
    const st = await opt.init(init);
    for (let k = 0; k < 3; k++) await opt.step(st, g[k], { learningRate: 1e-2 });
    deepEqual(await opt.read(st), await reference(backend, ADAM, init, [sum(g.slice(0, 3))]));
    for (let k = 3; k < 5; k++) await opt.step(st, g[k], { learningRate: 1e-2 });
    // Mid-window: no update yet.
    deepEqual(await opt.read(st), await reference(backend, ADAM, init, [sum(g.slice(0, 3))]));
    await opt.step(st, g[5], { learningRate: 1e-2 });
    deepEqual(
      await opt.read(st),
      await reference(backend, ADAM, init, [sum(g.slice(0, 3)), sum(g.slice(3, 6))]),
    );
  },
);

everyBackend(
  "accumulation windows: global spans epochs, epoch discards a partial window",
  async (backend) => {
    const r = rng(2);
    const init = arrays(SIZES, r);
    const g = Array.from({ length: 7 }, () => arrays(SIZES, r));
    const epochs = [1, 1, 1, 1, 2, 2, 2];
    // Global (TF): windows [0..2], [3..5] regardless of the epoch change after micro-step 3.
    const tf = await createOptimizer(chain(accumulateGradients(3), ADAM), { backend });
    const st = await tf.init(init);
    for (let k = 0; k < 6; k++) await tf.step(st, g[k], { learningRate: 1e-2, epoch: epochs[k] });
    deepEqual(
      await tf.read(st),
      await reference(backend, ADAM, init, [sum(g.slice(0, 3)), sum(g.slice(3, 6))]),
    );
    // Epoch (PyTorch): epoch 1 updates on [0..2], drops [3]; epoch 2 updates on [4..6].
    const pt = await createOptimizer(
      chain(accumulateGradients(3, { window: "epoch" }), ADAM),
      { backend },
    );
    const sp = await pt.init(init);
    for (let k = 0; k < 7; k++) await pt.step(sp, g[k], { learningRate: 1e-2, epoch: epochs[k] });
    deepEqual(
      await pt.read(sp),
      await reference(backend, ADAM, init, [sum(g.slice(0, 3)), sum(g.slice(4, 7))]),
    );
    // Explicit global steps (e.g. resuming at global step 5): the update comes at g = 5.
    const gs = await createOptimizer(chain(accumulateGradients(3), ADAM), { backend });
    const sg = await gs.init(init);
    await gs.step(sg, g[0], { learningRate: 1e-2, globalStep: 4 });
    await gs.step(sg, g[1], { learningRate: 1e-2, globalStep: 5 });
    deepEqual(await gs.read(sg), await reference(backend, ADAM, init, [sum(g.slice(0, 2))]));
  },
);

everyBackend("weight decay transforms == the optimizers' own weight decay", async (backend) => {
  const r = rng(3);
  const init = arrays(SIZES, r);
  const g = Array.from({ length: 3 }, () => arrays(SIZES, r));
  const run = async (spec: Parameters<typeof createOptimizer>[0]) => {
    const opt = await createOptimizer(spec, { backend });
    const st = await opt.init(init);
    for (const x of g) await opt.step(st, x, { learningRate: 0.1 });
    return await opt.read(st);
  };
  deepEqual(await run(chain(weightDecay(0.1), ADAM)), await run({ ...ADAM, weight_decay: 0.1 }));
  deepEqual(
    await run(
      chain(weightDecay(0.1, { mode: "decoupled" }), {
        class: "adamw",
        eps: 1e-8,
        weight_decay: 0,
      }),
    ),
    await run({ class: "adamw", eps: 1e-8, weight_decay: 0.1 }),
  );
  // Constant (RETURNN TF decouple_constraints): p·(1 - rate) with SGD lr 0.1 and zero grads.
  const opt = await createOptimizer(
    chain(weightDecay(0.5, { mode: "constant" }), { class: "sgd" }),
    { backend },
  );
  const st = await opt.init([new Float32Array([2, -4])]);
  await opt.step(st, [new Float32Array(2)], { learningRate: 0.1 });
  deepEqual(await opt.read(st), [new Float32Array([1, -2])]);
});

everyBackend("TF style: per-tensor norm clip and raw global norm", async (backend) => {
  // Two tensors: norms 5 and 13; clip_norm 6 scales only the second by 6/13.
  const grads = [new Float32Array([3, 4]), new Float32Array([5, 12])];
  const opt = await createOptimizer(
    chain(clipByNorm(6), clipByGlobalNorm(100, { style: "tf" }), { class: "sgd" }),
    { backend },
  );
  const st = await opt.init([new Float32Array(2), new Float32Array(2)]);
  await opt.step(st, grads, { learningRate: 1 });
  const [a, b] = await opt.read(st);
  deepEqual([...a], [-3, -4]);
  const s = Math.fround(6 / 13);
  ok(Math.abs(b[0] + 5 * s) < 1e-6 && Math.abs(b[1] + 12 * s) < 1e-6, `${b}`);
  // The TF global norm is of the raw gradients: sqrt(25 + 169).
  ok(Math.abs(await opt.lastGradNorm(st) - Math.sqrt(194)) < 1e-5);
  // Global clip below the raw norm: coefficient c/max(N, c) applied after the per-tensor clip.
  const o2 = await createOptimizer(
    chain(clipByGlobalNorm(Math.sqrt(194) / 2, { style: "tf" }), { class: "sgd" }),
    { backend },
  );
  const s2 = await o2.init([new Float32Array(2), new Float32Array(2)]);
  await o2.step(s2, grads, { learningRate: 1 });
  const [c] = await o2.read(s2);
  ok(Math.abs(c[0] + 1.5) < 1e-6 && Math.abs(c[1] + 2) < 1e-6, `${c}`);
});

everyBackend(
  "TF style with accumulation: the global norm is the mini-batch's, per-tensor the sum's",
  async (backend) => {
    // Two mini-batches of [0.6, 0.8] (norm 1): summed [1.2, 1.6] (norm 2).
    const mb = [new Float32Array([0.6, 0.8])];
    const global = await createOptimizer(
      chain(accumulateGradients(2), clipByGlobalNorm(1, { style: "tf" }), { class: "sgd" }),
      { backend },
    );
    const sg = await global.init([new Float32Array(2)]);
    await global.step(sg, mb, { learningRate: 1 });
    await global.step(sg, mb, { learningRate: 1 });
    // RETURNN TF measures this mini-batch's raw norm (1 <= c): the summed gradient is not clipped.
    const [a] = await global.read(sg);
    ok(Math.abs(a[0] + 1.2) < 1e-6 && Math.abs(a[1] + 1.6) < 1e-6, `${a}`);
    const perTensor = await createOptimizer(
      chain(accumulateGradients(2), clipByNorm(1), { class: "sgd" }),
      { backend },
    );
    const st = await perTensor.init([new Float32Array(2)]);
    await perTensor.step(st, mb, { learningRate: 1 });
    await perTensor.step(st, mb, { learningRate: 1 });
    // gradient_clip_norm clips the processed (summed) gradient: norm 2 -> 1.
    const [b] = await perTensor.read(st);
    ok(Math.abs(b[0] + 0.6) < 1e-6 && Math.abs(b[1] + 0.8) < 1e-6, `${b}`);
  },
);

everyBackend(
  "invalid gradients: skipped and counted; more than allowed in a row abort",
  async (backend) => {
    const r = rng(4);
    const init = arrays(SIZES, r);
    const g = Array.from({ length: 3 }, () => arrays(SIZES, r));
    const bad = SIZES.map((n) => new Float32Array(n));
    bad[1][7] = NaN;
    const opt = await createOptimizer(chain(skipInvalidGradients(1), ADAM), { backend });
    const st = await opt.init(init);
    await opt.step(st, g[0], { learningRate: 1e-2 });
    await opt.step(st, bad, { learningRate: 1e-2 }); // skipped (1 in a row: allowed)
    await opt.read(st); // synchronise: the skipped update gives its step count back
    await opt.step(st, g[1], { learningRate: 1e-2 });
    const want = await reference(backend, ADAM, init, [g[0], g[1]]);
    deepEqual(await opt.read(st), want);
    ok(Number.isFinite(await opt.lastGradNorm(st)));
    const saved = await opt.exportState(st);
    equal(saved.config.groups[0].host.step, 2);
    equal(saved.config.counters.skipped, 1);
    // Two in a row: more than allowed.
    await opt.step(st, bad, { learningRate: 1e-2 });
    const aborted = (e: Error) =>
      e instanceof InvalidGradientError && e.step === 5 && /update step 5/.test(e.message);
    if (backend !== "webgpu") {
      // The host backends (cpu, wasm) know at once.
      await rejects(opt.step(st, bad, { learningRate: 1e-2 }), aborted);
    } else {
      await opt.step(st, bad, { learningRate: 1e-2 }); // no readback: raised on the next read
    }
    await rejects(opt.read(st), aborted);
    ok(Number.isNaN(await opt.lastGradNorm(st)));
    // A new epoch resets the count.
    const o2 = await createOptimizer(chain(skipInvalidGradients(1), ADAM), { backend });
    const s2 = await o2.init(init);
    await o2.step(s2, bad, { learningRate: 1e-2, epoch: 1 });
    await o2.step(s2, bad, { learningRate: 1e-2, epoch: 2 });
    deepEqual(await o2.read(s2), init);
  },
);

gpuTest("invalid gradients on webgpu: the periodic check raises without a read", async () => {
  const opt = await createOptimizer(
    chain(skipInvalidGradients(0, { checkInterval: 1 }), { class: "sgd" }),
    { backend: "webgpu" },
  );
  const st = await opt.init([new Float32Array(4)]);
  await opt.step(st, [new Float32Array([0, Infinity, 0, 0])], { learningRate: 0.1 });
  const gpu = await acquireGpu();
  await gpu.device.queue.onSubmittedWorkDone();
  await new Promise((r) => setTimeout(r, 50));
  await rejects(
    opt.step(st, [new Float32Array(4)], { learningRate: 0.1 }),
    (e: Error) => e instanceof InvalidGradientError && e.step === 1,
  );
});

gpuTest("clip + noise + decay + Adam on webgpu: no readback per step (counted)", async () => {
  const r = rng(5);
  const sizes = Array.from({ length: 50 }, (_, i) => 1 + (i * 53) % 200);
  const spec = chain(
    clipByValue(1),
    addNoise(1e-3, { seed: 11 }),
    weightDecay(0.01, { mode: "decoupled" }),
    clipByGlobalNorm(1),
    { class: "adam", eps: 1e-8 },
  );
  const opt = await createOptimizer(spec, { backend: "webgpu" });
  const st = await opt.init(arrays(sizes, r));
  const grads = arrays(sizes, r);
  const gpu = await acquireGpu();
  const before = { ...gpu.stats };
  for (let k = 0; k < 10; k++) await opt.step(st, grads, { learningRate: 1e-3 });
  equal(gpu.stats.awaits - before.awaits, 0);
  equal(gpu.stats.submits - before.submits, 10);
  equal(gpu.stats.buffers - before.buffers, 0);
  // Norm pass 1 (one chunk), pass 2 (one group), pass 3, update: 4 dispatches per step.
  equal(gpu.stats.dispatches - before.dispatches, 40);
  // The same chain on cpu agrees closely.
  const cpu = await createOptimizer(spec, { backend: "cpu" });
  const sc = await cpu.init(arrays(sizes, rng(5)));
  for (let k = 0; k < 10; k++) await cpu.step(sc, grads, { learningRate: 1e-3 });
  const [a, b] = [await opt.read(st), await cpu.read(sc)];
  a.forEach((x, t) => x.forEach((v, j) => ok(Math.abs(v - b[t][j]) < 1e-5, `${v} vs ${b[t][j]}`)));
  ok(Math.abs(await opt.lastGradNorm(st) - await cpu.lastGradNorm(sc)) < 1e-4);
});

everyBackend(
  "lastGradNorm without a norm says how to get one; trackGradNorm measures",
  async (backend) => {
    const opt = await createOptimizer(ADAM, { backend });
    const st = await opt.init([new Float32Array(2)]);
    await rejects(opt.lastGradNorm(st), /trackGradNorm: true/);
    const o2 = await createOptimizer(ADAM, { backend, trackGradNorm: true });
    const s2 = await o2.init([new Float32Array(2)]);
    await o2.step(s2, [new Float32Array([3, 4])], { learningRate: 0.1 });
    equal(await o2.lastGradNorm(s2), 5);
  },
);

gpuTest("reductions over chunked arenas and several groups agree with cpu", async () => {
  const r = rng(6);
  const sizes = [700, 3, 1500, 64, 65, 1];
  const init = arrays(sizes, r);
  const grads = Array.from({ length: 3 }, () => arrays(sizes, r).map((a) => a.map((v) => v * 10)));
  const spec = chain(
    addNoise(0.1, { seed: 3 }),
    clipByValue(8),
    clipByNorm(20),
    clipByGlobalNorm(15, { normType: 2 }),
    { class: "adam", eps: 1e-8, weight_decay: 0.01 },
  );
  const out: Float32Array[][] = [];
  const norms: number[] = [];
  for (const backend of ["cpu", "webgpu"] as const) {
    const opt = await createOptimizer(spec, {
      backend,
      webgpu: { chunkFloats: 256 },
      paramGroups: [{ params: [2, 5], learningRateMultiplier: 0.5 }],
    });
    const st = await opt.init(init, { names: ["w1", "b1", "w2", "ln", "w3", "bias"] });
    for (const g of grads) await opt.step(st, g, { learningRate: 1e-2 });
    out.push(await opt.read(st));
    norms.push(await opt.lastGradNorm(st));
  }
  out[0].forEach((a, t) =>
    a.forEach((v, j) =>
      ok(Math.abs(v - out[1][t][j]) < 2e-6, `[${t}][${j}] ${v} vs ${out[1][t][j]}`)
    )
  );
  ok(Math.abs(norms[0] - norms[1]) <= 1e-5 * norms[0], `${norms}`);
});
