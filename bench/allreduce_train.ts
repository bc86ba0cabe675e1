/**
 * Data-parallel training throughput: one epoch of the 12AX LSTM demo
 * (`examples/demo-tf-native-lstm.12ax.config.ts`, 1000 sequences, 100 steps per rank) on the
 * `wasm` backend, 1 process against 2 MPI ranks (`torch_distributed: {}`), interleaved, median
 * of `ROUNDS`. Each rank trains its own 1000 sequences per epoch (RETURNN's `random_seed_offset`
 * distribution), so 2 ranks train twice the data per epoch; the throughput ratio is
 * `2 * t(1 rank) / t(2 ranks)` (2 on 2 idle cores: tfjs wasm computes on one core per process,
 * and a step adds one all-reduce of the 822 gradients and one of the has-data flag). The epoch
 * time is the trainer's own (`epoch 1/1 done in S s`, the training pass without start-up and
 * dev evaluation). Not part of the tests (timings); run it on a quiet machine:
 *
 *   deno run --allow-read=. --allow-write=.tmp --allow-run=mpirun.mpich,$(which deno) bench/allreduce_train.ts [ROUNDS]
 *
 * or `deno task bench:allreduce:train [ROUNDS]`.
 *
 * Skipped (with a message) without `mpirun.mpich`.
 *
 * @module
 */

import { summarize } from "./_stats.ts";

const ROUNDS = Number(Deno.args[0] ?? 3);
const DIR = ".tmp/bench/dp";
const ENV = "PMI_RANK,PMI_SIZE,OMPI_COMM_WORLD_RANK,OMPI_COMM_WORLD_SIZE,NEWBOB_MPI_LIBRARY";

async function run(cmd: string, args: string[]): Promise<{ ok: boolean; out: string }> {
  try {
    const r = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    const dec = new TextDecoder();
    return { ok: r.success, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
  } catch (e) {
    return { ok: false, out: (e as Error).message };
  }
}

/** The training pass's seconds of epoch 1, from the trainer's summary line. */
function epochSeconds(out: string): number {
  const m = /epoch 1\/1 done in ([\d.]+)s/.exec(out);
  if (!m) throw new Error(`no epoch summary in:\n${out}`);
  return Number(m[1]);
}

function median(xs: number[]): number {
  return summarize(xs).median;
}

if (!(await run("mpirun.mpich", ["--version"])).ok) {
  console.log("data-parallel bench: SKIPPED, mpirun.mpich not found (apt-get install mpich)");
  Deno.exit(0);
}
await Deno.mkdir(DIR, { recursive: true });
const demo = new URL("../examples/demo-tf-native-lstm.12ax.config.ts", import.meta.url).pathname;
const config = (dp: boolean) =>
  `import base from ${JSON.stringify(demo)};\nexport default { ...base, num_epochs: 1` +
  (dp ? ", torch_distributed: {} };\n" : " };\n");
await Deno.writeTextFile(`${DIR}/one.config.ts`, config(false));
await Deno.writeTextFile(`${DIR}/two.config.ts`, config(true));
const cli = new URL("../cli.ts", import.meta.url).pathname;
const flags = ["run", "--allow-read=.", `--allow-write=${DIR}`, `--allow-env=${ENV}`];
const train = (file: string, out: string) => [
  cli,
  "train",
  file,
  "--backend",
  "wasm",
  "--output-dir",
  out,
];

const one: number[] = [], two: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  await Deno.remove(`${DIR}/out1`, { recursive: true }).catch(() => {});
  await Deno.remove(`${DIR}/out2`, { recursive: true }).catch(() => {});
  const a = await run(Deno.execPath(), [...flags, ...train(`${DIR}/one.config.ts`, `${DIR}/out1`)]);
  if (!a.ok) throw new Error(`1 process failed:\n${a.out}`);
  one.push(epochSeconds(a.out));
  const b = await run("mpirun.mpich", [
    "-np",
    "2",
    Deno.execPath(),
    ...flags,
    "--allow-ffi",
    ...train(`${DIR}/two.config.ts`, `${DIR}/out2`),
  ]);
  if (!b.ok) throw new Error(`2 ranks failed:\n${b.out}`);
  two.push(epochSeconds(b.out));
}
const t1 = median(one), t2 = median(two);
console.log(
  `12AX LSTM epoch on wasm (1000 seqs per rank, 100 steps), median of ${ROUNDS}:\n` +
    `  1 process: ${t1.toFixed(2)} s (${(1000 / t1).toFixed(1)} seqs/s)  [${one.join(", ")}]\n` +
    `  2 ranks:   ${t2.toFixed(2)} s (${(2000 / t2).toFixed(1)} seqs/s)  [${two.join(", ")}]\n` +
    `  throughput 2 ranks / 1 process: ${(2 * t1 / t2).toFixed(2)}x (ideal 2x on 2 idle cores)`,
);
