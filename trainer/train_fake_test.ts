import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { train } from "./train.ts";
import { CheckpointError } from "./checkpoint.ts";
import { fakeDeps } from "./_fakes_test.ts";
import { tempDir } from "../tests/_gpu.ts";
import type { Config } from "./config_types.ts";

function clock() {
  let t = 0;
  return () => (t += 250);
}

const base: Config = {
  learning_rate: 0.05,
  learning_rate_control: "newbob_rel",
  num_epochs: 4,
  batch_size: 64,
  seed: 3,
};

Deno.test("train (fakes): loss falls, scores reach the control, checkpoint written", async () => {
  const dir = await tempDir("train-fake-");
  const lines: string[] = [];
  const r = await train(base, {
    outputDir: dir,
    deps: fakeDeps(),
    log: (l) => lines.push(l),
    progress: "lines",
    now: clock(),
  });
  equal(r.history.length, 4);
  ok(r.history[3].devScore < r.history[0].devScore, JSON.stringify(r.history));
  ok(r.history[3].trainScore < r.history[0].trainScore);
  equal(r.globalTrainStep, 4 * Math.ceil(1437 / 64));
  const file = JSON.parse(await Deno.readTextFile(r.learningRateFile));
  equal(file[1].meta.global_train_step, 0);
  equal(file[2].meta.global_train_step, Math.ceil(1437 / 64));
  ok("dev_error" in file[4].error && "train_score" in file[4].error);
  ok(lines.some((l) => l.includes("dev_error")));
  await Deno.stat(r.checkpointFile);
});

Deno.test("train (fakes): stop + resume equals an uninterrupted run, bitwise", async () => {
  const a = await tempDir("train-fake-a-");
  const b = await tempDir("train-fake-b-");
  const quiet = { deps: fakeDeps(), log: () => {}, progress: "none" as const };
  const full = await train(base, { ...quiet, outputDir: a, now: clock() });
  await train(base, { ...quiet, outputDir: b, now: clock(), stopAfterEpoch: 2 });
  const resumed = await train(base, { ...quiet, outputDir: b, now: clock(), resume: true });
  equal(resumed.resumedAfterEpoch, 2);
  deepEqual(resumed.parameters, full.parameters);
  equal(resumed.globalTrainStep, full.globalTrainStep);
  deepEqual(resumed.history.map((h) => h.learningRate), full.history.map((h) => h.learningRate));
  equal(
    await Deno.readTextFile(`${b}/learning_rates`),
    await Deno.readTextFile(`${a}/learning_rates`),
  );
  // Running the same command again continues (here: nothing left to do).
  const again = await train(base, { ...quiet, outputDir: b, now: clock() });
  equal(again.resumedAfterEpoch, 4);
  deepEqual(again.parameters, full.parameters);
});

Deno.test("train (fakes): resume checks the checkpoint", async () => {
  const dir = await tempDir("train-fake-c-");
  const quiet = { deps: fakeDeps(), log: () => {}, progress: "none" as const };
  await rejects(train(base, { ...quiet, outputDir: dir, resume: true }), CheckpointError);
  await train(base, { ...quiet, outputDir: dir, stopAfterEpoch: 1 });
  const e = await rejects(
    train({ ...base, learning_rate: 0.1 }, { ...quiet, outputDir: dir }),
    (err: Error) => err instanceof CheckpointError && err.message.includes("control changed"),
  );
  void e;
  const bytes = await Deno.readFile(`${dir}/checkpoint.nbck`);
  await Deno.writeFile(`${dir}/checkpoint.nbck`, bytes.subarray(0, bytes.length - 8));
  await rejects(
    train(base, { ...quiet, outputDir: dir }),
    (err: Error) => err instanceof CheckpointError && err.message.includes("truncated"),
  );
});
