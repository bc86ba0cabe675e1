/**
 * How a device treats float32 subnormals (|x| < 2^-126) in arithmetic. WGSL allows a device to
 * flush them to zero; most hardware keeps them, but some devices flush: SwiftShader (Chromium's
 * software adapter) keeps a subnormal's bits through a load and a store, yet every arithmetic
 * operation reads a subnormal operand as 0 and writes a subnormal result as 0. PyTorch on the CPU
 * keeps them, so where an optimizer's state is subnormal (Adam with `eps` 1e-16 and gradients
 * below about 1e-19) such a device computes another trajectory (see the browser conformance
 * test, `tests/browser/`).
 *
 * @module
 */

/** What {@linkcode subnormalModes} found. */
export interface SubnormalModes {
  /** A subnormal operand is read as 0 (denormals-are-zero). */
  readonly flushesInputs: boolean;
  /** A subnormal result is written as 0 (flush-to-zero). */
  readonly flushesResults: boolean;
}

const _probe = `
@group(0) @binding(0) var<storage, read_write> io: array<f32, 4>;
@compute @workgroup_size(1) fn main() {
  let tiny = io[0];   // 2^-140, a subnormal
  let half = io[1];   // 2^-70
  let big = io[2];    // 2^40
  io[0] = tiny * big;            // 2^-100 unless the operand is flushed
  io[1] = (half * half) * big;   // 2^-100 unless the product 2^-140 is flushed
}`;

const _cache = new WeakMap<GPUDevice, Promise<SubnormalModes>>();

/**
 * Find out, with one tiny dispatch and one read-back, whether a device flushes subnormal
 * operands and results in float32 arithmetic. Cached per device.
 *
 * @param device The device.
 * @returns The two findings.
 * @throws {Error} If the device is lost or the probe cannot run.
 *
 * @example Usage
 * ```ts
 * import { subnormalModes } from "./subnormals.ts";
 * import { equal } from "node:assert/strict";
 * const adapter = await navigator.gpu?.requestAdapter();
 * if (adapter) { // without an adapter there is nothing to probe
 *   const device = await adapter.requestDevice();
 *   const modes = await subnormalModes(device);
 *   equal(typeof modes.flushesResults, "boolean");
 *   equal(await subnormalModes(device), modes); // probed once per device
 *   device.destroy();
 * }
 * ```
 */
export function subnormalModes(device: GPUDevice): Promise<SubnormalModes> {
  let p = _cache.get(device);
  if (p === undefined) {
    p = _run(device);
    _cache.set(device, p);
  }
  return p;
}

async function _run(device: GPUDevice): Promise<SubnormalModes> {
  const module = device.createShaderModule({ label: "newbob subnormal probe", code: _probe });
  const pipeline = await device.createComputePipelineAsync({
    label: "newbob subnormal probe",
    layout: "auto",
    compute: { module, entryPoint: "main" },
  });
  const io = device.createBuffer({
    label: "newbob subnormal probe",
    size: 16,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
  const staging = device.createBuffer({
    label: "newbob subnormal probe read-back",
    size: 16,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  try {
    device.queue.writeBuffer(io, 0, new Float32Array([2 ** -140, 2 ** -70, 2 ** 40, 0]));
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(
      0,
      device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: [{ binding: 0, resource: { buffer: io } }],
      }),
    );
    pass.dispatchWorkgroups(1);
    pass.end();
    encoder.copyBufferToBuffer(io, 0, staging, 0, 16);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const [fromTiny, fromProduct] = new Float32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    return { flushesInputs: fromTiny !== 2 ** -100, flushesResults: fromProduct !== 2 ** -100 };
  } finally {
    io.destroy();
    staging.destroy();
  }
}
