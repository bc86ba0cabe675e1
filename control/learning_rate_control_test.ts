import { deepEqual, equal, ok, rejects, throws } from "node:assert/strict";
import { join } from "node:path";
import { tempDir } from "../tests/_gpu.ts";
import { LearningRateControlError } from "./errors.ts";
import { createLearningRateControl, LearningRateControl } from "./learning_rate_control.ts";
import { resolveControlSettings } from "./config.ts";

/** Run epochs 1..n with the given dev scores; returns the learning rates. */
function run(config: Record<string, unknown>, scores: (number | null)[]): number[] {
  const c = new LearningRateControl(config);
  return scores.map((s, i) => {
    const lr = c.learningRateForEpoch(i + 1);
    if (s !== null) c.setEpochError(i + 1, { dev_score: s });
    return lr;
  });
}

function controlError(fn: () => unknown, epoch: number, parts: RegExp[]): void {
  throws(fn, (e: unknown) => {
    ok(e instanceof LearningRateControlError, String(e));
    equal(e.epoch, epoch);
    for (const p of parts) ok(p.test(e.message), `${p} not in: ${e.message}`);
    return true;
  });
}

Deno.test("zero score: a clear error at the epoch that divides by it", () => {
  const c = new LearningRateControl({ learning_rate_control: "newbob", learning_rate: 0.01 });
  for (const [e, s] of [[1, 1.0], [2, 0.5], [3, 0.0]]) {
    c.learningRateForEpoch(e);
    c.setEpochError(e, { dev_score: s });
  }
  controlError(() => c.learningRateForEpoch(4), 4, [
    /epoch 4/,
    /'dev_score'/,
    /epochs 2 \(0\.5\) and 3 \(0\)/,
    /ZeroDivisionError/,
    /Fix:/,
  ]);
  equal(c.explain(4).kind, "error");
  // div by old: the zero is the older score, one epoch later
  const d = new LearningRateControl({
    learning_rate_control: "newbob",
    newbob_relative_error_div_by_old: true,
  });
  for (const [e, s] of [[1, 1.0], [2, 0.0], [3, 0.5]]) {
    d.learningRateForEpoch(e);
    d.setEpochError(e, { dev_score: s });
  }
  d.learningRateForEpoch(3);
  controlError(() => d.learningRateForEpoch(4), 4, [/older epoch 2/]);
});

Deno.test("decay and growth together (multi-epoch, grow threshold above decay threshold)", () => {
  const config = {
    learning_rate_control: "newbob_multi_epoch",
    learning_rate: 0.01,
    newbob_multi_num_epochs: 2,
    newbob_multi_update_interval: 1,
    newbob_relative_error_threshold: -0.05,
    newbob_relative_error_grow_threshold: -0.01,
  };
  const c = new LearningRateControl(config);
  c.learningRateForEpoch(1);
  c.setEpochError(1, { dev_score: 1.0 });
  c.learningRateForEpoch(2);
  c.setEpochError(2, { dev_score: 0.97 });
  controlError(() => c.learningRateForEpoch(3), 3, [
    /epoch 3/,
    /'dev_score'/,
    /newbob_relative_error_threshold \(-0\.05\)/,
    /newbob_relative_error_grow_threshold \(-0\.01\)/,
    /Fix: set newbob_relative_error_grow_threshold <= newbob_relative_error_threshold/,
  ]);
});

Deno.test("config: conflicting div-by-old aliases, wrong types, unknown control type", () => {
  throws(
    () =>
      resolveControlSettings({
        relative_error_div_by_old: true,
        newbob_relative_error_div_by_old: false,
      }),
    (e: unknown) =>
      e instanceof RangeError && /disagree/.test(e.message) &&
      /relative_error_div_by_old/.test(e.message),
  );
  equal(
    resolveControlSettings({
      relative_error_div_by_old: true,
      newbob_relative_error_div_by_old: true,
    }).relativeErrorDivByOld,
    true,
  );
  equal(resolveControlSettings({ relative_error_div_by_old: true }).relativeErrorDivByOld, true);
  throws(
    () => resolveControlSettings({ learning_rate_control: "newbob_rell" }),
    (e: unknown) =>
      e instanceof RangeError && /Valid types: constant, newbob/.test(e.message) &&
      /Did you mean 'newbob_rel'\?/.test(e.message),
  );
  throws(
    () => resolveControlSettings({ learning_rate: "fast" }),
    (e: unknown) => e instanceof TypeError && /'learning_rate' must be a number/.test(e.message),
  );
  throws(() => resolveControlSettings({ newbob_multi_num_epochs: 0 }), RangeError);
  throws(() => resolveControlSettings({ newbob_multi_num_epochs: 1.5 }), /must be an integer/);
  throws(
    () => resolveControlSettings({ learning_rate_decay: "half" }),
    /'learning_rate_decay' must be a number, a function/,
  );
  throws(() => resolveControlSettings({ learning_rate_control_error_measure: 3 }), TypeError);
  throws(() => resolveControlSettings({ learning_rates: [0.1, "x"] }), /non-number/);
  throws(() => resolveControlSettings({ learning_rates: { "0": 0.1 } }), /epoch number >= 1/);
  throws(
    () => resolveControlSettings({ reduce_on_plateau: { factr: 0.5 } }),
    /Did you mean 'factor'/,
  );
  throws(
    () => resolveControlSettings({ learning_rate_control_relative_error_relative_lr: "yes" }),
    /must be a boolean/,
  );
  // unknown keys are ignored; strings are read as Python floats
  const s = resolveControlSettings({
    batch_size: 3,
    learning_rate: "1e-3",
    newbob_error_threshold: "-inf",
  });
  equal(s.defaultLearningRate, 0.001);
  equal(s.errorThreshold, -Infinity);
});

Deno.test("config: defaults and precedence of learning_rate_decay (explicit null disables decay)", () => {
  const s = resolveControlSettings({});
  equal(s.kind, "constant");
  equal(s.defaultLearningRate, 1.0);
  equal(s.decay, 0.5);
  equal(s.growth, 1.0);
  equal(s.multiNumEpochs, 5);
  equal(s.multiUpdateInterval, 5);
  equal(s.relativeErrorGrowThreshold, -0.01);
  equal(
    resolveControlSettings({ newbob_relative_error_threshold: 0.2 }).relativeErrorGrowThreshold,
    0.2,
  );
  equal(resolveControlSettings({ newbob_multi_num_epochs: 3 }).multiUpdateInterval, 3);
  equal(
    resolveControlSettings({ learning_rate_decay: null, newbob_learning_rate_decay: 0.3 }).decay,
    null,
  );
  equal(
    resolveControlSettings({ learning_rate_decay: 0.8, newbob_learning_rate_decay: 0.3 }).decay,
    0.8,
  );
  equal(resolveControlSettings({ newbob_learning_rate_decay: 0.3 }).decay, 0.3);
  deepEqual([...resolveControlSettings({ learning_rates: "{3: 0.5, 1: 1e-3}" }).learningRates], [[
    3,
    0.5,
  ], [1, 0.001]]);
  deepEqual([...resolveControlSettings({ learning_rates: "[0.1, 0.2]" }).learningRates], [
    [1, 0.1],
    [2, 0.2],
  ]);
  deepEqual(resolveControlSettings({ learning_rate_control_error_measure: [] }).errorMeasure, null);
});

Deno.test("decay and growth as functions; integer values simply work", () => {
  equal(
    run({
      learning_rate_control: "newbob_abs",
      learning_rate: 1,
      learning_rate_decay: (lr: number) => lr / 4,
    }, [1, 2, null])[2],
    0.25,
  );
  equal(
    run({ learning_rate_control: "newbob_abs", learning_rate: 1, newbob_learning_rate_decay: 1 }, [
      1,
      2,
      null,
    ])[2],
    1,
  );
  equal(
    run({
      learning_rate_control: "newbob_abs",
      learning_rate: 1,
      learning_rate_growth: (lr: number) => lr + 1,
    }, [2, 1, null])[2],
    2,
  );
  const c = new LearningRateControl({
    learning_rate_control: "newbob_abs",
    learning_rate_decay: () => "x",
  });
  c.setEpochError(1, { dev_score: 1 });
  c.setEpochError(2, { dev_score: 2 });
  controlError(() => c.learningRateForEpoch(3), 3, [/decay function returned x/]);
});

Deno.test("scores: nested dicts are flattened like RETURNN; bad values are TypeErrors", () => {
  const c = new LearningRateControl({ learning_rate: 0.1 });
  c.setEpochError(1, {
    train_score: { "cost:output": 1.5 },
    dev_score: { "cost:output": 1.2, "cost:ctc": 3 },
    dev_error: {},
  });
  deepEqual(c.epochs()[0].error, { train_score: 1.5, dev_score_output: 1.2, dev_score_ctc: 3 });
  equal(c.errorKey(1), "dev_score_output");
  throws(
    () => c.setEpochError(1, { dev_score: "x" as unknown as number }),
    /'dev_score' must be a number/,
  );
  throws(
    () => c.setEpochError(1, { a: { b: { c: 1 } } as unknown as Record<string, number> }),
    TypeError,
  );
  throws(() => c.setEpochError(1, { ":meta:x": 1 }), /reserved for meta/);
  throws(() => c.setEpochError(0, { a: 1 }), RangeError);
  throws(() => c.learningRateForEpoch(1.5), RangeError);
  // repeated calls merge
  c.setEpochError(1, { devtrain_score: 2 });
  equal(Object.keys(c.epochs()[0].error).length, 4);
});

Deno.test("epochStartLearningRate: pretraining (TF engine rule)", () => {
  const c = new LearningRateControl({
    learning_rate_control: "newbob",
    learning_rate: 0.01,
    pretrain_learning_rate: 0.1,
    pretrain_epochs: 2,
    learning_rates: { 2: 0.5 },
  });
  equal(c.epochStartLearningRate(1), 0.1);
  equal(c.epochStartLearningRate(2), 0.1); // trains with the pretrain rate ...
  equal(c.learningRateForEpoch(2), 0.5); // ... while the seed stays in the history
  equal(c.epochStartLearningRate(3), 0.01);
  c.setEpochError(2, { dev_score: 1 });
  c.setEpochError(3, { dev_score: 2 });
  equal(c.epochStartLearningRate(4), 0.005);
  equal(c.explain(1).kind, "pretrain");
  equal(c.explain(3).kind, "initial");
  const always = new LearningRateControl({
    pretrain_learning_rate: 0.1,
    pretrain_epochs: 2,
    use_learning_rate_control_always: true,
    learning_rate: 0.3,
  });
  equal(always.epochStartLearningRate(1), 0.3);
  const none = new LearningRateControl({ pretrain_learning_rate: 0.1, learning_rate: 0.3 });
  equal(none.epochStartLearningRate(1), 0.3);
});

Deno.test("explain: structured decisions with a sentence", () => {
  const c = new LearningRateControl({
    learning_rate_control: "newbob",
    learning_rate: 0.01,
    learning_rates: { 5: 0.1 },
  });
  equal(c.explain(1).kind, "initial");
  c.setEpochError(1, { dev_score: 2 });
  equal(c.explain(2).reason, "one_epoch");
  c.setEpochError(2, { dev_score: 1.99 });
  const d = c.explain(3);
  equal(d.kind, "decay");
  equal(d.key, "dev_score");
  deepEqual(d.comparedEpochs, [1, 2]);
  equal(d.relativeError, (1.99 - 2) / 1.99);
  equal(d.learningRate, 0.005);
  ok(d.text.includes("decay 0.01 -> 0.005"), d.text);
  c.setEpochError(3, { dev_score: 1.5 });
  c.setEpochError(4, { dev_score: 1.0 });
  equal(c.explain(4).kind, "grow");
  equal(c.explain(5).kind, "seed");
  const m = new LearningRateControl({
    learning_rate_control: "newbob_multi_epoch",
    newbob_multi_num_epochs: 2,
    newbob_multi_update_interval: 2,
  });
  m.setEpochError(1, { dev_score: 1 });
  m.setEpochError(2, { dev_score: 1.1 });
  m.setEpochError(3, { dev_score: 1.2 });
  equal(m.explain(4).reason, "interval");
  const md = m.explain(5);
  equal(md.kind, "decay");
  equal(md.relativeErrors!.length, 2);
  ok(typeof md.meanRelativeError === "number");
});

Deno.test("reduce_on_plateau control: torch semantics on the resolved error key", () => {
  const lrs = run({
    learning_rate_control: "reduce_on_plateau",
    learning_rate: 0.1,
    reduce_on_plateau: { patience: 1, factor: 0.5 },
  }, [1.0, 1.0, 1.0, 0.5, 0.6, 0.6, null]);
  deepEqual(lrs, [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025]);
});

Deno.test("save/load: meta, restart from the file, file option overrides the config", async () => {
  const dir = await tempDir("lrc-");
  const file = join(dir, "out", "learning_rates");
  const config = {
    learning_rate_control: "newbob",
    learning_rate: 0.01,
    learning_rate_file: join(dir, "unused"),
  };
  const c = await createLearningRateControl(config, { file });
  equal(c.file, file);
  c.learningRateForEpoch(1);
  c.epochMeta(1).global_train_step = 1234;
  c.epochMeta(1).effective_learning_rate = 0.01;
  c.setEpochError(1, { dev_score: 2, train_score: { "cost:output": 2.5 } });
  await c.save();
  const text = await Deno.readTextFile(file);
  equal(text, c.toText());
  equal(
    text,
    "{\n1: EpochData(learningRate=0.01, error={\n':meta:effective_learning_rate': 0.01,\n" +
      "':meta:global_train_step': 1234,\n'dev_score': 2.0,\n'train_score': 2.5,\n}),\n}\n",
  );
  const again = await createLearningRateControl(config, { file });
  equal(again.toText(), text);
  equal(again.epochMeta(1).global_train_step, 1234);
  await rejects(() => Deno.stat(join(dir, "unused")), Deno.errors.NotFound);
  // no file: save is a no-op
  await new LearningRateControl({}).save();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("explain: a growth factor of 1 says keep (improved enough), a real growth says grow", () => {
  const explain = (extra: Record<string, unknown>, scores: number[]) => {
    const c = new LearningRateControl({
      learning_rate_control: "newbob",
      learning_rate: 0.01,
      ...extra,
    });
    scores.forEach((v, i) => c.setEpochError(i + 1, { dev_score: v }));
    return c.explain(scores.length + 1);
  };
  const same = explain({}, [2, 1.99, 1.5, 1.0]);
  equal(same.kind, "grow"); // the growth branch fired
  ok(same.text.startsWith("epoch 5: keep 0.005 (improved enough: relative error"), same.text);
  ok(!same.text.includes("->"), same.text);
  const grown = explain({ newbob_learning_rate_growth: 2 }, [2, 1.99, 1.5, 1.0]);
  ok(grown.text.startsWith("epoch 5: grow 0.01 -> 0.02: relative error"), grown.text);
  // A decay that cannot go lower says so too.
  const floor = explain({ min_learning_rate: 0.01 }, [2, 2]);
  equal(floor.kind, "decay");
  ok(floor.text.includes("keep 0.01 (clipped to min_learning_rate 0.01:"), floor.text);
});
