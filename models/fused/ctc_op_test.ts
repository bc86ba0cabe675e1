// The fused CTC op against ctcLoss's reference composition on random cases (lengths 0 and
// full, blank first and last, repeated labels, targets too long to align, zeroInfinity,
// per-sequence upstream gradients): losses and logit gradients on cpu, wasm and webgpu; a long
// input on webgpu (more loop iterations than Mesa's software adapter runs in one dispatch);
// the reference itself on PyTorch's fixture.
import assert from "node:assert/strict";
import { loadTfjs } from "../../trainer/tfjs_backend.ts";
import { gpuTest } from "../../tests/_gpu.ts";
import type { BackendName } from "../../trainer/model_types.ts";
import { Rng } from "../../trainer/rng.ts";
import type { Tf, tfjs } from "../_tf.ts";
import { ctcLoss, type CtcLossOptions } from "../losses/ctc.ts";
import { checkCtcCases, type CtcCase } from "../losses/_ctc_fixture_check.ts";

interface Case {
  B: number;
  T: number;
  C: number;
  S: number;
  inLens: number[];
  tgtLens: number[];
  targets: number[];
  blank: number;
  zeroInfinity: boolean;
  seed: number;
}

function cases(count: number, seed: number, maxT = 14): Case[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, (_, k) => {
    const B = 1 + rng.int(4), T = 1 + rng.int(maxT), C = 2 + rng.int(6), S = 1 + rng.int(6);
    const blank = k % 2 ? C - 1 : 0;
    const inLens = Array.from({ length: B }, (_, b) => (b === 0 ? T : rng.int(T + 1)));
    const tgtLens = Array.from({ length: B }, () => rng.int(S + 1));
    const targets = Array.from({ length: B * S }, (_, i) => {
      if (i % S >= tgtLens[Math.floor(i / S)]) return -1;
      // small alphabets make repeats likely
      const l = rng.int(C - 1);
      return l >= blank ? l + 1 : l;
    });
    return { B, T, C, S, inLens, tgtLens, targets, blank, zeroInfinity: k % 3 === 2, seed: 1 + k };
  });
}

async function run(tf: Tf, c: Case, impl: CtcLossOptions["impl"]) {
  const logits = tf.randomNormal([c.B, c.T, c.C], 0, 2, "float32", c.seed) as tfjs.Tensor3D;
  const targets = tf.tensor2d(c.targets, [c.B, c.S], "int32");
  const w = tf.randomUniform([c.B], 0.5, 1.5, "float32", c.seed + 1);
  const opts = { blank: c.blank, zeroInfinity: c.zeroInfinity, impl };
  const f = (x: tfjs.Tensor) => ctcLoss(tf, x, targets, c.inLens, c.tgtLens, opts);
  const loss = f(logits);
  // Upstream gradients per sequence; 0 where the loss is infinite (it stays out of the sum).
  const [grad] = tf.grads((x) => {
    const l = f(x);
    return tf.sum(tf.mul(tf.where(tf.isFinite(l), l, tf.zerosLike(l)), w));
  })([logits]);
  const out = { loss: await loss.data() as Float32Array, grad: await grad.data() as Float32Array };
  tf.dispose([logits, targets, w, loss, grad]);
  return out;
}

function close(got: Float32Array, want: Float32Array, what: string) {
  let scale = 1, worst = 0;
  for (const v of want) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < want.length; i++) {
    if (!Number.isFinite(want[i])) {
      assert.equal(got[i], want[i], `${what}[${i}]`);
      continue;
    }
    worst = Math.max(worst, Math.abs(got[i] - want[i]));
  }
  assert.ok(worst <= 1e-4 * scale, `${what}: max error ${worst} (scale ${scale})`);
}

async function parity(backend: BackendName) {
  const { tf } = await loadTfjs(backend);
  for (const c of cases(backend === "webgpu" ? 12 : 40, 21)) {
    const what = `${backend} B${c.B} T${c.T} C${c.C} S${c.S} in ${c.inLens} tgt ${c.tgtLens} ` +
      `blank ${c.blank}${c.zeroInfinity ? " zeroInfinity" : ""}`;
    const want = await run(tf, c, "reference");
    const got = await run(tf, c, "fused");
    close(got.loss, want.loss, `${what}: loss`);
    close(got.grad, want.grad, `${what}: grad`);
  }
}

Deno.test("fused CTC equals the reference composition: random cases (cpu)", () => parity("cpu"));
Deno.test("fused CTC equals the reference composition: random cases (wasm)", () => parity("wasm"));
gpuTest(
  "fused CTC equals the reference composition: random cases (webgpu)",
  () => parity("webgpu"),
);

gpuTest(
  "fused CTC on webgpu: long inputs (past lavapipe's per-dispatch loop limit) equal cpu",
  async () => {
    // 400 frames x 81 states: ~100k loop iterations for one invocation if run in one dispatch.
    const S = 40, rng = new Rng(9);
    const c: Case = {
      B: 2,
      T: 400,
      C: 6,
      S,
      inLens: [400, 350],
      tgtLens: [40, 33],
      targets: Array.from(
        { length: 2 * S },
        (_, i) => (i % S < [40, 33][Math.floor(i / S)] ? 1 + rng.int(5) : -1),
      ),
      blank: 0,
      zeroInfinity: false,
      seed: 4,
    };
    const want = await run((await loadTfjs("cpu")).tf, c, "fused");
    const got = await run((await loadTfjs("webgpu")).tf, c, "fused");
    assert.ok(want.loss.every(Number.isFinite));
    close(got.loss, want.loss, "loss");
    close(got.grad, want.grad, "grad");
  },
);

Deno.test("the reference CTC composition still matches PyTorch's ctc.json", async () => {
  const { tf } = await loadTfjs("cpu");
  const shared = JSON.parse(await Deno.readTextFile("tests/fixtures/torch/ctc.json")) as {
    cases: CtcCase[];
  };
  const r = await checkCtcCases(tf, shared.cases, "reference");
  assert.deepEqual(r.infMismatch, []);
  assert.ok(r.loss <= 1 && r.grad <= 1, `${r.loss} ${r.grad} x tolerance (${r.worst})`);
});
