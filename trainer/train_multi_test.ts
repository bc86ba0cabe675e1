import { deepEqual, equal, ok } from "node:assert/strict";
import { train } from "./train.ts";
import { defaultDeps } from "./wiring.ts";
import type { Config } from "./config_types.ts";
import type { BackendName } from "./model_types.ts";
import type { EpochControl, TrainDeps } from "./train_deps.ts";
import { createLearningRateControl } from "../control/learning_rate_control.ts";
import { flattenScores } from "../control/error_key.ts";
import { both, tempDir } from "../tests/_gpu.ts";
import {
  assertFileIsControlReplay,
  quiet,
  smallDigitsJob,
  testClock,
  TWO_HEAD_TENSORS,
} from "./_fakes_test.ts";

const single: Config = smallDigitsJob;

const multi: Config = {
  ...single,
  data: { name: "digits", dev_fraction: 0.2, targets: { output: "digit", parity: "parity" } },
  model: { type: "mlp", hidden: [32], outputs: { output: 10, parity: 2 } },
  learning_rate_control_error_measure: "dev_score_parity",
};

const FLAT_MULTI = [
  "train_score_output",
  "train_score_parity",
  "train_error_output",
  "train_error_parity",
  "dev_score_output",
  "dev_score_parity",
  "dev_error_output",
  "dev_error_parity",
];

type Scores = Record<string, number | Record<string, number>>;

/** The real deps with every setEpochError call recorded. */
async function recordingDeps(calls: Scores[]): Promise<TrainDeps> {
  const deps = await defaultDeps();
  return {
    ...deps,
    createControl: async (config, o): Promise<EpochControl> => {
      const control = await deps.createControl(config, o);
      return {
        ...control,
        setEpochError: (e, scores) => {
          calls.push(structuredClone(scores));
          control.setEpochError(e, scores);
        },
      };
    },
  };
}

Deno.test("train (cpu): score dicts per output layer, flattened RETURNN's way (1 and 2 outputs)", async () => {
  // One output: RETURNN TF's {"cost:output": x} dicts, stored under the outer key.
  const one: Scores[] = [];
  const a = await train({ ...single, num_epochs: 1 }, {
    ...quiet,
    outputDir: await tempDir("train-dicts-1-"),
    backend: "cpu",
    now: testClock(),
    deps: await recordingDeps(one),
  });
  deepEqual(one.map((s) => Object.keys(s)), [["train_score", "train_error"], [
    "dev_score",
    "dev_error",
  ]]);
  deepEqual(one.map((s) => Object.values(s).map((d) => Object.keys(d))), [
    [["cost:output"], ["error:output"]],
    [["cost:output"], ["error:output"]],
  ]);
  deepEqual([...flattenScores({ ...one[0], ...one[1] }).keys()], [
    "train_score",
    "train_error",
    "dev_score",
    "dev_error",
  ]);
  equal((one[1].dev_score as Record<string, number>)["cost:output"], a.history[0].devScore);
  equal(a.history[0].scores, undefined); // the one-output record is as before

  // Two outputs: one item per output layer, stored as <outer>_<output>.
  const two: Scores[] = [];
  const dir = await tempDir("train-dicts-2-");
  const b = await train({ ...multi, num_epochs: 1 }, {
    ...quiet,
    outputDir: dir,
    backend: "cpu",
    now: testClock(),
    deps: await recordingDeps(two),
  });
  deepEqual(two.map((s) => Object.values(s).map((d) => Object.keys(d))), [
    [["cost:output", "cost:parity"], ["error:output", "error:parity"]],
    [["cost:output", "cost:parity"], ["error:output", "error:parity"]],
  ]);
  const flat = flattenScores({ ...two[0], ...two[1] });
  deepEqual([...flat.keys()], FLAT_MULTI);
  const h = b.history[0];
  deepEqual(Object.keys(h.scores!), FLAT_MULTI);
  // The record's totals: loss = sum of the outputs' scores, error = the first output's.
  ok(Math.abs(h.devScore - flat.get("dev_score_output")! - flat.get("dev_score_parity")!) < 1e-9);
  equal(h.devError, flat.get("dev_error_output"));
  ok(
    Math.abs(h.trainScore - flat.get("train_score_output")! - flat.get("train_score_parity")!) <
      1e-5,
  );
  // Error-key resolution (spec 7) on the recorded keys, as RETURNN would resolve them.
  const keyOf = async (measure: unknown) =>
    (await createLearningRateControl({
      learning_rate_control: "newbob_rel",
      learning_rate_control_error_measure: measure,
    }, { file: b.learningRateFile })).errorKey(1);
  equal(await keyOf(null), "dev_score_output");
  equal(await keyOf("dev_score"), "dev_score_output");
  equal(await keyOf("dev_error"), "dev_error_output");
  equal(await keyOf("dev_score_parity"), "dev_score_parity");
  equal(await keyOf("dev_error_parity"), "dev_error_parity");
});

async function endToEnd(backend: BackendName) {
  const dir = await tempDir(`train-multi-${backend}-`);
  const lines: string[] = [];
  const r = await train(multi, {
    outputDir: dir,
    backend,
    now: testClock(),
    progress: "lines",
    log: (l) => lines.push(l),
  });
  equal(r.history.length, 4);
  ok(r.history[3].trainScore < r.history[0].trainScore / 2, JSON.stringify(r.history));
  ok(r.history[3].scores!.dev_error_output < 0.15, JSON.stringify(r.history));
  ok(r.history[3].scores!.dev_error_parity < 0.15, JSON.stringify(r.history));
  // newbob decides on the parity head's dev score.
  ok(
    r.history.slice(2).every((h) => h.decision.includes("'dev_score_parity'")),
    r.history[2].decision,
  );
  ok(r.history.some((h, i) => i > 1 && h.learningRate < r.history[i - 1].learningRate));
  await assertFileIsControlReplay(multi, r.learningRateFile);
  const control = await createLearningRateControl({ ...multi }, { file: r.learningRateFile });
  for (const view of control.epochs()) {
    deepEqual(Object.keys(view.error).sort(), [...FLAT_MULTI].sort());
    equal(control.errorKey(view.epoch), "dev_score_parity");
  }
  const text = await Deno.readTextFile(r.learningRateFile);
  for (const key of FLAT_MULTI) ok(text.includes(`'${key}': `), key);
  ok(!/'dev_score': /.test(text));
  // The summary line and the plot show every key.
  const summary = lines.filter((l) => l.startsWith("epoch 4/4 done"))[0];
  for (const key of FLAT_MULTI) ok(summary.includes(` ${key} `), summary);
  const svg = await Deno.readTextFile(`${dir}/learning_rates.svg`);
  for (const key of FLAT_MULTI) ok(svg.includes(`>${key}</text>`), key);
  // Checkpoint tensors of the heads have stable names.
  deepEqual(r.parameterNames, TWO_HEAD_TENSORS);
}

both("train: two outputs, newbob on dev_score_parity, the file is the control's replay", endToEnd);

Deno.test("train (cpu): two outputs, stop + resume == uninterrupted", async () => {
  const a = await tempDir("train-multi-resume-a-");
  const b = await tempDir("train-multi-resume-b-");
  const job = { ...multi, num_epochs: 3 };
  const o = { ...quiet, backend: "cpu" as const };
  const full = await train(job, { ...o, outputDir: a, now: testClock() });
  await train(job, { ...o, outputDir: b, now: testClock(), stopAfterEpoch: 1 });
  const rest = await train(job, { ...o, outputDir: b, now: testClock(), resume: true });
  equal(rest.resumedAfterEpoch, 1);
  deepEqual(rest.parameters, full.parameters);
  equal(
    await Deno.readTextFile(`${b}/learning_rates`),
    await Deno.readTextFile(`${a}/learning_rates`),
  );
});

Deno.test("train (cpu): a user-built LayersModel with two outputs trains with per-output keys", async () => {
  const deps = await defaultDeps();
  const { loadTfjs } = await import("./tfjs_backend.ts");
  const { createTfjsModel } = await import("./tfjs_model.ts");
  const custom: TrainDeps = {
    ...deps,
    async createModel(_spec, o) {
      const { tf } = await loadTfjs(o.backend);
      const input = tf.input({ shape: [o.inputDim] });
      const h = tf.layers.dense({ units: 16, activation: "relu" }).apply(input);
      const heads = Object.entries(o.outputs!).map(([name, k]) =>
        tf.layers.dense({ units: k, activation: "softmax", name }).apply(h)
      );
      const model = tf.model({
        inputs: input,
        outputs: heads as import("@tensorflow/tfjs").SymbolicTensor[],
      });
      return await createTfjsModel(model, { backend: o.backend });
    },
  };
  const dir = await tempDir("train-multi-layers-");
  const job: Config = {
    ...multi,
    num_epochs: 2,
    data: { name: "digits", targets: { output: "digit", ge5: "ge5" } },
    model: { type: "mlp", outputs: { output: 10, ge5: 2 } },
    learning_rate_control_error_measure: "dev_error_ge5",
  };
  const r = await train(job, {
    ...quiet,
    outputDir: dir,
    backend: "cpu",
    now: testClock(),
    deps: custom,
  });
  deepEqual(Object.keys(r.history[1].scores!), FLAT_MULTI.map((k) => k.replace("parity", "ge5")));
  ok(r.history[1].scores!.dev_error_ge5 < 0.5, JSON.stringify(r.history));
  const control = await createLearningRateControl({ ...job }, { file: r.learningRateFile });
  equal(control.errorKey(2), "dev_error_ge5");
});
