import { deepEqual, equal, match, ok, throws } from "node:assert/strict";
import { I32, ModuleBuilder, OP } from "./assembler.ts";
import { acquirePool, releasePool, WorkerPool } from "./pool.ts";
import { createMemory } from "./shared_memory.ts";

/** `bump(b, e)`: memory[i] += i + 1 for i in [b, e) (i32 words); `trap` always traps. */
function kernels(shared: boolean) {
  const m = new ModuleBuilder({ memory: { shared, minPages: 1, maxPages: 1 } });
  m.func("bump", [I32, I32], [], (f) => {
    f.op(OP.block, 0x40).op(OP.loop, 0x40);
    f.op(OP.local_get, 0).op(OP.local_get, 1).op(OP.i32_ge_u).op(OP.br_if, 1);
    f.op(OP.local_get, 0).i32(4).op(OP.i32_mul); // address
    f.op(OP.local_get, 0).i32(4).op(OP.i32_mul).mem(OP.i32_load, 2, 0);
    f.op(OP.local_get, 0).op(OP.i32_add).i32(1).op(OP.i32_add);
    f.mem(OP.i32_store, 2, 0);
    f.op(OP.local_get, 0).i32(1).op(OP.i32_add).op(OP.local_set, 0);
    f.op(OP.br, 0).op(OP.end).op(OP.end);
  });
  m.func("trap", [I32, I32], [], (f) => f.op(OP.unreachable));
  return new WebAssembly.Module(m.bytes());
}

const UNITS = 10000;
const expected = Array.from({ length: UNITS }, (_, i) => i + 1);

for (const threads of [1, 3]) {
  Deno.test(`pool: every unit runs exactly once on ${threads} thread(s), repeatedly`, () => {
    const pool = acquirePool({ threads });
    const memory = createMemory(UNITS * 4, pool.shared);
    const words = new Int32Array(memory.buffer, 0, UNITS);
    const id = pool.load(kernels(pool.shared), memory, ["bump", "trap"]);
    try {
      for (let k = 1; k <= 3; k++) {
        pool.run([{ program: id, fn: 0, units: UNITS, batch: 7 }]);
        deepEqual([...words], expected.map((v) => v * k));
      }
      pool.stop(); // Workers end; the next run starts new ones with the programs loaded
      words.fill(0);
      const second = pool.load(kernels(pool.shared), memory, ["bump"]);
      pool.run([
        { program: id, fn: 0, units: UNITS / 2, batch: 64 },
        { program: second, fn: 0, units: UNITS, batch: 1000 },
      ]);
      const want = expected.map((v, i) => i < UNITS / 2 ? 2 * v : v);
      deepEqual([...words], want);
      throws(() => pool.run([{ program: id, fn: 1, units: 4, batch: 1 }]));
      pool.unload(second);
    } finally {
      pool.unload(id);
      equal(releasePool(pool), 0);
    }
  });
}

Deno.test("pool: thread counts are checked; one thread needs no Workers", () => {
  throws(() => new WorkerPool({ threads: 0 }), /'threads' must be an integer in \[1, 256\]/);
  const one = new WorkerPool({ threads: 1 });
  equal(one.threads, 1);
  equal(one.shared, false);
  equal(one.threadsNote, null);
  const many = new WorkerPool({ threads: 4 });
  ok(many.threads === 4 || /running on one thread/.test(many.threadsNote ?? ""));
  if (many.threadsNote) match(many.threadsNote, /SharedArrayBuffer|Workers/);
});
