import assert from "node:assert/strict";
import { createTfjsModel, type MlpSpec } from "./tfjs_model.ts";
import { loadTfjs } from "./tfjs_backend.ts";
import type { Batch } from "./model_types.ts";
import { gpuTest } from "../tests/_gpu.ts";
import { acquireGpu } from "../gpu/mod.ts";
import { createOptimizer } from "../optimizers/mod.ts";

const tiny: MlpSpec = { kind: "mlp", inputDim: 3, hidden: [4], numClasses: 3, activation: "tanh" };
const batch: Batch = {
  x: new Float32Array([0.1, -0.4, 0.9, 0.5, 0.2, -0.3, -0.7, 0.8, 0.05, 0.3, 0.3, 0.3]),
  y: new Int32Array([0, 2, 1, 2]),
  size: 4,
};

Deno.test("tfjs mlp (cpu): names, shapes, seeded Glorot init, zero biases", async () => {
  const a = await createTfjsModel(tiny, { backend: "cpu", seed: 3 });
  const b = await createTfjsModel(tiny, { backend: "cpu", seed: 3 });
  const c = await createTfjsModel(tiny, { backend: "cpu", seed: 4 });
  assert.deepEqual(a.names, ["dense_0/kernel", "dense_0/bias", "dense_1/kernel", "dense_1/bias"]);
  assert.deepEqual(a.shapes, [[3, 4], [4], [4, 3], [3]]);
  const [pa, pb, pc] = await Promise.all([a.parameters(), b.parameters(), c.parameters()]);
  assert.deepEqual(pa, pb);
  assert.notDeepEqual(pa[0], pc[0]);
  const limit = Math.sqrt(6 / 7);
  assert.ok((pa[0] as Float32Array).every((v) => Math.abs(v) <= limit));
  assert.ok((pa[1] as Float32Array).every((v) => v === 0));
  [a, b, c].forEach((m) => m.dispose());
});

Deno.test("tfjs mlp (cpu): gradients match central finite differences", async () => {
  const model = await createTfjsModel(tiny, { backend: "cpu", seed: 1 });
  const params = (await model.parameters()) as Float32Array[];
  // Non-zero biases, so their gradients are exercised away from the init.
  params[1].set([0.1, -0.2, 0.05, 0.3]);
  params[3].set([0.2, -0.1, 0]);
  await model.setParameters(params);
  const g = model.gradients(batch);
  const grads = g.grads as Float32Array[];
  const loss0 = await g.loss();
  g.dispose();
  const lossAt = async (p: Float32Array[]) => {
    await model.setParameters(p);
    return (await model.evaluate(batch.x, batch.y, 4)).score;
  };
  assert.ok(Math.abs((await lossAt(params)) - loss0) < 1e-6);
  const eps = 1e-2;
  for (let t = 0; t < params.length; t++) {
    assert.equal(grads[t].length, params[t].length);
    for (let i = 0; i < params[t].length; i++) {
      const plus = params.map((p) => p.slice());
      const minus = params.map((p) => p.slice());
      plus[t][i] += eps;
      minus[t][i] -= eps;
      const fd = ((await lossAt(plus)) - (await lossAt(minus))) / (2 * eps);
      assert.ok(
        Math.abs(fd - grads[t][i]) < 2e-3,
        `${model.names[t]}[${i}]: analytic ${grads[t][i]}, finite difference ${fd}`,
      );
    }
  }
  model.dispose();
});

Deno.test("tfjs mlp (cpu): evaluate reports cross-entropy and error rate", async () => {
  const model = await createTfjsModel(
    { kind: "mlp", inputDim: 2, hidden: [], numClasses: 2 },
    { backend: "cpu" },
  );
  // Logits = x W + b with W = I: the class is the larger feature.
  await model.setParameters([new Float32Array([1, 0, 0, 1]), new Float32Array([0, 0])]);
  const x = new Float32Array([2, 0, 0, 2, 2, 0, 0, 1]);
  const y = new Int32Array([0, 1, 1, 1]);
  const r = await model.evaluate(x, y, 3);
  const nll = (a: number, b: number) => Math.log(Math.exp(a) + Math.exp(b)) - a;
  const expected = (nll(2, 0) + nll(2, 0) + nll(0, 2) + nll(1, 0)) / 4;
  assert.equal(r.count, 4);
  assert.equal(r.error, 0.25);
  assert.ok(Math.abs(r.score - expected) < 1e-5, `score ${r.score} vs ${expected}`);
  model.dispose();
});

Deno.test("tfjs model (cpu): LayersModel and {variables, logits} specs", async () => {
  const { tf } = await loadTfjs("cpu");
  const layers = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [3], units: 5, activation: "relu" }),
      tf.layers.dense({ units: 3, activation: "softmax" }),
    ],
  });
  const m1 = await createTfjsModel(layers, { backend: "cpu" });
  assert.equal(m1.names.length, 4);
  assert.deepEqual(m1.shapes, [[3, 5], [5], [5, 3], [3]]);
  const g1 = m1.gradients(batch);
  assert.equal((g1.grads as Float32Array[])[2].length, 15);
  // Softmax output is treated as probabilities: the loss equals the evaluated score.
  const r1 = await m1.evaluate(batch.x, batch.y, 2);
  assert.ok(Math.abs((await g1.loss()) - r1.score) < 1e-5);
  g1.dispose();
  m1.dispose();
  layers.dispose();

  const w = tf.variable(tf.zeros([3, 3]), true, "test_w");
  const m2 = await createTfjsModel({
    variables: [w],
    logits: (x) => tf.matMul(x, w),
  }, { backend: "cpu" });
  assert.deepEqual(m2.names, ["test_w"]);
  const g2 = m2.gradients(batch);
  assert.ok(Math.abs((await g2.loss()) - Math.log(3)) < 1e-6);
  g2.dispose();
  const r2 = await m2.evaluate(batch.x, batch.y, 10);
  assert.ok(Math.abs(r2.score - Math.log(3)) < 1e-6);
  m2.dispose();
  w.dispose();
});

Deno.test("tfjs model: bad specs and batches fail with the fix in the message", async () => {
  await assert.rejects(
    () => createTfjsModel({ kind: "mlp", inputDim: 0, hidden: [], numClasses: 2 }),
    /'inputDim' must be a positive integer: current value is 0/,
  );
  await assert.rejects(() => createTfjsModel({} as never), /spec must be/);
  await assert.rejects(
    () => createTfjsModel(tiny, { backend: "tpu" as never }),
    /must be one of cpu, wasm, webgpu/,
  );
  const model = await createTfjsModel(tiny);
  assert.throws(
    () => model.gradients({ x: new Float32Array(4), y: new Int32Array([0, 1]), size: 2 }),
    /expects 3 values per row/,
  );
  assert.throws(
    () => model.gradients({ x: new Float32Array(3), y: new Int32Array([7]), size: 1 }),
    /label 7: the model has 3 classes/,
  );
  model.dispose();
  assert.throws(() => model.gradients(batch), /disposed/);
});

/** `p -= lr * g` on the device, encoded and submitted like the optimizer engine does. */
function sgdOnDevice(device: GPUDevice, params: GPUBuffer[], grads: GPUBuffer[], lr: number) {
  const module = device.createShaderModule({
    code: `
      @group(0) @binding(0) var<storage, read_write> p: array<f32>;
      @group(0) @binding(1) var<storage, read> g: array<f32>;
      override n: u32;
      override lr: f32;
      @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3u) {
        if (id.x < n) { p[id.x] -= lr * g[id.x]; }
      }`,
  });
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  params.forEach((p, i) => {
    const n = p.size / 4;
    const pipeline = device.createComputePipeline({
      layout: "auto",
      compute: { module, entryPoint: "main", constants: { n, lr } },
    });
    pass.setPipeline(pipeline);
    pass.setBindGroup(
      0,
      device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: [{ binding: 0, resource: { buffer: p } }, {
          binding: 1,
          resource: { buffer: grads[i] },
        }],
      }),
    );
    pass.dispatchWorkgroups(Math.ceil(n / 64));
  });
  pass.end();
  device.queue.submit([enc.finish()]);
}

gpuTest(
  "tfjs mlp (webgpu): GPU gradients match cpu; in-place updates reach the variables",
  async () => {
    const { device } = await acquireGpu();
    const cpu = await createTfjsModel(tiny, { backend: "cpu", seed: 2 });
    const gpu = await createTfjsModel(tiny, { backend: "webgpu", seed: 2, device });
    assert.match(gpu.message, /shared GPUDevice/);
    const params = (await gpu.parameters()) as GPUBuffer[];
    assert.ok(params.every((b) => b instanceof GPUBuffer));
    assert.deepEqual(
      params.map((b) => b.size),
      gpu.shapes.map((s) => 4 * s.reduce((a, b) => a * b)),
    );

    const gc = cpu.gradients(batch);
    const gg = gpu.gradients(batch);
    assert.ok(gg.grads.every((b) => b instanceof GPUBuffer));
    const ctx = await acquireGpu({ device });
    const read = await ctx.read(
      (gg.grads as GPUBuffer[]).map((b) => ({ buffer: b, offset: 0, size: b.size })),
    );
    read.forEach((a, i) => {
      const want = (gc.grads as Float32Array[])[i];
      new Float32Array(a).forEach((v, k) => assert.ok(Math.abs(v - want[k]) < 1e-5));
    });
    const loss0 = await gg.loss();
    assert.ok(Math.abs(loss0 - (await gc.loss())) < 1e-5);
    gc.dispose();

    // A few SGD steps on the device: the tfjs variables see them without any assign.
    sgdOnDevice(device, params, gg.grads as GPUBuffer[], 0.5);
    gg.dispose();
    gpu.parametersUpdated();
    const after = await gpu.read();
    const before = (await cpu.parameters()) as Float32Array[];
    (gc.grads as Float32Array[]).forEach((g, i) =>
      g.forEach((v, k) => assert.ok(Math.abs(after[i][k] - (before[i][k] - 0.5 * v)) < 1e-5))
    );
    for (let s = 0; s < 5; s++) {
      const g = gpu.gradients(batch);
      sgdOnDevice(device, params, g.grads as GPUBuffer[], 0.5);
      g.dispose();
      gpu.parametersUpdated();
    }
    assert.ok((await gpu.evaluate(batch.x, batch.y, 4)).score < loss0 - 0.1);
    assert.deepEqual(await gpu.parameters(), params, "the variables keep their buffers");

    // setParameters writes the same buffers.
    await gpu.setParameters(before);
    assert.deepEqual(await gpu.read(), before);
    assert.ok(Math.abs((await gpu.evaluate(batch.x, batch.y, 4)).score - loss0) < 1e-5);
    cpu.dispose();
    gpu.dispose();
  },
);

Deno.test("tfjs mlp (cpu): a few createOptimizer steps lower the loss", async () => {
  const model = await createTfjsModel(tiny, { backend: "cpu", seed: 5 });
  const opt = await createOptimizer({ class: "adam", eps: 1e-8 }, { backend: "cpu" });
  const state = await opt.init(await model.parameters() as Float32Array[], { names: model.names });
  const before = (await model.evaluate(batch.x, batch.y, 4)).score;
  for (let s = 0; s < 10; s++) {
    const g = model.gradients(batch);
    await opt.step(state, g.grads, { learningRate: 0.05 });
    g.dispose();
    model.parametersUpdated(await opt.read(state));
  }
  const after = (await model.evaluate(batch.x, batch.y, 4)).score;
  assert.ok(after < before - 0.2, `loss ${before} -> ${after}`);
  opt.dispose(state);
  model.dispose();
});

gpuTest(
  "tfjs mlp (webgpu): createOptimizer on the shared device updates the variables in place",
  async () => {
    const { device } = await acquireGpu();
    const model = await createTfjsModel(tiny, { backend: "webgpu", seed: 5, device });
    const opt = await createOptimizer({ class: "adam", eps: 1e-8 }, { backend: "webgpu", device });
    const buffers = await model.parameters() as GPUBuffer[];
    const state = await opt.init(buffers, { names: model.names });
    const before = (await model.evaluate(batch.x, batch.y, 4)).score;
    for (let s = 0; s < 10; s++) {
      const g = model.gradients(batch);
      await opt.step(state, g.grads, { learningRate: 0.05 });
      g.dispose();
      model.parametersUpdated();
    }
    const after = (await model.evaluate(batch.x, batch.y, 4)).score;
    assert.ok(after < before - 0.2, `loss ${before} -> ${after}`);
    // The tfjs variables hold exactly the optimizer's parameters, in the same buffers.
    assert.deepEqual(await model.read(), await opt.read(state));
    assert.deepEqual(await model.parameters(), buffers);
    // Same trajectory as on cpu (float32 rounding aside).
    const cpu = await createTfjsModel(tiny, { backend: "cpu", seed: 5 });
    const copt = await createOptimizer({ class: "adam", eps: 1e-8 }, { backend: "cpu" });
    const cstate = await copt.init(await cpu.parameters() as Float32Array[]);
    for (let s = 0; s < 10; s++) {
      const g = cpu.gradients(batch);
      await copt.step(cstate, g.grads, { learningRate: 0.05 });
      cpu.parametersUpdated(await copt.read(cstate));
    }
    const [gp, cp] = [await model.read(), await cpu.read()];
    gp.forEach((p, i) => p.forEach((v, k) => assert.ok(Math.abs(v - cp[i][k]) < 1e-4)));
    opt.dispose(state);
    copt.dispose(cstate);
    cpu.dispose();
    model.dispose();
  },
);
