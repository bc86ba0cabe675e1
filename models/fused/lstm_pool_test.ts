// The fused LSTM on the worker pool: outputs and gradients bitwise those of the one-thread
// kernels (cpu and wasm backends, random sizes and lengths, both directions, 2 and 3 threads),
// the work threshold, and the option's checks.
import assert from "node:assert/strict";
import { loadTfjs } from "../../trainer/tfjs_backend.ts";
import type { BackendName } from "../../trainer/model_types.ts";
import { Rng } from "../../trainer/rng.ts";
import type { Tf, tfjs } from "../_tf.ts";
import { fusedLstm } from "./lstm_op.ts";
import {
  fusedLstmThreads,
  LSTM_POOL_MIN_WORK,
  setFusedLstmThreads,
  usesLstmPool,
} from "./lstm_pool.ts";

interface Case {
  B: number;
  T: number;
  n: number;
  lens: number[];
  reverse: boolean;
  order: string;
  forgetBias: number;
  seed: number;
}

function cases(count: number, seed: number): Case[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, (_, k) => {
    const B = 2 + rng.int(9), T = 1 + rng.int(14);
    const n = [1, 3, 4, 5, 8, 13, 33][rng.int(7)];
    const lens = Array.from({ length: B }, (_, b) => (b === 0 ? T : rng.int(T + 1)));
    return {
      B,
      T,
      n,
      lens,
      reverse: k % 2 === 1,
      order: rng.next() < 0.5 ? "jifo" : "fjio",
      forgetBias: rng.next() < 0.3 ? 1 : 0,
      seed: 1 + rng.int(1000),
    };
  });
}

/** y and the gradients of sum(y * dy) with respect to x and W_re, as arrays. */
async function run(tf: Tf, c: Case): Promise<number[][]> {
  const x = tf.randomNormal([c.B, c.T, 4 * c.n], 0, 1.5, "float32", c.seed) as tfjs.Tensor3D;
  const wRe = tf.randomNormal([c.n, 4 * c.n], 0, 0.6, "float32", c.seed + 1) as tfjs.Tensor2D;
  const dy = tf.randomNormal([c.B, c.T, c.n], 0, 1, "float32", c.seed + 2);
  const f = (a: tfjs.Tensor, b: tfjs.Tensor) =>
    fusedLstm(tf, {
      x: a as tfjs.Tensor3D,
      wRe: b as tfjs.Tensor2D,
      seqLens: c.lens,
      reverse: c.reverse,
      gateOrder: c.order,
      forgetBias: c.forgetBias,
    });
  const y = f(x, wRe);
  const [dx, dw] = tf.grads((a, b) => tf.sum(tf.mul(f(a, b), dy)))([x, wRe]);
  const out = [
    Array.from(await y.data()),
    Array.from(await dx.data()),
    Array.from(await dw.data()),
  ];
  tf.dispose([x, wRe, dy, y, dx, dw]);
  return out;
}

async function parity(backend: BackendName) {
  const { tf } = await loadTfjs(backend);
  try {
    for (const c of cases(16, 27)) {
      const what = `${backend} B${c.B} T${c.T} n${c.n} lens ${c.lens} ${c.order}` +
        `${c.reverse ? " reverse" : ""}`;
      setFusedLstmThreads({ threads: 1 });
      assert.equal(usesLstmPool(c), false);
      const one = await run(tf, c);
      assert.ok(one[0].some((v) => v !== 0) || c.lens.every((l) => l === 0), what);
      for (const threads of [2, 3]) {
        setFusedLstmThreads({ threads, minWork: 0 });
        const { note } = fusedLstmThreads();
        if (note) {
          console.warn(`SKIPPED pooled LSTM parity on ${backend}: ${note}`);
          return;
        }
        assert.ok(usesLstmPool(c), what);
        assert.deepEqual(await run(tf, c), one, `${what}: ${threads} threads`);
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
