// The fused LSTM on the worker pool: outputs and gradients bitwise those of the one-thread
// kernels (cpu and wasm backends, random sizes and lengths, both directions, 2 and 3 threads),
// the work threshold, and the option's checks.
import assert from "node:assert/strict";
import { loadTfjs } from "../../trainer/tfjs_backend.ts";
import type { BackendName } from "../../trainer/model_types.ts";
import { fusedLstm } from "./lstm_op.ts";
import { cases, run } from "./_lstm_cases.ts";
import {
  fusedLstmThreads,
  LSTM_POOL_MIN_WORK,
  setFusedLstmThreads,
  usesLstmPool,
} from "./lstm_pool.ts";

async function parity(backend: BackendName) {
  const { tf } = await loadTfjs(backend);
  try {
    for (const c of cases(16, 27, 2)) {
      const what = `${backend} B${c.B} T${c.T} n${c.n} lens ${c.lens} ${c.order}` +
        `${c.reverse ? " reverse" : ""}`;
      setFusedLstmThreads({ threads: 1 });
      assert.equal(usesLstmPool(c), false);
      const one = await run(tf, c, fusedLstm);
      assert.ok(one.y.some((v) => v !== 0) || c.lens.every((l) => l === 0), what);
      for (const threads of [2, 3]) {
        setFusedLstmThreads({ threads, minWork: 0 });
        const { note } = fusedLstmThreads();
        if (note) {
          console.warn(`SKIPPED pooled LSTM parity on ${backend}: ${note}`);
          return;
        }
        assert.ok(usesLstmPool(c), what);
        assert.deepEqual(await run(tf, c, fusedLstm), one, `${what}: ${threads} threads`);
      }
    }
  } finally {
    setFusedLstmThreads(); // the defaults again, the pool released
  }
}

Deno.test("fused LSTM on the worker pool equals one thread bitwise: outputs and gradients (cpu)", () =>
  parity("cpu"));
Deno.test("fused LSTM on the worker pool equals one thread bitwise: outputs and gradients (wasm)", () =>
  parity("wasm"));

Deno.test("fused LSTM pool: the work threshold, one sequence and one thread stay on the calling thread", () => {
  try {
    setFusedLstmThreads({ threads: 2 });
    assert.equal(usesLstmPool({ B: 10, T: 55, n: 10 }), false); // 12AX: 220 thousand
    const big = { B: 32, T: 100, n: 256 };
    assert.ok(big.B * big.T * big.n * 4 * big.n >= LSTM_POOL_MIN_WORK);
    assert.equal(usesLstmPool(big), fusedLstmThreads().threads > 1);
    assert.equal(usesLstmPool({ B: 1, T: 10000, n: 256 }), false); // one sequence: one range
    setFusedLstmThreads({ threads: 1, minWork: 0 });
    assert.equal(usesLstmPool(big), false);
    assert.deepEqual(fusedLstmThreads(), { threads: 1, note: null });
  } finally {
    setFusedLstmThreads(); // the defaults again, the pool released
  }
});

Deno.test("fused LSTM pool: bad options are RangeErrors naming the value", () => {
  assert.throws(() => setFusedLstmThreads({ threads: 0 }), /'threads' must be an integer.*0/);
  assert.throws(() => setFusedLstmThreads({ threads: 1.5 }), RangeError);
  assert.throws(() => setFusedLstmThreads({ minWork: -1 }), /'minWork' must be.*-1/);
  assert.throws(() => setFusedLstmThreads({ minWork: NaN }), RangeError);
});
