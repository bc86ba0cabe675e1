import { deepEqual, equal, ok, rejects, throws } from "node:assert/strict";
import { gpuTest } from "../tests/_gpu.ts";
import { everyBackend } from "../tests/_parity.ts";
import { acquireGpu, GpuDeviceLostError, GpuUnavailableError } from "../gpu/mod.ts";
import { createOptimizer, createOptimizerFromDef } from "./mod.ts";
import type { OptimizerDef } from "./types.ts";
import { arenaLayout } from "./engine_layout.ts";
import { LaneBuilder } from "../kernels/lane.ts";
import { engineFields, engineValues, packUniforms } from "./engine_kernel.ts";
import { compilePlan } from "../transforms/plan.ts";
import { elementOp } from "../transforms/ops/registry.ts";
import { clipByValue, weightDecay } from "../transforms/mod.ts";

/** Deterministic float32 pseudo-random numbers. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return Math.fround(((s >>> 8) / 2 ** 24) * 2 - 1);
  };
}
const arrays = (sizes: number[], r: () => number, scale = 1) =>
  sizes.map((n) => Float32Array.from({ length: n }, () => Math.fround(r() * scale)));

Deno.test("arenaLayout aligns tensors to 64 floats and chunks the arena", () => {
  const l = arenaLayout([1, 64, 65, 0, 3], 128);
  deepEqual(l.offsets, [0, 64, 128, 256, 256]);
  equal(l.length, 320);
  deepEqual(l.chunks, [{ start: 0, end: 128 }, { start: 128, end: 256 }, { start: 256, end: 320 }]);
  deepEqual([...l.blockTensor], [0, 1, 2, 2, 4]);
  throws(() => arenaLayout([1], 10), /chunk size/);
});

Deno.test("engine uniforms: every value lands in its field; an unknown name throws", () => {
  const plan = compilePlan([clipByValue(0.5), weightDecay(0.1, { mode: "decoupled" })]);
  const fields = engineFields(plan);
  const cmd = { update: true, accumFirst: true, attempt: 3, epochStart: false, groups: [] };
  const step = { scalars: new Float32Array(0), lr: 0.5, wd: 0, decay: 1, opValues: [1, 0.95] };
  const buffer = new ArrayBuffer(fields.length * 4);
  packUniforms(fields, engineValues(plan, cmd, step, 7), buffer, 0);
  const at = (name: string) => fields.findIndex(([n]) => n === name);
  equal(new Float32Array(buffer)[at("clip0")], 0.5);
  equal(new Float32Array(buffer)[at("pscale1")], Math.fround(0.95));
  equal(new Uint32Array(buffer)[at("attempt")], 3);
  equal(new Uint32Array(buffer)[at("tensors_total")], 7);
  throws(() => packUniforms(fields, { clip9: 1 }, buffer, 0), /'clip9' is not a field/);
  throws(() => elementOp("sharpen"), /no transform module defines it/);
});

everyBackend("createOptimizer contract: init, step, read, export/import", async (backend) => {
  const opt = await createOptimizer(
    { class: "adam", betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0.01 },
    { backend },
  );
  const r = rng(1);
  const [w, b] = arrays([10, 3], r);
  const state = await opt.init([w, b]);
  await opt.step(state, arrays([10, 3], r), { learningRate: 1e-3 });
  const [w2, b2] = await opt.read(state);
  equal(w2.length, 10);
  equal(b2.length, 3);
  ok(w2.some((v, i) => v !== w[i]));
  const saved = await opt.exportState(state);
  equal(saved.config.class, "adam");
  equal(saved.config.groups[0].host.step, 1);
  ok(saved.arrays["0/exp_avg"] instanceof Float32Array);
  ok(saved.arrays["1/exp_avg_sq"].length === 3);
  JSON.stringify(saved.config); // JSON-serialisable
  opt.dispose(state);
});

everyBackend(
  "save after N steps, load fresh, M more steps == N+M uninterrupted (bitwise)",
  async (backend) => {
    const sizes = [7, 1, 130];
    const r = rng(2);
    const init = arrays(sizes, r);
    const grads = Array.from({ length: 7 }, () => arrays(sizes, r));
    const lrs = [1e-2, 5e-3, 1e-2, 2e-3, 1e-3, 1e-2, 3e-3];
    const dict = { class: "adam", eps: 1e-8, amsgrad: true, weight_decay: 0.01 };
    const a = await createOptimizer(dict, { backend });
    const sa = await a.init(init);
    for (let k = 0; k < 7; k++) await a.step(sa, grads[k], { learningRate: lrs[k] });
    const want = await a.read(sa);

    const b = await createOptimizer(dict, { backend });
    const sb = await b.init(init);
    for (let k = 0; k < 4; k++) await b.step(sb, grads[k], { learningRate: lrs[k] });
    const saved = await b.exportState(sb);
    const mid = await b.read(sb);
    const saved2 = JSON.parse(JSON.stringify(saved.config));
    const c = await createOptimizer(dict, { backend });
    const sc = await c.init(mid);
    await c.importState(sc, { config: saved2, arrays: saved.arrays });
    for (let k = 4; k < 7; k++) await c.step(sc, grads[k], { learningRate: lrs[k] });
    deepEqual(await c.read(sc), want);
  },
);

everyBackend("importState names what does not match", async (backend) => {
  const a = await createOptimizer({ class: "adam", eps: 1e-8 }, { backend });
  const sa = await a.init([new Float32Array(3), new Float32Array(2)]);
  const saved = await a.exportState(sa);
  const b = await createOptimizer({ class: "adam", eps: 1e-8 }, { backend });
  const sb = await b.init([new Float32Array(3), new Float32Array(5)]);
  await rejects(b.importState(sb, saved), /#1 has 2 elements, not 5/);
  const c = await createOptimizer({ class: "sgd", momentum: 0.9 }, { backend });
  const sc = await c.init([new Float32Array(3), new Float32Array(2)]);
  await rejects(c.importState(sc, saved), /optimizer class 'adam'.*state slots/);
  const d = await createOptimizer({ class: "adam", eps: 1e-8 }, { backend });
  const sd = await d.init([new Float32Array(3)]);
  await rejects(d.importState(sd, saved), /2 tensors \(this optimizer has 1\)/);
  await rejects(
    d.importState(sd, { config: { ...saved.config, version: 99 }, arrays: saved.arrays }),
    /format version 99/,
  );
});

everyBackend("resetState zeroes moments and step counts (not parameters)", async (backend) => {
  const r = rng(3);
  const sizes = [5, 9];
  const g = Array.from({ length: 4 }, () => arrays(sizes, r));
  const dict = { class: "adagrad", initial_accumulator_value: 0.1, eps: 1e-10 };
  const a = await createOptimizer(dict, { backend });
  const sa = await a.init(arrays(sizes, r));
  await a.step(sa, g[0], { learningRate: 0.1 });
  await a.step(sa, g[1], { learningRate: 0.1 });
  await a.resetState(sa);
  const mid = await a.read(sa);
  const saved = await a.exportState(sa);
  equal(saved.config.groups[0].host.step, 0);
  ok(saved.arrays["0/sum"].every((v) => v === Math.fround(0.1)));
  const b = await createOptimizer(dict, { backend });
  const sb = await b.init(mid);
  for (const s of [sa, sb]) {
    const o = s === sa ? a : b;
    await o.step(s, g[2], { learningRate: 0.1 });
    await o.step(s, g[3], { learningRate: 0.1 });
  }
  deepEqual(await a.read(sa), await b.read(sb));
});

everyBackend("parameter groups: lr multiplier and no-decay by name", async (backend) => {
  const r = rng(4);
  const [w, bias] = arrays([20, 4], r);
  const gs = Array.from({ length: 3 }, () => arrays([20, 4], r));
  const dict = { class: "adam", eps: 1e-8, weight_decay: 0.1 };
  const opt = await createOptimizer(dict, { backend });
  const st = await opt.init([w, bias], { names: ["dense/kernel", "dense/bias"] });
  for (const g of gs) await opt.step(st, g, { learningRate: 0.01 });
  const [w2, b2] = await opt.read(st);
  // Reference: two separate optimizers.
  const ow = await createOptimizer(dict, { backend });
  const sw = await ow.init([w]);
  const ob = await createOptimizer({ ...dict, weight_decay: 0 }, { backend });
  const sbb = await ob.init([bias]);
  for (const g of gs) {
    await ow.step(sw, [g[0]], { learningRate: 0.01 });
    await ob.step(sbb, [g[1]], { learningRate: 0.01 });
  }
  deepEqual(w2, (await ow.read(sw))[0]);
  deepEqual(b2, (await ob.read(sbb))[0]);
  // Explicit group with a multiplier == the lr scaled.
  const om = await createOptimizer({ class: "sgd", momentum: 0.9 }, {
    backend,
    paramGroups: [{ params: [1], learningRateMultiplier: 2 }],
  });
  const sm = await om.init([w, bias]);
  const o2 = await createOptimizer({ class: "sgd", momentum: 0.9 }, { backend });
  const s2 = await o2.init([bias]);
  for (const g of gs) {
    await om.step(sm, g, { learningRate: 0.01 });
    await o2.step(s2, [g[1]], { learningRate: 0.02 });
  }
  deepEqual((await om.read(sm))[1], (await o2.read(s2))[0]);
  const saved = await om.exportState(sm);
  equal(saved.config.groups.length, 2);
  equal(saved.config.groups[0].learning_rate_multiplier, 2);
  // Config spelling and names.
  const on = await createOptimizer({ class: "sgd", momentum: 0.9 }, {
    backend,
    paramGroups: [{ params: ["b"], learning_rate_multiplier: 2, weight_decay: 0 }],
  });
  const sn = await on.init([w, bias], { names: ["w", "b"] });
  for (const g of gs) await on.step(sn, g, { learningRate: 0.01 });
  deepEqual((await on.read(sn))[1], (await o2.read(s2))[0]);
  await rejects(on.init([w, bias], { names: ["w", "x"] }), /names tensor 'b'/);
});

everyBackend(
  "gradientArrays: written in place, they step like copies (wasm: no copy)",
  async (backend) => {
    const r = rng(11);
    const sizes = [5, 70000, 1];
    const init = arrays(sizes, r);
    const grads = Array.from({ length: 2 }, () => arrays(sizes, r));
    const dict = { class: "adam", eps: 1e-8, weight_decay: 0.01 };
    const a = await createOptimizer(dict, { backend });
    const b = await createOptimizer(dict, { backend });
    const sa = await a.init(init);
    const sb = await b.init(init);
    const views = b.gradientArrays(sb);
    equal(views.length, 3);
    equal(views.every((v) => v !== null), backend === "wasm");
    for (const g of grads) {
      await a.step(sa, g, { learningRate: 1e-2 });
      views.forEach((v, i) => v?.set(g[i]));
      await b.step(sb, views.map((v, i) => v ?? g[i]), { learningRate: 1e-2 });
    }
    deepEqual(await b.read(sb), await a.read(sa));
    a.dispose(sa);
    b.dispose(sb);
  },
);

everyBackend(
  "a state belongs to the optimizer that made it: another optimizer rejects it",
  async (backend) => {
    const adam = await createOptimizer({ class: "adam", eps: 1e-8 }, { backend });
    const sgd = await createOptimizer({ class: "sgd" }, { backend });
    const state = await adam.init([new Float32Array([1, 2])]);
    const grads = [new Float32Array([1, 1])];
    const foreign = /optimizer 'sgd' as another optimizer \('adam'\) created it/;
    await rejects(sgd.step(state, grads, { learningRate: 0.1 }), foreign);
    await rejects(sgd.read(state), foreign);
    await rejects(sgd.exportState(state), TypeError);
    await rejects(sgd.importState(state, await adam.exportState(state)), TypeError);
    await rejects(sgd.resetState(state), TypeError);
    await rejects(sgd.lastGradNorm(state), TypeError);
    throws(() => sgd.dispose(state), foreign);
    // Another optimizer of the same class is another optimizer too.
    const adam2 = await createOptimizer({ class: "adam", eps: 1e-8 }, { backend });
    await rejects(adam2.step(state, grads, { learningRate: 0.1 }), /another optimizer/);
    // Nothing above touched the state: its own optimizer goes on from the initial values.
    await adam.step(state, grads, { learningRate: 0.1 });
    const saved = await adam.exportState(state);
    equal(saved.config.class, "adam");
    equal(saved.config.groups[0].host.step, 1);
    ok((await adam.read(state))[0].every((v) => Number.isFinite(v) && v < 2));
    adam.dispose(state);
  },
);

everyBackend("errors: unknown class, NaN lr, wrong gradient count and size", async (backend) => {
  await rejects(
    createOptimizer({ class: "adamz" }, { backend }),
    /unknown optimizer class 'adamz'/,
  );
  const opt = await createOptimizer({ class: "sgd" }, { backend });
  const st = await opt.init([new Float32Array(3)]);
  await rejects(
    async () => await opt.step(st, [new Float32Array(3)], { learningRate: NaN }),
    /'learningRate' as it must be a finite number >= 0: current value is NaN/,
  );
  await rejects(
    async () => await opt.step(st, [], { learningRate: 0.1 }),
    /0 gradients were given for 1 parameters/,
  );
  await rejects(
    async () => await opt.step(st, [new Float32Array(4)], { learningRate: 0.1 }),
    /gradient 0 \(param0\) does not match its parameter of 3 elements/,
  );
  await rejects(opt.init([]), /non-empty array/);
});

Deno.test("the default backend: wasm without a hardware adapter, webgpu with a device", async () => {
  const none = { requestAdapter: () => Promise.resolve(null) };
  equal((await createOptimizer({ class: "sgd" }, { gpu: none })).backend, "wasm");
  const soft = {
    requestAdapter: () =>
      Promise.resolve({ info: { description: "llvmpipe (LLVM 15)" } } as GPUAdapter),
  };
  equal((await createOptimizer({ class: "sgd" }, { gpu: soft })).backend, "wasm");
  const adapter = await navigator.gpu?.requestAdapter();
  if (adapter) {
    const device = await adapter.requestDevice();
    equal((await createOptimizer({ class: "sgd" }, { device })).backend, "webgpu");
    device.destroy();
  }
});

Deno.test("no adapter: the error names the fix", async () => {
  const fake = { requestAdapter: () => Promise.resolve(null) };
  const e = await rejects(
    createOptimizer({ class: "sgd" }, { backend: "webgpu", gpu: fake }),
    (err: Error) => {
      ok(err instanceof GpuUnavailableError);
      ok(/mesa-vulkan-drivers libvulkan1/.test(err.message), err.message);
      ok(/DENO_WEBGPU_BACKEND=vulkan/.test(err.message));
      ok(/`cpu` backend/.test(err.message));
      return true;
    },
  );
  equal(e, undefined);
  await rejects(
    createOptimizer({ class: "sgd" }, { backend: "webgpu", gpu: null }),
    /navigator.gpu is undefined/,
  );
});

gpuTest("one fused step: 200 tensors -> 1 dispatch, 1 submit, 0 awaits", async () => {
  const r = rng(5);
  const sizes = Array.from({ length: 200 }, (_, i) => 1 + (i * 37) % 300);
  const opt = await createOptimizer({ class: "adam", eps: 1e-8 }, { backend: "webgpu" });
  const st = await opt.init(arrays(sizes, r));
  const gpu = await acquireGpu();
  const grads = arrays(sizes, r);
  await opt.step(st, grads, { learningRate: 1e-3 }); // warm
  const before = { ...gpu.stats };
  for (let k = 0; k < 5; k++) await opt.step(st, grads, { learningRate: 1e-3 });
  const d = (k: keyof typeof before) => gpu.stats[k] - before[k];
  equal(d("dispatches"), 5);
  equal(d("submits"), 5);
  equal(d("awaits"), 0);
  equal(d("buffers"), 0);
  await opt.read(st);
  equal(gpu.stats.awaits - before.awaits, 1);
});

gpuTest("GPUBuffer params and grads stay on the GPU; params are scattered back", async () => {
  const gpu = await acquireGpu();
  const { device } = gpu;
  const r = rng(6);
  const sizes = [33, 4];
  const host = arrays(sizes, r);
  const grads = arrays(sizes, r);
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const mk = (a: Float32Array, extra = 0) => {
    const b = device.createBuffer({ size: (a.length + extra) * 4, usage });
    device.queue.writeBuffer(b, 0, a as Float32Array<ArrayBuffer>);
    return b;
  };
  const pb = host.map((a) => mk(a, 3)); // padded like tfjs buffers: sizes given explicitly
  const gb = grads.map((a) => mk(a));
  const dict = { class: "sgd", momentum: 0.5 };
  const opt = await createOptimizer(dict, { backend: "webgpu" });
  const st = await opt.init(pb, { sizes });
  await opt.step(st, gb, { learningRate: 0.1 });
  await opt.step(st, gb, { learningRate: 0.1 });
  const ref = await createOptimizer(dict, { backend: "cpu" });
  const sr = await ref.init(host);
  await ref.step(sr, grads, { learningRate: 0.1 });
  await ref.step(sr, grads, { learningRate: 0.1 });
  const want = await ref.read(sr);
  deepEqual(await opt.read(st), want);
  const back = await gpu.read(pb.map((buffer, i) => ({ buffer, offset: 0, size: sizes[i] * 4 })));
  deepEqual(back.map((x) => new Float32Array(x)), want);
});

gpuTest(
  "a one-tensor group reads a GPUBuffer gradient in place; other cases copy it",
  async (t) => {
    const { device } = await acquireGpu();
    const mk = (a: Float32Array, usage: number) => {
      const b = device.createBuffer({ size: a.length * 4, usage: usage | GPUBufferUsage.COPY_DST });
      device.queue.writeBuffer(b, 0, a as Float32Array<ArrayBuffer>);
      return b;
    };
    const STORAGE = GPUBufferUsage.STORAGE;
    const cases = [
      {
        name: "direct: size % 4 == 0, STORAGE usage, over several chunks",
        n: 4096,
        usage: STORAGE,
      },
      { name: "copied: size not a multiple of 4", n: 4095, usage: STORAGE },
      { name: "copied: buffer without STORAGE usage", n: 4096, usage: GPUBufferUsage.COPY_SRC },
    ];
    for (const c of cases) {
      await t.step(c.name, async () => {
        const r = rng(c.n);
        const [host] = arrays([c.n], r);
        const steps = [arrays([c.n], r), arrays([c.n], r), arrays([c.n], r)];
        const dict = { class: "adam", eps: 1e-8, weight_decay: 0.01 };
        const opt = await createOptimizer(dict, {
          backend: "webgpu",
          webgpu: { chunkFloats: 1024 },
        });
        const ref = await createOptimizer(dict, { backend: "cpu" });
        const st = await opt.init([host]);
        const sr = await ref.init([host]);
        const M = Float32Array.from(host, Math.abs);
        const buffers: GPUBuffer[] = [];
        for (const g of steps) {
          buffers.push(mk(g[0], c.usage | GPUBufferUsage.COPY_SRC));
          await opt.step(st, [buffers[buffers.length - 1]], { learningRate: 1e-2 });
          await ref.step(sr, g, { learningRate: 1e-2 });
          const [want] = await ref.read(sr);
          const [got] = await opt.read(st);
          for (let j = 0; j < c.n; j++) {
            M[j] = Math.max(M[j], Math.abs(want[j]));
            ok(
              Math.abs(got[j] - want[j]) <= 32 * 2 ** -23 * M[j],
              `[${j}] ${got[j]} vs ${want[j]}`,
            );
          }
        }
        opt.dispose(st);
        buffers.forEach((b) => b.destroy());
      });
    }
  },
);

gpuTest("device loss: later calls throw GpuDeviceLostError naming the way out", async () => {
  const adapter = await navigator.gpu.requestAdapter();
  const device = await adapter!.requestDevice();
  const opt = await createOptimizer({ class: "sgd" }, { backend: "webgpu", device });
  const st = await opt.init([new Float32Array(4)]);
  device.destroy();
  await device.lost;
  await rejects(
    async () => await opt.step(st, [new Float32Array(4)], { learningRate: 0.1 }),
    (e: Error) => e instanceof GpuDeviceLostError && /--backend cpu/.test(e.message),
  );
  await rejects(opt.read(st), GpuDeviceLostError);
});

gpuTest("a single tensor above the 128 MiB binding limit (sgd, real chunking)", async () => {
  const gpu = await acquireGpu();
  const limit = gpu.device.limits.maxStorageBufferBindingSize;
  const n = limit / 4 + 1000;
  if (n * 4 * 2 > gpu.device.limits.maxBufferSize) return;
  const p = new Float32Array(n);
  const g = new Float32Array(n);
  for (let i = 0; i < n; i += 997) {
    p[i] = 1;
    g[i] = i % 3;
  }
  p[n - 1] = 2;
  g[n - 1] = 4;
  const opt = await createOptimizer({ class: "sgd" }, { backend: "webgpu" });
  const st = await opt.init([p]);
  await opt.step(st, [g], { learningRate: 0.5 });
  const [w] = await opt.read(st);
  for (let i = 0; i < n; i += 997) equal(w[i], Math.fround(1 - 0.5 * (i % 3)));
  equal(w[n - 1], 0);
  equal(w[n - 2], 0);
  opt.dispose(st);
});

Deno.test("createOptimizerFromDef runs a custom definition on cpu", async () => {
  const def: OptimizerDef = {
    name: "plain",
    aliases: [],
    defaults: {},
    weightDecay: "none",
    resolve: () => ({}),
    slots: () => [],
    slotInit: () => 0,
    hostInit: () => ({}),
    uniforms: () => ["lr"],
    scalars: (_h, _s, lr) => [lr],
    kernel: () => {
      const k = new LaneBuilder();
      k.set("p", k.p.sub(k.u("lr").mul(k.g)));
      return k.program();
    },
    wgsl: () => "p = p - u.lr * gv;",
    cpu: (_h, s, p, g, _sl, a, b) => {
      for (let i = a; i < b; i++) p[i] = Math.fround(p[i] - Math.fround(s[0] * g[i]));
    },
  };
  const opt = await createOptimizerFromDef(def, {}, { backend: "cpu" });
  const st = await opt.init([new Float32Array([1])]);
  await opt.step(st, [new Float32Array([2])], { learningRate: 0.25 });
  deepEqual(await opt.read(st), [new Float32Array([0.5])]);
});

gpuTest("more than 65535 workgroups use a 2-D grid", async () => {
  const n = 70000 * 4 + 3;
  const r = rng(7);
  const [p] = arrays([n], r);
  const [g] = arrays([n], r);
  const dict = { class: "sgd", momentum: 0.9 };
  const opt = await createOptimizer(dict, {
    backend: "webgpu",
    webgpu: { workgroupSize: 1, elementsPerThread: 1 },
  });
  const st = await opt.init([p]);
  await opt.step(st, [g], { learningRate: 0.1 });
  await opt.step(st, [g], { learningRate: 0.1 });
  const ref = await createOptimizer(dict, { backend: "cpu" });
  const sr = await ref.init([p]);
  await ref.step(sr, [g], { learningRate: 0.1 });
  await ref.step(sr, [g], { learningRate: 0.1 });
  deepEqual(await opt.read(st), await ref.read(sr));
  await rejects(
    createOptimizer(dict, { backend: "webgpu", webgpu: { workgroupSize: 48 } }).then((o) =>
      o.init([p])
    ),
    /'workgroupSize' must be a power of two/,
  );
});
