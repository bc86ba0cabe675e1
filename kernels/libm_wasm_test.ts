import { equal } from "node:assert/strict";
import { FunctionEmitter, I32, ModuleBuilder, OP, SIMD, V128 } from "../wasm/assembler.ts";
import { addLibm } from "./libm_wasm.ts";

const N = 1 << 23;
const f = Math.fround;

/** A module mapping an f32 array in place through `fn` computed in float64, rounded to f32. */
function mapper() {
  const m = new ModuleBuilder({ memory: { shared: false, minPages: 512, maxPages: 512 } });
  const libm = addLibm(m);
  for (const [name, fi] of Object.entries(libm)) {
    m.func(name, [I32, I32], [], (e) => {
      const x = e.local(V128);
      e.op(OP.block, FunctionEmitter.VOID).op(OP.loop, FunctionEmitter.VOID);
      e.op(OP.local_get, 0).op(OP.local_get, 1).op(OP.i32_ge_u).op(OP.br_if, 1);
      e.op(OP.local_get, 0).op(OP.local_get, 0).simdMem(SIMD.v128_load, 4, 0).op(OP.local_set, x);
      for (const hi of [false, true]) {
        e.op(OP.local_get, x);
        if (hi) {
          e.op(OP.local_get, x).shuffle([
            8,
            9,
            10,
            11,
            12,
            13,
            14,
            15,
            8,
            9,
            10,
            11,
            12,
            13,
            14,
            15,
          ]);
        }
        e.simd(SIMD.f64x2_promote_low_f32x4).op(OP.call, fi).simd(SIMD.f32x4_demote_f64x2_zero);
      }
      e.shuffle([0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]);
      e.simdMem(SIMD.v128_store, 4, 0);
      e.op(OP.local_get, 0).i32(16).op(OP.i32_add).op(OP.local_set, 0);
      e.op(OP.br, 0).op(OP.end).op(OP.end);
    });
  }
  const memory = new WebAssembly.Memory({ initial: 512, maximum: 512 });
  const inst = new WebAssembly.Instance(new WebAssembly.Module(m.bytes()), { env: { memory } });
  return {
    memory,
    run: (name: string) => (inst.exports[name] as (a: number, b: number) => void)(0, N * 4),
  };
}

Deno.test("libm: f64 log/cos/sin rounded to f32 equal Math.* on every input the noise kernel makes", () => {
  const { memory, run } = mapper();
  const buf = new Float32Array(memory.buffer, 0, N);
  // The noise kernel's uniforms u = (k + 0.5)·2^-23 and angles f32(π)·f32(2u - 1), k < 2^23.
  const u = (k: number) => f((k + 0.5) * 2 ** -23);
  const angle = (k: number) => f(f(3.14159265358979) * f(f(2 * u(k)) - 1));
  const cases = [
    ["cos", Math.cos, angle],
    ["sin", Math.sin, angle],
    ["log", Math.log, u],
  ] as const;
  for (const [name, fn, input] of cases) {
    for (let k = 0; k < N; k++) buf[k] = input(k);
    run(name);
    let bad = 0;
    for (let k = 0; k < N; k++) {
      const x = input(k);
      if (name === "log" && x > 0.75) continue; // the noise kernel's series covers (0.75, 1)
      if (buf[k] !== f(fn(x))) bad++;
    }
    equal(bad, 0, `${name}: ${bad} of ${N} inputs round differently from Math.${name}`);
  }
});
