import assert from "node:assert/strict";
import { loadTfjs } from "../trainer/tfjs_backend.ts";
import { RunCtx } from "./run_ctx.ts";
import { ScoreAccumulator } from "./scores.ts";
import { flattenScores, resolveErrorKey } from "../control/error_key.ts";

const { tf } = await loadTfjs("cpu");

Deno.test("markAsLoss: scale, useNormalizedLoss, customInvNormFactor and asError as RETURNN's run_ctx", async () => {
  const ctx = new RunCtx(tf);
  ctx.markAsLoss("a", tf.tensor1d([1, 2, 3])); // per sequence: norm 3 sequences
  ctx.markAsLoss("b", { values: tf.tensor2d([[4, 4], [2, 9]]), seqLens: [2, 1] }, {
    scale: 0.5,
    useNormalizedLoss: true,
  });
  ctx.markAsLoss("c", tf.scalar(10), { customInvNormFactor: new Int32Array([3, 2]) });
  ctx.markAsLoss("d", tf.tensor1d([7]), { scale: 0 });
  ctx.markAsLoss("e", tf.tensor1d([true, false], "bool"), {
    asError: true,
    customInvNormFactor: tf.tensor1d([2, 3]),
  });
  // a: 6; b: 10 / 3 * 0.5; c: 10; d: scale 0; e: error
  assert.ok(Math.abs(ctx.totalLoss().dataSync()[0] - (6 + 10 / 6 + 10)) < 1e-5);
  assert.deepEqual(Object.fromEntries(await ctx.read()), {
    a: { loss: 6, invNorm: 3 },
    b: { loss: 10, invNorm: 3 },
    c: { loss: 10, invNorm: 5 },
    d: { loss: 7, invNorm: 1 },
    e: { loss: 1, invNorm: 5 },
  });
  assert.throws(() => ctx.markAsLoss("a", tf.scalar(1)), /twice in one step/);
  ctx.dispose();
  const empty = new RunCtx(tf);
  empty.markAsLoss("fer", tf.scalar(1), { asError: true });
  assert.throws(() => empty.totalLoss(), /no loss was marked/);
  empty.dispose();
});

Deno.test("scores: sums over the epoch divided by the summed factors; names as each RETURNN engine", async () => {
  const torch = new ScoreAccumulator(tf, "torch");
  const tfStyle = new ScoreAccumulator(tf, "tf");
  for (const [ce, frames, err] of [[10, 4, 1], [2, 12, 3]]) {
    const a = new RunCtx(tf);
    a.markAsLoss("ce", tf.scalar(ce), { customInvNormFactor: frames });
    a.markAsLoss("fer", tf.scalar(err), { asError: true, customInvNormFactor: frames });
    torch.add(a);
    a.dispose();
    const b = new RunCtx(tf, { style: "tf" });
    for (const layer of ["output", "ctc"]) {
      b.markAsLoss(layer, tf.scalar(ce), { customInvNormFactor: frames });
      b.markAsLoss(layer, tf.scalar(err), { asError: true, customInvNormFactor: frames });
    }
    tfStyle.add(b);
    b.dispose();
  }
  assert.deepEqual(await torch.scores("dev"), { dev_loss_ce: 0.75, dev_loss_fer: 0.25 });
  const s = await tfStyle.scores("dev");
  assert.deepEqual(s, {
    dev_score: { "cost:output": 0.75, "cost:ctc": 0.75 },
    dev_error: { "error:output": 0.25, "error:ctc": 0.25 },
  });
  // The learning-rate control flattens them as RETURNN's set_epoch_error does.
  const flat = flattenScores(s);
  assert.deepEqual([...flat.keys()], [
    "dev_score_output",
    "dev_score_ctc",
    "dev_error_output",
    "dev_error_ctc",
  ]);
  assert.equal(resolveErrorKey(flat.keys(), null), "dev_score_output");
  assert.equal(
    resolveErrorKey(flattenScores(await torch.scores("dev")).keys(), "dev_loss_fer"),
    "dev_loss_fer",
  );
  const one = new ScoreAccumulator(tf, "tf");
  const c = new RunCtx(tf, { style: "tf" });
  c.markAsLoss("output", tf.scalar(3), { customInvNormFactor: 2 });
  one.add(c);
  assert.deepEqual(flattenScores(await one.scores("train")), new Map([["train_score", 1.5]]));
  assert.throws(() => torch.add(c), /'tf' style step/);
  c.dispose();
  torch.reset();
  tfStyle.reset();
  one.reset();
});
