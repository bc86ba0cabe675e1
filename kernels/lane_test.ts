import { equal } from "node:assert/strict";
import { I32, ModuleBuilder, OP, SIMD, V128 } from "../wasm/assembler.ts";
import { type Expr, fma, LaneBuilder, select } from "./lane.ts";
import { LaneWasm, type WasmLeaves } from "./lane_wasm.ts";
import { laneWgsl } from "./lane_wgsl.ts";
import { sameBits } from "../tests/_parity.ts";

const f = Math.fround;
const SPECIAL = [0, -0, 1, -1.5, 3e38, -3e38, 1e-45, -1e-40, NaN, Infinity, -Infinity, 0.1, 7];

/** Each binary operation with its float32 meaning (torch 1.13 for max, min and sign). */
const OPS: [string, (a: Expr, b: Expr) => Expr, (a: number, b: number) => number][] = [
  ["add", (a, b) => a.add(b), (a, b) => f(a + b)],
  ["sub", (a, b) => a.sub(b), (a, b) => f(a - b)],
  ["mul", (a, b) => a.mul(b), (a, b) => f(a * b)],
  ["div", (a, b) => a.div(b), (a, b) => f(a / b)],
  ["max", (a, b) => a.max(b), (a, b) => Math.max(a, b)],
  ["min", (a, b) => a.min(b), (a, b) => Math.min(a, b)],
  ["sqrt", (a) => a.sqrt(), (a) => f(Math.sqrt(a))],
  ["abs neg", (a) => a.abs().neg(), (a) => -Math.abs(a)],
  ["sign", (a) => a.sign(), (a) => (a > 0 ? 1 : a < 0 ? -1 : 0)],
  ["fma", (a, b) => fma(a, b, a), (a, b) => f(a * b + a)],
  ["select lt", (a, b) => select(a.lt(b), a, b), (a, b) => (a < b ? a : b)],
  [
    "select ge/ne",
    (a, b) => select(a.ge(b).and(a.ne(b)), a, b.neg()),
    (a, b) => (a >= b && a !== b ? a : -b),
  ],
  ["isNaN", (a, b) => select(a.isNaN(), b, a), (a, b) => (Number.isNaN(a) ? b : a)],
];

/** Run `expr(p, g)` on every pair of SPECIAL values through the WebAssembly rendering. */
function runWasm(expr: (a: Expr, b: Expr) => Expr): Float32Array {
  const k = new LaneBuilder();
  k.set("p", expr(k.p, k.g));
  const program = k.program();
  const m = new ModuleBuilder({ memory: { shared: false, minPages: 1, maxPages: 1 } });
  const none = () => {
    throw new Error("no leaves here");
  };
  const leaves = {
    uniform: none,
    engine: none,
    tensorIndex: none,
    elementIndex: none,
    valid: none,
    tensorScale: none,
    globalScale: none,
  } as WasmLeaves;
  m.func("run", [I32, I32], [], (e) => {
    const vars = new Map([["p", e.local(V128)], ["g", e.local(V128)]]);
    const lanes = new LaneWasm(e, leaves, vars);
    lanes.hoist(program);
    e.op(OP.block, 0x40).op(OP.loop, 0x40);
    e.op(OP.local_get, 0).op(OP.local_get, 1).op(OP.i32_ge_u).op(OP.br_if, 1);
    e.op(OP.local_get, 0).simdMem(SIMD.v128_load, 4, 0).op(OP.local_set, vars.get("p")!);
    e.op(OP.local_get, 0).simdMem(SIMD.v128_load, 4, 32768).op(OP.local_set, vars.get("g")!);
    lanes.body(program);
    e.op(OP.local_get, 0).op(OP.local_get, vars.get("p")!).simdMem(SIMD.v128_store, 4, 0);
    e.op(OP.local_get, 0).i32(16).op(OP.i32_add).op(OP.local_set, 0);
    e.op(OP.br, 0).op(OP.end).op(OP.end);
  });
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1 });
  const inst = new WebAssembly.Instance(new WebAssembly.Module(m.bytes()), { env: { memory } });
  const n = SPECIAL.length ** 2;
  const p = new Float32Array(memory.buffer, 0, n), g = new Float32Array(memory.buffer, 32768, n);
  SPECIAL.forEach((a, i) =>
    SPECIAL.forEach((b, j) => (p[i * SPECIAL.length + j] = a, g[i * SPECIAL.length + j] = b))
  );
  (inst.exports.run as (a: number, b: number) => void)(0, Math.ceil(n / 4) * 16);
  return p.slice();
}

for (const [name, expr, meaning] of OPS) {
  Deno.test(`lane operation '${name}' in WebAssembly: bitwise its float32 meaning on NaN, ±0, ±Inf, denormals`, () => {
    const got = runWasm(expr);
    SPECIAL.forEach((a, i) =>
      SPECIAL.forEach((b, j) => {
        const want = f(meaning(f(a), f(b)));
        const x = got[i * SPECIAL.length + j];
        equal(sameBits(x, want), true, `${name}(${a}, ${b}) = ${x}, expected ${want}`);
      })
    );
  });
}

Deno.test("lane programs render as WGSL statements with torch's NaN helpers", () => {
  const k = new LaneBuilder();
  const m = k.slot("m");
  k.set("m", m.mul(k.u("beta")).max(k.g.abs()));
  k.when(k.e("wd").ne(0), () => k.set("p", k.p.mul(k.e("decay"))));
  equal(
    laneWgsl(k.program()),
    "m = nb_max4((m * u.beta), abs(gv));\nif ((e.wd != 0.0)) {\n  p = (p * e.decay);\n}",
  );
});
