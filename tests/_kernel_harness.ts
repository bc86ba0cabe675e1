/**
 * A minimal WebGPU harness around one optimizer definition's WGSL body, independent of the
 * engine: one storage buffer per tensor for p, g and each slot, the definition's uniforms plus
 * the prologue's (`maximize` negation, coupled `g + wd·p` or decoupled `p·(1 - lr·wd)`), one
 * dispatch per tensor and step, and a readback of p. Used to check that every kernel body
 * compiles and reproduces the PyTorch fixtures on a real adapter.
 *
 * @module
 */

import { _fmaWgsl } from "../optimizers/_wgsl_fma.ts";
import { TORCH_WGSL } from "../optimizers/_wgsl_torch.ts";
import type { HostState, Hyper, OptimizerDef } from "../optimizers/types.ts";
import type { Stepper } from "./_optimizer_fixtures.ts";

/** The WGSL module the harness builds around `def.wgsl(h)`. */
export function harnessShader(def: OptimizerDef, h: Hyper): string {
  const slots = def.slots(h);
  const fields = [...def.uniforms(h), "hw_wd", "hw_decay", "hw_one"];
  const wd = typeof h.weight_decay === "number" ? h.weight_decay : 0;
  return [
    `struct U { ${fields.map((n) => `${n}: f32,`).join(" ")} }`,
    "@group(0) @binding(0) var<uniform> u: U;",
    "@group(0) @binding(1) var<storage, read_write> P: array<vec4<f32>>;",
    "@group(0) @binding(2) var<storage, read> G: array<vec4<f32>>;",
    ...slots.map((s, k) =>
      `@group(0) @binding(${3 + k}) var<storage, read_write> S_${s}: array<vec4<f32>>;`
    ),
    TORCH_WGSL,
    "@compute @workgroup_size(64)",
    "fn main(@builtin(global_invocation_id) id: vec3<u32>) {",
    "  let i = id.x;",
    "  if (i >= arrayLength(&P)) { return; }",
    "  var p = P[i];",
    "  var gv = G[i];",
    h.maximize === true ? "  gv = -gv;" : "",
    wd !== 0 && def.weightDecay === "coupled"
      ? [..._fmaWgsl("hw_g", "vec4<f32>(u.hw_wd)", "p", "gv", "u.hw_one"), "  gv = hw_g;"].join(
        "\n",
      )
      : "",
    wd !== 0 && def.weightDecay === "decoupled" ? "  p = p * u.hw_decay;" : "",
    ...slots.map((s) => `  var ${s} = S_${s}[i];`),
    "  {",
    "    let g = gv;",
    def.wgsl(h),
    "  }",
    "  P[i] = p;",
    ...slots.map((s) => `  S_${s}[i] = ${s};`),
    "}",
  ].filter((l) => l !== "").join("\n");
}

/**
 * Compile the harness for `def`/`h` and report WGSL errors (compilation info) as an exception.
 */
export async function compileHarness(
  device: GPUDevice,
  def: OptimizerDef,
  h: Hyper,
): Promise<GPUComputePipeline> {
  const code = harnessShader(def, h);
  device.pushErrorScope("validation");
  const module = device.createShaderModule({ label: `harness ${def.name}`, code });
  const info = await module.getCompilationInfo();
  const errors = info.messages.filter((m) => m.type === "error");
  const pipeline = device.createComputePipeline({
    label: `harness ${def.name}`,
    layout: "auto",
    compute: { module, entryPoint: "main" },
  });
  const err = await device.popErrorScope();
  if (errors.length > 0 || err !== null) {
    throw new Error(
      `WGSL of '${def.name}' does not compile: ${
        errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join("; ") || err?.message
      }\n${code}`,
    );
  }
  return pipeline;
}

/** A stepper running `def`'s kernel body on `device` for the given initial parameters. */
export async function harnessStepper(
  device: GPUDevice,
  def: OptimizerDef,
  h: Hyper,
  init: Float32Array[],
): Promise<Stepper> {
  const pipeline = await compileHarness(device, def, h);
  const names = def.slots(h);
  const nU = def.uniforms(h).length + 3;
  const uniform = device.createBuffer({
    size: Math.max(16, Math.ceil((nU * 4) / 16) * 16),
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
  const tensors = init.map((p0) => {
    const n4 = Math.ceil(p0.length / 4) * 4;
    const padded = new Float32Array(n4);
    padded.set(p0);
    const mk = (fill: number) => {
      const b = device.createBuffer({ size: n4 * 4, usage: storage });
      device.queue.writeBuffer(b, 0, padded.map(() => fill));
      return b;
    };
    const p = device.createBuffer({ size: n4 * 4, usage: storage });
    device.queue.writeBuffer(p, 0, padded);
    const g = device.createBuffer({ size: n4 * 4, usage: storage });
    const slots = names.map((n) => mk(def.slotInit(h, n)));
    const read = device.createBuffer({
      size: n4 * 4,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    const bind = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [uniform, p, g, ...slots].map((buffer, binding) => ({
        binding,
        resource: { buffer },
      })),
    });
    return { n: p0.length, n4, p, g, slots, read, bind };
  });
  const host: HostState = { step: 0, ...def.hostInit(h) };
  const wd = typeof h.weight_decay === "number" ? h.weight_decay : 0;
  return {
    async step(lr, grads) {
      host.step++;
      const s = [...def.scalars(h, host, lr), wd, 1 - lr * wd, 1];
      device.queue.writeBuffer(uniform, 0, Float32Array.from(s));
      const enc = device.createCommandEncoder();
      for (let t = 0; t < tensors.length; t++) {
        const x = tensors[t];
        const g = new Float32Array(x.n4);
        g.set(grads[t]);
        device.queue.writeBuffer(x.g, 0, g);
        const pass = enc.beginComputePass();
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, x.bind);
        pass.dispatchWorkgroups(Math.ceil(x.n4 / 4 / 64));
        pass.end();
        enc.copyBufferToBuffer(x.p, 0, x.read, 0, x.n4 * 4);
      }
      device.queue.submit([enc.finish()]);
      const out: Float32Array[] = [];
      for (const x of tensors) {
        await x.read.mapAsync(GPUMapMode.READ);
        out.push(new Float32Array(x.read.getMappedRange().slice(0, x.n * 4)));
        x.read.unmap();
      }
      return out;
    },
    dispose() {
      uniform.destroy();
      for (const x of tensors) for (const b of [x.p, x.g, x.read, ...x.slots]) b.destroy();
    },
  };
}
