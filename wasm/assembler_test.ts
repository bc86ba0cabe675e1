import { deepEqual, equal } from "node:assert/strict";
import { F32, I32, ModuleBuilder, OP, SIMD, sleb, uleb } from "./assembler.ts";

Deno.test("LEB128 encodings", () => {
  const u: number[] = [];
  uleb(u, 624485);
  deepEqual(u, [0xe5, 0x8e, 0x26]);
  const s: number[] = [];
  sleb(s, -123456);
  deepEqual(s, [0xc0, 0xbb, 0x78]);
  const big: number[] = [];
  uleb(big, 2 ** 32);
  deepEqual(big, [0x80, 0x80, 0x80, 0x80, 0x10]);
});

Deno.test("a SIMD function over an imported shared memory runs", () => {
  const m = new ModuleBuilder({ memory: { shared: true, minPages: 1, maxPages: 1 } });
  m.func("scale", [I32, F32], [], (f) => {
    f.op(OP.local_get, 0).op(OP.local_get, 0).simdMem(SIMD.v128_load, 4, 0);
    f.op(OP.local_get, 1).simd(SIMD.f32x4_splat).simd(SIMD.f32x4_mul).simdMem(
      SIMD.v128_store,
      4,
      0,
    );
  });
  m.func(null, [], [I32], (f) => f.i32(7)); // internal: not exported
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  const inst = new WebAssembly.Instance(new WebAssembly.Module(m.bytes()), { env: { memory } });
  deepEqual(Object.keys(inst.exports), ["scale"]);
  const a = new Float32Array(memory.buffer, 16, 4);
  a.set([1, 2, 3, 4]);
  (inst.exports.scale as (p: number, s: number) => void)(16, 0.5);
  deepEqual([...a], [0.5, 1, 1.5, 2]);
  equal(memory.buffer instanceof SharedArrayBuffer, true);
});
