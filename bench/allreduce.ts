/**
 * All-reduce bandwidth of newbob's MPI binding (Deno FFI, nonblocking calls) against MPICH's
 * own C program on the same machine, in the same run, interleaved: in-place float32 sum on 2
 * ranks, 4M floats (bandwidth: bytes / seconds per call) and 1 float (latency). Reported as
 * ratios. Not part of the tests (timings); run it on a quiet machine:
 *
 *   deno run --allow-read=. --allow-write=.tmp --allow-run=mpirun.mpich,mpicc bench/allreduce.ts
 *
 * Skips the C side when `mpicc` is absent, everything when `mpirun.mpich` is.
 *
 * @module
 */

import { summarize } from "./_stats.ts";

const ROUNDS = 5;
const NP = 2;
const CASES = [
  { name: "4M floats", n: 4 << 20, reps: 30, warmup: 5 },
  { name: "1 float", n: 1, reps: 2000, warmup: 100 },
];

async function run(
  cmd: string,
  args: string[],
): Promise<{ ok: boolean; out: string; err: string }> {
  try {
    const r = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    const dec = new TextDecoder();
    return { ok: r.success, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
  } catch (e) {
    return { ok: false, out: "", err: (e as Error).message };
  }
}

function seconds(out: string): number {
  const line = out.split("\n").find((l) => l.startsWith("{"));
  if (!line) throw new Error(`no result in: ${out}`);
  return JSON.parse(line).seconds;
}

function median(xs: number[]): number {
  return summarize(xs).median;
}

if (!(await run("mpirun.mpich", ["--version"])).ok) {
  console.log("allreduce bench: SKIPPED, mpirun.mpich not found (apt-get install mpich)");
  Deno.exit(0);
}
await Deno.mkdir(".tmp/bench", { recursive: true });
const exe = ".tmp/bench/allreduce_c";
const cc = await run("mpicc", ["-O2", "-o", exe, "bench/allreduce.c"]);
if (!cc.ok) console.log(`allreduce bench: no C reference (mpicc: ${cc.err.trim() || "failed"})`);

const rank = new URL("./_allreduce_rank.ts", import.meta.url).pathname;
const ts: number[][] = CASES.map(() => []);
const c: number[][] = CASES.map(() => []);
for (let round = 0; round < ROUNDS; round++) {
  for (const [i, k] of CASES.entries()) {
    const a = [String(k.n), String(k.reps), String(k.warmup)];
    if (cc.ok) {
      const r = await run("mpirun.mpich", ["-np", String(NP), exe, ...a]);
      if (!r.ok) throw new Error(`C reference failed: ${r.err}`);
      c[i].push(seconds(r.out));
    }
    const r = await run("mpirun.mpich", [
      "-np",
      String(NP),
      Deno.execPath(),
      "run",
      "--allow-ffi",
      "--allow-env=NEWBOB_MPI_LIBRARY",
      rank,
      ...a,
    ]);
    if (!r.ok) throw new Error(`newbob rank failed: ${r.err}`);
    ts[i].push(seconds(r.out));
  }
}

console.log(
  `all-reduce (in-place float32 sum), ${NP} ranks on this host, median of ${ROUNDS} runs:`,
);
for (const [i, k] of CASES.entries()) {
  const t = median(ts[i]);
  const bytes = k.n * 4;
  const fmt = (s: number) =>
    k.n > 1
      ? `${(bytes / s / 1e9).toFixed(2)} GB/s (${(s * 1e3).toFixed(2)} ms)`
      : `${(s * 1e6).toFixed(1)} us`;
  if (cc.ok) {
    const tc = median(c[i]);
    console.log(
      `  ${k.name.padEnd(9)} newbob ${fmt(t)}  MPICH C ${fmt(tc)}  newbob/C speed ratio ${
        (tc / t).toFixed(2)
      }`,
    );
  } else {
    console.log(`  ${k.name.padEnd(9)} newbob ${fmt(t)}`);
  }
}
