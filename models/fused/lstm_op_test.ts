// The fused LSTM op against lstmSequence's reference composition on random sizes, lengths
// (0 and full included), both directions, both gate layouts and a forget bias: outputs and
// the gradients of x and W_re, on cpu, wasm and webgpu. Plus what the kernels promise beyond
// the reference: a sequence's results do not depend on its batch partners or its padding
// (bitwise), cpu and wasm agree bitwise, no tensor leaks, errors before any work.
import assert from "node:assert/strict";
import { loadTfjs } from "../../trainer/tfjs_backend.ts";
import { gpuTest } from "../../tests/_gpu.ts";
import type { BackendName } from "../../trainer/model_types.ts";
import { lstmSequence, type LstmSequenceArgs, lstmSequenceReference } from "../lstm_cell.ts";
import type { Tf, tfjs } from "../_tf.ts";
import { fusedLstm } from "./lstm_op.ts";
import { type Case, cases, inputs, run } from "./_lstm_cases.ts";

function close(got: Float32Array, want: Float32Array, what: string) {
  let scale = 1, worst = 0;
  for (const v of want) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  assert.ok(worst <= 2e-5 * scale, `${what}: max error ${worst} (scale ${scale})`);
}

async function parity(backend: BackendName) {
  const { tf } = await loadTfjs(backend);
  for (const c of cases(backend === "webgpu" ? 12 : 40, 14)) {
    const what = `${backend} B${c.B} T${c.T} n${c.n} lens ${c.lens} ${c.order}` +
      `${c.reverse ? " reverse" : ""} fb ${c.forgetBias}`;
    const want = await run(tf, c, lstmSequenceReference);
    const got = await run(tf, c, fusedLstm);
    close(got.y, want.y, `${what}: y`);
    close(got.dx, want.dx, `${what}: dx`);
    close(got.dw, want.dw, `${what}: dW_re`);
    // Padded frames: output 0, gradient 0.
    for (let b = 0; b < c.B; b++) {
      for (let t = c.lens[b]; t < c.T; t++) {
        for (let u = 0; u < c.n; u++) assert.equal(got.y[(b * c.T + t) * c.n + u], 0);
        for (let u = 0; u < 4 * c.n; u++) assert.equal(got.dx[(b * c.T + t) * 4 * c.n + u], 0);
      }
    }
  }
}

Deno.test("fused LSTM equals the reference composition: random cases (cpu)", () => parity("cpu"));
Deno.test("fused LSTM equals the reference composition: random cases (wasm)", () => parity("wasm"));
gpuTest(
  "fused LSTM equals the reference composition: random cases (webgpu)",
  () => parity("webgpu"),
);

/**
 * Sequence `at` of a batch of `B` random partners, padded to `T`: its outputs and the gradient
 * of its own frames' loss with respect to its inputs, both directions.
 */
async function alone(backend: BackendName, at: number, B: number, T: number) {
  const { tf } = await loadTfjs(backend);
  const n = 6, L = 5;
  const seq = tf.randomNormal([1, L, 4 * n], 0, 1, "float32", 7);
  const partners = tf.randomNormal([B, T, 4 * n], 0, 1, "float32", 8 + B + T);
  const x = tf.concat([
    tf.slice(partners, [0, 0, 0], [at, T, 4 * n]),
    tf.concat([seq, tf.fill([1, T - L, 4 * n], 9)], 1),
    tf.slice(partners, [at + 1, 0, 0], [B - at - 1, T, 4 * n]),
  ]) as tfjs.Tensor3D;
  const wRe = tf.randomNormal([n, 4 * n], 0, 0.5, "float32", 9) as tfjs.Tensor2D;
  const lens = Array.from({ length: B }, (_, b) => (b === at ? L : 1 + (b * 7) % T));
  const dySeq = tf.randomNormal([1, L, n], 0, 1, "float32", 10);
  const out: number[][] = [];
  for (const reverse of [false, true]) {
    const mine = (v: tfjs.Tensor) =>
      tf.slice(fusedLstm(tf, { x: v as tfjs.Tensor3D, wRe, seqLens: lens, reverse }), [at, 0, 0], [
        1,
        L,
        n,
      ]);
    const dx = tf.grads((v) => tf.sum(tf.mul(mine(v), dySeq)))([x])[0];
    out.push([...await mine(x).data()], [...await tf.slice(dx, [at, 0, 0], [1, L, 4 * n]).data()]);
  }
  tf.dispose([seq, partners, x, wRe, dySeq]);
  return out;
}

async function partners(backend: BackendName) {
  const ref = await alone(backend, 0, 1, 5);
  for (const [at, B, T] of [[0, 6, 9], [3, 6, 9], [5, 9, 17], [1, 2, 5]]) {
    assert.deepEqual(await alone(backend, at, B, T), ref, `${backend}: at ${at} of ${B}, T ${T}`);
  }
}

for (const backend of ["cpu", "wasm"] as BackendName[]) {
  Deno.test(`fused LSTM: a sequence's results do not depend on partners or padding (${backend})`, () =>
    partners(backend));
}
gpuTest(
  "fused LSTM: a sequence's results do not depend on partners or padding (webgpu)",
  () => partners("webgpu"),
);

Deno.test("fused LSTM: cpu and wasm kernels agree bitwise (outputs and dx)", async () => {
  for (const c of cases(8, 3)) {
    const r: { y: Float32Array; dx: Float32Array }[] = [];
    for (const backend of ["cpu", "wasm"] as BackendName[]) {
      const { tf } = await loadTfjs(backend);
      r.push(await run(tf, c, fusedLstm));
    }
    assert.deepEqual(r[0].y, r[1].y);
    assert.deepEqual(r[0].dx, r[1].dx);
  }
});

Deno.test("fused LSTM: no tensors leak (forward, gradient, inference)", async () => {
  for (const backend of ["cpu", "wasm"] as BackendName[]) {
    const { tf } = await loadTfjs(backend);
    const c = cases(1, 5)[0];
    const { x, wRe, dy } = inputs(tf, c);
    const before = tf.memory().numTensors;
    const a = (v: tfjs.Tensor, w: tfjs.Tensor) => ({
      x: v as tfjs.Tensor3D,
      wRe: w as tfjs.Tensor2D,
      seqLens: c.lens,
    });
    fusedLstm(tf, a(x, wRe)).dispose();
    tf.dispose(tf.grads((v, w) => tf.sum(tf.mul(fusedLstm(tf, a(v, w)), dy)))([x, wRe]));
    assert.equal(tf.memory().numTensors, before, backend);
    tf.dispose([x, wRe, dy]);
  }
});

Deno.test("fused LSTM: bad shapes, layouts and lengths are errors before any work", async () => {
  const { tf } = await loadTfjs("cpu");
  const x = tf.zeros([2, 3, 8]) as tfjs.Tensor3D, w = tf.zeros([2, 8]) as tfjs.Tensor2D;
  assert.throws(
    () => fusedLstm(tf, { x: tf.zeros([2, 3, 7]) as tfjs.Tensor3D, wRe: w, seqLens: [3, 3] }),
    TypeError,
  );
  assert.throws(
    () => fusedLstm(tf, { x, wRe: tf.zeros([3, 8]) as tfjs.Tensor2D, seqLens: [3, 3] }),
    /\[2, 8\]/,
  );
  assert.throws(() => fusedLstm(tf, { x, wRe: w, seqLens: [3, 4] }), RangeError);
  assert.throws(() => fusedLstm(tf, { x, wRe: w, seqLens: [3] }), RangeError);
  assert.throws(
    () => fusedLstm(tf, { x, wRe: w, seqLens: [3, 3], gateOrder: "jiff" }),
    /permutation/,
  );
  assert.throws(() => lstmSequence(tf, { x, wRe: w, seqLens: [3, 3], impl: "nope" as never }));
  tf.dispose([x, w]);
});

gpuTest(
  "fused LSTM on webgpu: long sequences (past lavapipe's per-dispatch loop limit) equal cpu",
  async () => {
    // n 64, 300 frames: ~80k loop iterations for one invocation if run in one dispatch.
    const c: Case = {
      B: 2,
      T: 300,
      n: 64,
      lens: [300, 170],
      reverse: true,
      order: "jifo",
      forgetBias: 0,
      seed: 3,
    };
    const small = (tf: Tf, a: LstmSequenceArgs) =>
      fusedLstm(tf, { ...a, wRe: tf.mul(a.wRe, 0.2) as tfjs.Tensor2D });
    const want = await run((await loadTfjs("cpu")).tf, c, small);
    const got = await run((await loadTfjs("webgpu")).tf, c, small);
    close(got.y, want.y, "y");
    close(got.dx, want.dx, "dx");
    close(got.dw, want.dw, "dW_re");
  },
);
