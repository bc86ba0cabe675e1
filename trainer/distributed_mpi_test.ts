/**
 * Data-parallel training through the CLI, 2 ranks on localhost under `mpirun.mpich` (see
 * `distributed/testdata/harness.ts`: a helper process runs mpirun; the ranks get `--allow-ffi`,
 * the launcher's variables, read on `.` and write on their output folder). Skipped loudly
 * without MPICH, required with `NEWBOB_REQUIRE_MPI=1` (`.ci/run`).
 *
 * @module
 */

import { equal, match, ok } from "node:assert/strict";
import { join, resolve } from "node:path";
import { type MpiRun, mpiTest, RANK_FLAGS, runProgram } from "../distributed/testdata/harness.ts";
import { loadCheckpoint } from "./checkpoint.ts";
import { train } from "./train.ts";
import type { Config } from "./config_types.ts";
import type { EpochRecord } from "./train_deps.ts";
import { tempDir } from "../tests/_gpu.ts";
import { maxDiff, unionConfigs } from "./_distributed_cases_test.ts";

const CLI = resolve("cli.ts");
const quiet = { log: () => {}, progress: "none" as const };

/** `cli.ts train` of a config (written into `dir`) on `np` ranks; extra CLI arguments. */
async function trainOnRanks(
  np: number,
  dir: string,
  config: Config | string,
  extra: string[] = [],
  timeoutMs = 180_000,
): Promise<MpiRun> {
  const file = typeof config === "string" ? config : join(dir, "config.json");
  if (typeof config !== "string") await Deno.writeTextFile(file, JSON.stringify(config));
  return await runProgram(
    np,
    [CLI, "train", file, "--output-dir", join(dir, "out"), ...extra],
    { rankFlags: ["--allow-read=.", `--allow-write=${dir}`], timeoutMs },
  );
}

function clean(run: MpiRun): void {
  ok(!run.timedOut, `mpirun hung and was stopped:\n${run.stdout}\n${run.stderr}`);
  equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
}

async function paramsOf(dir: string): Promise<readonly Float32Array[]> {
  const c = await loadCheckpoint(join(dir, "out", "checkpoint.nbck"));
  ok(c !== undefined, `no checkpoint in ${dir}`);
  return c.params;
}

/** The learning-rate file without the wall-time meta (`epoch_train_time_secs`). */
async function lrFileOf(dir: string): Promise<string> {
  const text = await Deno.readTextFile(join(dir, "out", "learning_rates"));
  return text.replace(/epoch_train_time_secs': \d+/g, "epoch_train_time_secs': T");
}

mpiTest(
  "2 ranks (cli): grad (Horovod shard, averaged) == 1 rank on the union batches",
  async () => {
    const { ranks, union } = unionConfigs();
    const dir = await tempDir("dp-mpi-union-");
    const run = await trainOnRanks(2, dir, { ...ranks, backend: "cpu" as const });
    clean(run);
    // Rank 0 alone prints (one summary line) and says how it runs.
    equal(run.stdout.split("\n").filter((l) => l.startsWith("done in")).length, 1, run.stdout);
    match(run.stdout, /distributed: MPICH.*rank 0 of 2; use_horovod reduce_type grad, data shard/);
    const one = await train(union, {
      ...quiet,
      outputDir: join(dir, "one"),
      backend: "cpu" as const,
    });
    const d = maxDiff(await paramsOf(dir), one.parameters);
    // Measured: 3e-8 (float32 summation order: the mean of two 32-row means vs one 64-row mean).
    ok(d.abs < 1e-5, JSON.stringify(d));
  },
);

mpiTest(
  "2 ranks (cli): stop after epoch 1 + resume == uninterrupted (lr file, params)",
  async () => {
    const { ranks } = unionConfigs();
    const config = {
      ...ranks,
      backend: "cpu" as const,
      torch_distributed: {},
      use_horovod: undefined,
    };
    const a = await tempDir("dp-mpi-whole-");
    const b = await tempDir("dp-mpi-resumed-");
    clean(await trainOnRanks(2, a, config));
    clean(await trainOnRanks(2, b, config, ["--stop-after", "1"]));
    const resumed = await trainOnRanks(2, b, config);
    clean(resumed);
    match(resumed.stdout, /resuming after epoch 1/);
    equal(await lrFileOf(b), await lrFileOf(a));
    equal(maxDiff(await paramsOf(b), await paramsOf(a)).abs, 0);
  },
);

mpiTest("2 ranks (cli): param with param_sync_step 1 == grad averaging (SGD)", async () => {
  const { ranks } = unionConfigs();
  const base = { ...ranks, backend: "cpu" as const, use_horovod: undefined, num_epochs: 1 };
  const g = await tempDir("dp-mpi-grad-");
  const p = await tempDir("dp-mpi-param-");
  clean(await trainOnRanks(2, g, { ...base, torch_distributed: {} }));
  clean(
    await trainOnRanks(2, p, {
      ...base,
      torch_distributed: { reduce_type: "param", param_sync_step: 1 },
    }),
  );
  const d = maxDiff(await paramsOf(p), await paramsOf(g));
  // avg(p - lr g_r) vs p - lr avg(g_r): float rounding only.
  ok(d.abs < 1e-5, JSON.stringify(d));
});

mpiTest("2 ranks (cli): the 12AX LSTM demo (short) reaches 1 rank's dev frame error", async () => {
  const dir = await tempDir("dp-mpi-12ax-");
  const demo = resolve("examples/demo-tf-native-lstm.12ax.config.ts");
  const short = (distributed: boolean) =>
    `import base from ${JSON.stringify(demo)};\n` +
    "export default { ...base, num_epochs: 2, backend: 'wasm', " +
    "train: { ...base.train, num_seqs: 200 }" +
    (distributed ? ", torch_distributed: {} };\n" : " };\n");
  const two = join(dir, "two.config.ts");
  await Deno.writeTextFile(two, short(true));
  await Deno.writeTextFile(join(dir, "one.config.ts"), short(false));
  const run = await trainOnRanks(2, dir, two, [], 300_000);
  clean(run);
  const alone = await trainAlone(dir, join(dir, "one.config.ts"), join(dir, "one"));
  equal(alone.code, 0, alone.out);
  const devError = async (out: string) =>
    ((await loadCheckpoint(join(out, "checkpoint.nbck")))!.history as EpochRecord[]).at(-1)!
      .scores!.dev_error;
  const fer2 = await devError(join(dir, "out"));
  const fer1 = await devError(join(dir, "one"));
  // 2 ranks see twice the sequences per step (each its own order): as good as 1 rank or better.
  ok(fer2 <= fer1 + 0.03, `2 ranks: dev_error ${fer2}, 1 rank: ${fer1}`);
});

mpiTest(
  "2 ranks (cli): a rank killed mid-epoch stops the job, epoch 1's files stay, a restart resumes",
  async () => {
    const dir = await tempDir("dp-mpi-kill-");
    const { ranks } = unionConfigs();
    const marker = join(dir, "killed");
    // Rank 1 kills itself (SIGKILL) at step 20, in epoch 2 (16 steps per epoch), once.
    const config = join(dir, "kill.config.ts");
    await Deno.writeTextFile(
      config,
      `export default { ...${JSON.stringify({ ...ranks, backend: "cpu" as const })},\n` +
        "  dynamic_learning_rate: ({ global_train_step, learning_rate }) => {\n" +
        `    if (Deno.env.get("PMI_RANK") === "1" && global_train_step === 20) {\n` +
        `      try { Deno.statSync(${JSON.stringify(marker)}); } catch {\n` +
        `        Deno.writeTextFileSync(${JSON.stringify(marker)}, "");\n` +
        `        Deno.kill(Deno.pid, "SIGKILL");\n` +
        "      }\n    }\n    return learning_rate;\n  },\n};\n",
    );
    const killed = await trainOnRanks(2, dir, config, [], 60_000);
    ok(!killed.timedOut, `the job did not stop by itself:\n${killed.stderr}`);
    ok(killed.code !== 0);
    match(killed.stdout + killed.stderr, /BAD TERMINATION[\s\S]*EXIT CODE: 9/);
    const c = await loadCheckpoint(join(dir, "out", "checkpoint.nbck"));
    equal(c?.epoch, 1);
    match(await Deno.readTextFile(join(dir, "out", "learning_rates")), /^\{\s*1:/);
    const restarted = await trainOnRanks(2, dir, config);
    clean(restarted);
    match(restarted.stdout, /resuming after epoch 1/);
    equal((await loadCheckpoint(join(dir, "out", "checkpoint.nbck")))?.epoch, 3);
  },
);

mpiTest("2 ranks (cli): a rank that throws mid-epoch stops the job with its message", async () => {
  const dir = await tempDir("dp-mpi-throw-");
  const { ranks } = unionConfigs();
  const config = join(dir, "throw.config.ts");
  await Deno.writeTextFile(
    config,
    `export default { ...${JSON.stringify({ ...ranks, backend: "cpu" })},\n` +
      "  dynamic_learning_rate: ({ global_train_step, learning_rate }) => {\n" +
      `    if (Deno.env.get("PMI_RANK") === "1" && global_train_step === 5) {\n` +
      '      throw new RangeError("boom in step 5");\n' +
      "    }\n    return learning_rate;\n  },\n};\n",
  );
  const run = await trainOnRanks(2, dir, config, [], 60_000);
  ok(!run.timedOut, `the job did not stop by itself:\n${run.stderr}`);
  ok(run.code !== 0);
  match(run.stdout + run.stderr, /newbob: rank 1 of 2 failed: RangeError: boom in step 5/);
});

/** `cli.ts train` in one process started directly (no mpirun), with the rank flags. */
async function trainAlone(
  dir: string,
  file: string,
  out: string,
): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...RANK_FLAGS,
      "--allow-read=.",
      `--allow-write=${dir}`,
      CLI,
      "train",
      file,
      "--output-dir",
      out,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
}

Deno.test("a distributed config outside mpirun runs as one process and says so", async () => {
  const dir = await tempDir("dp-alone-");
  const { ranks } = unionConfigs();
  const file = join(dir, "config.json");
  await Deno.writeTextFile(
    file,
    JSON.stringify({ ...ranks, num_epochs: 1, backend: "cpu" as const }),
  );
  const r = await trainAlone(dir, file, join(dir, "out"));
  equal(r.code, 0, r.out);
  match(r.out, /use_horovod is set but this process was not started by mpirun: running as one/);
  equal((await loadCheckpoint(join(dir, "out", "checkpoint.nbck")))?.epoch, 1);
});
