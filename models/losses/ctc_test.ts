import assert from "node:assert/strict";
import { loadTfjs } from "../../trainer/tfjs_backend.ts";
import { gpuTest } from "../../tests/_gpu.ts";
import { ctcLoss } from "./ctc.ts";
import { checkCtcCases, type CtcCase } from "./_ctc_fixture_check.ts";

const shared = JSON.parse(await Deno.readTextFile("tests/fixtures/torch/ctc.json")) as {
  cases: CtcCase[];
};

const extra = JSON.parse(await Deno.readTextFile("tests/fixtures/torch_ctc/ctc_extra.json")) as {
  cases: CtcCase[];
};

async function run(backend: "cpu" | "wasm" | "webgpu", file = "ctc.json"): Promise<void> {
  const { tf } = await loadTfjs(backend);
  const cases = file === "ctc.json" ? shared.cases : extra.cases;
  const r = await checkCtcCases(tf, cases);
  console.log(
    `${file} on ${backend}: ${cases.length} cases, worst loss error ${
      r.loss.toFixed(3)
    } and gradient error ${r.grad.toFixed(3)} of the tolerance (${r.worst})`,
  );
  assert.deepEqual(r.infMismatch, []);
  assert.ok(r.loss <= 1, `loss error ${r.loss} x tolerance in ${r.worst}`);
  assert.ok(r.grad <= 1, `gradient error ${r.grad} x tolerance in ${r.worst}`);
}

Deno.test("ctcLoss matches PyTorch's ctc.json on cpu", () => run("cpu"));
Deno.test("ctcLoss matches PyTorch's ctc.json on wasm", () => run("wasm"));
gpuTest("ctcLoss matches PyTorch's ctc.json on webgpu", () => run("webgpu"));
Deno.test("ctcLoss matches the extra PyTorch cases (long, large C, repeats, empty) on cpu", () =>
  run("cpu", "ctc_extra.json"));
Deno.test("ctcLoss matches the extra PyTorch cases on wasm", () => run("wasm", "ctc_extra.json"));
gpuTest("ctcLoss matches the extra PyTorch cases on webgpu", () => run("webgpu", "ctc_extra.json"));

Deno.test("ctcLoss: repeats need a blank, empty targets, empty inputs, zeroInfinity", async () => {
  const { tf } = await loadTfjs("cpu");
  const C = 3;
  const logits = tf.zeros([5, 3, C]); // uniform: every path has probability (1/3)^T
  const targets = tf.tensor2d([[1, 1], [1, 1], [0, 0], [2, -1], [1, 2]], [5, 2], "int32");
  // blank 0: [1,1] in 3 frames has one path (1 _ 1); in 2 frames none. Empty target in 3
  // frames: one path. Target [2] in 0 frames: impossible. [1,2] in 0 frames: impossible.
  const loss = ctcLoss(tf, logits, targets, [3, 2, 3, 0, 0], [2, 2, 0, 1, 2]);
  const got = Array.from(await loss.data());
  const one = 3 * Math.log(3);
  assert.ok(Math.abs(got[0] - one) < 1e-5 && Math.abs(got[2] - one) < 1e-5);
  assert.equal(got[1], Infinity);
  assert.equal(got[3], Infinity);
  assert.equal(got[4], Infinity);
  const empty = ctcLoss(tf, tf.zeros([1, 2, C]), tf.tensor2d([[-1]], [1, 1], "int32"), [0], [0]);
  assert.ok((await empty.data())[0] === 0); // nothing to emit, nothing to predict: p = 1 (-0 like torch)
  const z = ctcLoss(tf, logits, targets, [3, 2, 3, 0, 0], [2, 2, 0, 1, 2], { zeroInfinity: true });
  assert.deepEqual(Array.from(await z.data()).map((v, i) => (i === 0 || i === 2 ? 1 : v)), [
    1,
    0,
    1,
    0,
    0,
  ]);
  const g = await tf.grad((x) =>
    tf.sum(ctcLoss(tf, x, targets, [3, 2, 3, 0, 0], [2, 2, 0, 1, 2], { zeroInfinity: true }))
  )(logits).array() as number[][][];
  assert.ok(g[1].flat().every((v) => v === 0) && g[3].flat().every((v) => v === 0));
  assert.ok(g[0].flat().some((v) => v !== 0));
});

Deno.test("ctcLoss: bad shapes and lengths are reported with the fix", async () => {
  const { tf } = await loadTfjs("cpu");
  const x = tf.zeros([2, 4, 3]);
  const t = tf.tensor2d([[1], [2]], [2, 1], "int32");
  assert.throws(() => ctcLoss(tf, tf.zeros([4, 3]), t, [4, 4], [1, 1]), TypeError);
  assert.throws(() => ctcLoss(tf, x, t, [4], [1, 1]), /one entry per sequence \(2\)/);
  assert.throws(
    () => ctcLoss(tf, x, t, [5, 4], [1, 1]),
    /inputLengths\[0\]' must be an integer in \[0, 4\]/,
  );
  assert.throws(() => ctcLoss(tf, x, t, [4, 4], [1, 2]), /targetLengths\[1\]/);
  assert.throws(
    () => ctcLoss(tf, x, t, [4, 4], [1, 1], { blank: 3 }),
    /'blank' must be an integer in \[0, 3\)/,
  );
  tf.dispose([x, t]);
});

Deno.test("ctcLoss: the same sequences padded differently give the same losses and gradients", async () => {
  const { tf } = await loadTfjs("cpu");
  const a = tf.randomNormal([1, 6, 4], 0, 2, "float32", 7);
  const b = tf.randomNormal([1, 9, 4], 0, 2, "float32", 8);
  const lossAndGrad = (
    x: ReturnType<typeof tf.zeros>,
    t: ReturnType<typeof tf.zeros>,
    il: number[],
    tl: number[],
  ) => {
    const l = ctcLoss(tf, x as never, t as never, il, tl, { blank: 3 });
    const g = tf.grad((y) => tf.sum(ctcLoss(tf, y, t as never, il, tl, { blank: 3 })))(x);
    return [l.arraySync() as number[], g.arraySync() as number[][][]] as const;
  };
  const [la] = lossAndGrad(a, tf.tensor2d([[0, 1, 1]], [1, 3], "int32"), [6], [3]);
  // a padded to T=11 and S=5 with noise, next to b
  const padded = tf.concat([
    tf.concat([a, tf.randomNormal([1, 5, 4], 0, 9, "float32", 9)], 1),
    tf.concat([b, tf.randomNormal([1, 2, 4], 0, 9, "float32", 10)], 1),
  ], 0);
  const t2 = tf.tensor2d([[0, 1, 1, 2, 2], [2, 0, 0, -1, -1]], [2, 5], "int32");
  const [lp, gp] = lossAndGrad(padded, t2, [6, 9], [3, 3]);
  const [, ga] = lossAndGrad(a, tf.tensor2d([[0, 1, 1]], [1, 3], "int32"), [6], [3]);
  assert.ok(Math.abs(lp[0] - la[0]) < 1e-5);
  for (let t = 0; t < 6; t++) {
    for (let c = 0; c < 4; c++) assert.ok(Math.abs(gp[0][t][c] - ga[0][t][c]) < 1e-6);
  }
  for (let t = 6; t < 11; t++) assert.ok(gp[0][t].every((v) => v === 0));
});

Deno.test("ctcLoss: the issue's contract (./models, re-exported by ./trainer; lengths as number[] or Int32Array)", async () => {
  const models = await import("../mod.ts");
  const trainer = await import("../../trainer/mod.ts");
  assert.equal(models.ctcLoss, ctcLoss);
  assert.equal(trainer.ctcLoss, ctcLoss);
  const { tf } = await loadTfjs("cpu");
  const logits = tf.randomNormal([2, 5, 4], 0, 1, "float32", 3) as ReturnType<typeof tf.tensor3d>;
  const targets = tf.tensor2d([[1, 2], [3, -1]], [2, 2], "int32");
  const loss = ctcLoss(tf, logits, targets, [5, 3], [2, 1], { blank: 0, zeroInfinity: false });
  assert.deepEqual(loss.shape, [2]);
  assert.equal(loss.rank, 1);
  const typed = ctcLoss(tf, logits, targets, new Int32Array([5, 3]), new Int32Array([2, 1]), {
    blank: 0,
    zeroInfinity: false,
  });
  assert.deepEqual(Array.from(await typed.data()), Array.from(await loss.data()));
  // -log p: positive and finite where alignable; the gradient of the sum is [B, T, C]
  assert.ok(Array.from(await loss.data()).every((v) => Number.isFinite(v) && v > 0));
  const g = tf.grad((x) => tf.sum(ctcLoss(tf, x, targets, [5, 3], [2, 1], { blank: 0 })))(logits);
  assert.deepEqual(g.shape, [2, 5, 4]);
  // past a sequence's input length the logits get no gradient
  const g1 = (await g.array() as number[][][])[1];
  assert.ok(g1.slice(3).flat().every((v) => v === 0));
  tf.dispose([logits, targets, loss, typed, g]);
});
