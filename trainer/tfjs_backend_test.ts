import assert from "node:assert/strict";
import { defaultBackend, loadTfjs } from "./tfjs_backend.ts";
import { gpuTest } from "../tests/_gpu.ts";
import { acquireGpu } from "../gpu/mod.ts";

Deno.test("loadTfjs: cpu is ready, idempotent and described", async () => {
  const a = await loadTfjs("cpu");
  const b = await loadTfjs("cpu");
  assert.equal(a.tf, b.tf);
  assert.equal(a.tf.getBackend(), "cpu");
  assert.match(a.message, /^tfjs 4\.\d+\.\d+ backend cpu/);
  assert.deepEqual(Array.from(a.tf.tensor([1, 2]).square().dataSync()), [1, 4]);
  await assert.rejects(
    () => loadTfjs("gpu" as never),
    /one of cpu, wasm, webgpu: current value is 'gpu'/,
  );
});

Deno.test("loadTfjs: wasm backend smoke test", async (t) => {
  let loaded;
  try {
    loaded = await loadTfjs("wasm");
  } catch (e) {
    // The .wasm files are read from node_modules/@tensorflow/tfjs-backend-wasm/dist: they need
    // `deno install` and read permission there.
    console.warn(`wasm backend SKIPPED: ${(e as Error).message}`);
    await t.step({ name: "wasm unavailable", ignore: true, fn: () => {} });
    return;
  }
  const { tf, message } = loaded;
  assert.equal(tf.getBackend(), "wasm");
  assert.match(message, /backend wasm \((no )?SIMD/);
  const y = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]));
  assert.deepEqual(Array.from(await y.data()), [11]);
  tf.dispose(y);
  await loadTfjs("cpu");
});

Deno.test("defaultBackend: webgpu only on a hardware adapter", async () => {
  const fake = (description: string, isFallbackAdapter = false) => ({
    requestAdapter: () =>
      Promise.resolve({ info: { description, isFallbackAdapter, device: "" } } as never),
  });
  assert.equal(await defaultBackend(fake("NVIDIA GeForce RTX 4090")), "webgpu");
  assert.equal(await defaultBackend(fake("llvmpipe (LLVM 15.0.6, 256 bits)")), "wasm");
  assert.equal(await defaultBackend(fake("SwiftShader Device")), "wasm");
  assert.equal(await defaultBackend(fake("Some GPU", true)), "wasm");
  assert.equal(await defaultBackend({ requestAdapter: () => Promise.resolve(null) }), "wasm");
  assert.equal(await defaultBackend(null), "wasm");
});

gpuTest("loadTfjs: webgpu runs on the shared GPUDevice", async () => {
  const { device } = await acquireGpu();
  const { tf, message, device: used } = await loadTfjs("webgpu", { device });
  assert.equal(used, device);
  assert.equal(tf.getBackend(), "webgpu");
  assert.equal((tf.backend() as unknown as { device: GPUDevice }).device, device);
  assert.match(message, /backend webgpu on .* \(shared GPUDevice\)/);
  const again = await loadTfjs("webgpu", { device });
  assert.equal(again.tf.backend(), tf.backend());
  const y = tf.add(tf.tensor([1, 2, 3]), 1);
  assert.deepEqual(Array.from(await y.data()), [2, 3, 4]);
  y.dispose();
  await loadTfjs("cpu");
});
