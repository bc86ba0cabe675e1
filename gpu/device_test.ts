import { equal, ok, rejects } from "node:assert/strict";
import { gpuTest } from "../tests/_gpu.ts";
import { acquireGpu, formatGpuInfo, gpuInfo, GpuUnavailableError } from "./mod.ts";

Deno.test("acquireGpu without an adapter names the fix", async () => {
  await rejects(
    acquireGpu({ provider: { requestAdapter: () => Promise.resolve(null) } }),
    (e: Error) =>
      e instanceof GpuUnavailableError && /apt-get install -y mesa-vulkan-drivers/.test(e.message),
  );
  await rejects(acquireGpu({ provider: null }), /navigator.gpu is undefined/);
  await rejects(
    acquireGpu({ provider: { requestAdapter: () => Promise.reject(new Error("boom")) } }),
    /requestAdapter\(\) failed: boom/,
  );
});

Deno.test("gpuInfo without an adapter reports how to get one", async () => {
  const info = await gpuInfo({ requestAdapter: () => Promise.resolve(null) });
  equal(info.available, false);
  ok(formatGpuInfo(info).includes("DENO_WEBGPU_BACKEND"));
});

gpuTest("gpuInfo describes the adapter, features and limits", async () => {
  const info = await gpuInfo();
  equal(info.available, true);
  ok(info.limits.maxStorageBufferBindingSize > 0);
  ok(formatGpuInfo(info).includes("maxComputeWorkgroupsPerDimension"));
});

gpuTest(
  "acquireGpu: shared context, adapter limits, pipeline cache, counted readback",
  async () => {
    const a = await acquireGpu();
    const b = await acquireGpu();
    equal(a, b);
    equal(await acquireGpu({ device: a.device }), a);
    const adapter = await navigator.gpu.requestAdapter();
    equal(
      a.device.limits.maxStorageBufferBindingSize,
      adapter!.limits.maxStorageBufferBindingSize,
    );
    const src = "@group(0) @binding(0) var<storage, read_write> x: array<f32>;\n" +
      "override WG: u32 = 1u;\n" +
      "@compute @workgroup_size(WG) fn main(@builtin(global_invocation_id) i: vec3<u32>) {\n" +
      "  if (i.x < arrayLength(&x)) { x[i.x] = x[i.x] * 2.0; }\n}";
    const created = a.pipelines.created;
    const p1 = a.pipelines.get(src, ["storage"], { WG: 4 });
    equal(a.pipelines.get(src, ["storage"], { WG: 4 }), p1);
    equal(a.pipelines.created, created + 1);
    const buf = a.createBuffer(
      16,
      GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      "t",
    );
    a.write(buf, 0, new Float32Array([1, 2, 3, 4]));
    const enc = a.device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(p1);
    pass.setBindGroup(
      0,
      a.device.createBindGroup({
        layout: p1.getBindGroupLayout(0),
        entries: [{ binding: 0, resource: { buffer: buf } }],
      }),
    );
    pass.dispatchWorkgroups(1);
    pass.end();
    a.submit(enc.finish());
    const awaits = a.stats.awaits;
    const [out] = await a.read([{ buffer: buf, offset: 4, size: 12 }]);
    equal(a.stats.awaits, awaits + 1);
    equal([...new Float32Array(out)].join(), "4,6,8");
    buf.destroy();
  },
);

gpuTest("errors of unawaited GPU work surface on the next read", async () => {
  const adapter = await navigator.gpu.requestAdapter();
  const device = await adapter!.requestDevice();
  const ctx = await acquireGpu({ device });
  const buf = ctx.createBuffer(16, GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, "t");
  // Invalid: a copy with a size that is not a multiple of 4.
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(buf, 0, buf, 8, 3);
  ctx.submit(enc.finish());
  await device.queue.onSubmittedWorkDone();
  await new Promise((r) => setTimeout(r, 20));
  await rejects(ctx.read([{ buffer: buf, offset: 0, size: 4 }]), /earlier GPU work failed/);
  device.destroy();
});

gpuTest(
  "a software adapter is recognised (llvmpipe/lavapipe here), also for a foreign device",
  async () => {
    const gpu = await acquireGpu();
    const cpuLike = /llvmpipe|lavapipe|swiftshader/i.test(gpu.description);
    equal(gpu.software, cpuLike);
    // A device created outside newbob (as TensorFlow.js's): detected from device.adapterInfo.
    const adapter = await navigator.gpu.requestAdapter();
    const device = await adapter!.requestDevice();
    try {
      equal((await acquireGpu({ device })).software, cpuLike);
    } finally {
      device.destroy();
    }
  },
);
