// The WebAssembly side of the fused LSTM: the f32x4 exp / sigmoid / tanh against Math (a few
// ulp, NaN and infinities), and the kernels' promise to a worker pool: running the batch as
// several ranges, or on the engine's pool of Workers, gives bitwise the same outputs and
// gradients as one call.
import assert from "node:assert/strict";
import { ModuleBuilder } from "../../wasm/assembler.ts";
import { Fn, I32_TYPE } from "./_wasm_kit.ts";
import {
  lstmBackwardScratchBytes,
  lstmForwardScratchBytes,
  lstmWasmModule,
  lstmWorkspaceFloats,
  POOL_DESC,
  runLstmBackward,
  runLstmForward,
} from "./lstm_wasm.ts";
import { acquirePool, releasePool } from "../../wasm/pool.ts";
import { createMemory } from "../../wasm/shared_memory.ts";
import { Rng } from "../../trainer/rng.ts";

function mathModule(memory: WebAssembly.Memory) {
  const m = new ModuleBuilder({ memory: { shared: false, minPages: 1, maxPages: 65536 } });
  for (const name of ["exp", "sigmoid", "tanh"] as const) {
    // f(src, dst, count): dst[i] = name(src[i]), 4 at a time
    m.func(name, [I32_TYPE, I32_TYPE, I32_TYPE], [], (f) => {
      const e = new Fn(f);
      const i = e.i32(), v = e.v128(), r = e.v128();
      e.for(i, 0, () => e.mul(e.param(2), 4), 16, () => {
        e.set(v, () => e.load(() => e.add(e.param(0), i)));
        e.set(r, () => e[name](v));
        e.store(() => e.add(e.param(1), i), r);
      });
    });
  }
  return new WebAssembly.Instance(new WebAssembly.Module(m.bytes()), { env: { memory } })
    .exports as Record<string, (src: number, dst: number, count: number) => void>;
}

Deno.test("f32x4 exp, sigmoid and tanh are within a few float32 ulp of Math's", () => {
  const memory = new WebAssembly.Memory({ initial: 4, maximum: 65536 });
  const k = mathModule(memory);
  const xs: number[] = [0, -0, 1e-30, -1e-30, 1e-7, -3e-5, 0.624, 0.625, 0.626, -0.625, NaN];
  xs.push(Infinity, -Infinity, 87, -87, 88, -100, 100);
  for (let x = -30; x <= 30; x += 0.01) xs.push(x);
  const rng = new Rng(1);
  for (let i = 0; i < 2000; i++) xs.push((rng.next() - 0.5) * 2e-3);
  while (xs.length % 4) xs.push(0);
  const src = new Float32Array(memory.buffer, 0, xs.length);
  src.set(xs);
  const dst = new Float32Array(memory.buffer, xs.length * 4, xs.length);
  const refs: Record<string, (x: number) => number> = {
    exp: Math.exp,
    sigmoid: (x) => 1 / (1 + Math.exp(-x)),
    tanh: Math.tanh,
  };
  for (const [name, ref] of Object.entries(refs)) {
    k[name](0, xs.length * 4, xs.length);
    for (let i = 0; i < xs.length; i++) {
      const x = src[i], want = ref(x), got = dst[i];
      if (Number.isNaN(x)) {
        assert.ok(Number.isNaN(got), `${name}(NaN) = ${got}`);
        continue;
      }
      // exp is clamped to [-87, 88] (beyond, float32 leaves the normal range).
      if (name === "exp" && (x > 88 || x < -87)) continue;
      const tol = name === "exp"
        ? 4 * 2 ** -23 * want
        : Math.max(4 * 2 ** -23 * Math.abs(want), 2e-38);
      assert.ok(Math.abs(got - want) <= tol, `${name}(${x}) = ${got}, want ${want}`);
    }
  }
});

Deno.test("LSTM kernels over batch ranges (as a worker pool runs them) equal one call bitwise", () => {
  const B = 7, T = 9, n = 6;
  const memory = new WebAssembly.Memory({ initial: 16, maximum: 65536 });
  const rng = new Rng(3);
  let top = 64;
  const alloc = (bytes: number) => {
    const p = Math.ceil(top / 64) * 64;
    top = p + bytes;
    return p;
  };
  const floats = (count: number, scale: number) => {
    const p = alloc(count * 4);
    const a = new Float32Array(memory.buffer, p, count);
    for (let i = 0; i < count; i++) a[i] = (rng.next() - 0.5) * scale;
    return p;
  };
  const x = floats(B * T * 4 * n, 3), w = floats(n * 4 * n, 1), dy = floats(B * T * n, 2);
  const lens = alloc(B * 4);
  new Int32Array(memory.buffer, lens, B).set([9, 0, 4, 9, 1, 7, 3]);
  const run = (ranges: [number, number][]) => {
    const y = alloc(B * T * n * 4), ws = alloc(lstmWorkspaceFloats(B, T, n) * 4);
    const dz = alloc(B * T * 16 * n), hp = alloc(B * T * 4 * n);
    const s1 = alloc(lstmForwardScratchBytes(n, B)), s2 = alloc(lstmBackwardScratchBytes(n, B));
    return [false, true].flatMap((reverse) => {
      const attrs = { reverse, gateOrder: "ijfo", forgetBias: 1 };
      runLstmForward(memory, { B, T, n }, { x, w, lens, y, ws, scratch: s1 }, attrs, ranges);
      runLstmBackward(
        memory,
        { B, T, n },
        { dy, w, lens, y, ws, dz, hp, scratch: s2 },
        attrs,
        ranges,
      );
      return [y, dz, hp].map((p, i) =>
        Array.from(new Float32Array(memory.buffer, p, B * T * n * (i === 1 ? 4 : 1)))
      );
    });
  };
  const one = run([[0, B]]);
  assert.ok(one[0].some((v) => v !== 0));
  assert.deepEqual(run([[0, 3], [3, 4], [4, 7]]), one);
  assert.deepEqual(run([[5, 7], [0, 5]]), one);
});

Deno.test("LSTM kernels run on the engine's worker pool (fn(begin, end) over sequences) bitwise as one call", () => {
  const B = 9, T = 11, n = 7;
  const pool = acquirePool({ threads: 2 });
  try {
    const scratchBytes = Math.max(lstmForwardScratchBytes(n, B), lstmBackwardScratchBytes(n, B));
    let top = POOL_DESC + scratchBytes;
    const alloc = (bytes: number) => {
      const p = Math.ceil(top / 64) * 64;
      top = p + bytes;
      return p;
    };
    const x = alloc(B * T * 16 * n), w = alloc(16 * n * n), dy = alloc(B * T * 4 * n);
    const lens = alloc(4 * B),
      y = alloc(B * T * 4 * n),
      ws = alloc(lstmWorkspaceFloats(B, T, n) * 4);
    const dz = alloc(B * T * 16 * n), hp = alloc(B * T * 4 * n);
    const memory = createMemory(top, pool.shared);
    const rng = new Rng(11);
    for (const [p, count] of [[x, B * T * 4 * n], [w, 4 * n * n], [dy, B * T * n]]) {
      const a = new Float32Array(memory.buffer, p, count);
      for (let i = 0; i < count; i++) a[i] = (rng.next() - 0.5) * 2;
    }
    new Int32Array(memory.buffer, lens, B).set([11, 3, 0, 7, 11, 1, 5, 9, 2]);
    const dims = { B, T, n }, attrs = { reverse: true, gateOrder: "jifo", forgetBias: 0 };
    const read = () =>
      [[y, n], [dz, 4 * n], [hp, n]].map(([p, k]) =>
        Array.from(new Float32Array(memory.buffer, p, B * T * k))
      );
    const fwdAt = { x, w, lens, y, ws, scratch: POOL_DESC };
    const bwdAt = { dy, w, lens, y, ws, dz, hp, scratch: POOL_DESC };
    runLstmForward(memory, dims, fwdAt, attrs);
    runLstmBackward(memory, dims, bwdAt, attrs);
    const one = read();
    new Float32Array(memory.buffer, y, B * T * n).fill(NaN);
    new Float32Array(memory.buffer, dz, B * T * 4 * n).fill(NaN);
    const program = pool.load(lstmWasmModule(n, pool.shared), memory, [
      "forward_units",
      "backward_units",
    ]);
    runLstmForward(memory, dims, fwdAt, attrs, []); // descriptor only
    pool.run([{ program, fn: 0, units: B, batch: 1 }]);
    runLstmBackward(memory, dims, bwdAt, attrs, []);
    pool.run([{ program, fn: 1, units: B, batch: 2 }]);
    pool.unload(program);
    assert.deepEqual(read(), one);
  } finally {
    releasePool(pool);
  }
});
