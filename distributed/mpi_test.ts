/**
 * MPI on localhost: 2 or 3 ranks under `mpirun.mpich` (see `testdata/harness.ts` for how the
 * test starts them with the least permissions). Skipped loudly without MPICH.
 *
 * @module
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { type MpiRun, mpiTest, runAlone, runRanks } from "./testdata/harness.ts";

/** The job stopped by itself (no hang), with a failure status and `pattern` in its output. */
function _stopped(run: MpiRun, pattern: string | RegExp): void {
  ok(!run.timedOut, `the job did not stop by itself:\n${run.stderr}`);
  ok(run.code !== 0, "the job's exit status must say it failed");
  const out = run.stdout + run.stderr;
  ok(typeof pattern === "string" ? out.includes(pattern) : pattern.test(out), out);
}

function _clean(run: { code: number; stderr: string; timedOut: boolean }): void {
  ok(!run.timedOut, `mpirun hung and was stopped:\n${run.stderr}`);
  equal(run.code, 0, run.stderr);
}

mpiTest(
  "3 ranks: every collective on odd sizes, 20M floats in pieces, bytes, scores, barrier",
  async () => {
    await Deno.mkdir(".tmp", { recursive: true });
    const dir = await Deno.makeTempDir({ dir: ".tmp", prefix: "mpi-" });
    try {
      const run = await runRanks(3, "collectives", { dir, maxCount: 5_000_000 }, {
        rankFlags: [`--allow-read=${dir}`, `--allow-write=${dir}`],
      });
      _clean(run);
      deepEqual(run.result, { failures: [] });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

mpiTest("3 ranks: rank, size, local rank and the library's description", async () => {
  const run = await runRanks(3, "info");
  _clean(run);
  const r = run.result as { size: number; transport: string; description: string; local: number[] };
  equal(r.size, 3);
  equal(r.transport, "mpi");
  ok(/MPICH.*rank 0 of 3/.test(r.description), r.description);
  deepEqual(r.local, [3, 1003, 2003]); // localRank * 1000 + localSize: one host
});

mpiTest(
  "3 ranks: the epoch ends for all when one rank runs out (grad: same step; param: at the next check)",
  async () => {
    const run = await runRanks(3, "hasData");
    _clean(run);
    // Rank r has 5 + r batches. grad checks every step: all stop after 5. param (N=4) checks at
    // step 0, at sync steps (3, 7) and when a rank is out: rank 0 (out at 5), rank 1 (out at 6)
    // and rank 2 (sync step 7) meet in one check, so they stop after 5, 6 and 7 steps.
    deepEqual(run.result, { grad: [5, 5, 5], param: [5, 6, 7] });
  },
);

mpiTest(
  "3 ranks: statistics are summed by key; ranks that diverged are named on every rank",
  async () => {
    const run = await runRanks(3, "stats");
    _clean(run);
    const r = run.result as { sums: Record<string, number>; errors: string[] };
    deepEqual(r.sums, { frames: 60, loss: 4.5 });
    equal(r.errors.length, 3);
    for (const e of r.errors) ok(e.includes("weights of rank(s) 1 differ from rank 0's"), e);
  },
);

mpiTest(
  "2 ranks: toy SGD, grad equals 1 rank on the union; param 1 equals grad; param 3 syncs every 3rd step",
  async () => {
    const run = await runRanks(2, "toy");
    _clean(run);
    const r = run.result as Record<string, { abs: number; rel: number } | boolean[] | number[]>;
    // Bit for bit what one process computes by averaging the two ranks' gradients in order.
    deepEqual(r.gradVsShardAverage, { abs: 0, rel: 0 });
    // One process on the union batch sums 8 examples at once: float32 order differs, by ulps.
    const union = r.gradVsUnion as { abs: number; rel: number };
    ok(union.rel < 2e-6 && union.abs < 1e-6, JSON.stringify(union));
    ok((r.gradInSync as boolean[]).every((x) => x));
    // Stopped after 6 steps, resumed from rank 0's parameters alone: the same as uninterrupted.
    deepEqual(r.resumedVsWhole, { abs: 0, rel: 0 });
    const p1 = r.param1VsGrad as { abs: number; rel: number };
    ok(p1.rel < 2e-6 && p1.abs < 1e-6, JSON.stringify(p1));
    ok((r.param1InSync as boolean[]).every((x) => x));
    deepEqual(r.param3InSync, Array.from({ length: 12 }, (_, i) => i % 3 === 2));
    ok((r.param3Spread as number[]).every((d, i) => (i % 3 === 2) === (d === 0)));
  },
);

mpiTest("2 ranks: a rank that throws stops the job with rank 0's message", async () => {
  const run = await runRanks(2, "throws", {}, { timeoutMs: 60_000 });
  _stopped(
    run,
    "newbob: rank 1 of 2 failed: RangeError: boom in the data loader. Stopping all 2 ranks.",
  );
  ok(run.result === undefined);
});

mpiTest(
  "2 ranks: a rank killed mid-run (SIGKILL) stops the job at once, mpirun names the exit",
  async () => {
    _stopped(
      await runRanks(2, "kill", {}, { timeoutMs: 60_000 }),
      /BAD TERMINATION[\s\S]*EXIT CODE: 9/,
    );
  },
);

mpiTest(
  "3 ranks: a rank that hangs (SIGSTOP) is named by rank 0's watchdog, the job stops",
  async () => {
    const config = { torch_distributed: { timeout_sec: 2 } };
    const run = await runRanks(3, "hang", { config, graceSec: 3 }, { timeoutMs: 60_000 });
    _stopped(run, "newbob: the job is stuck");
    ok(run.stderr.includes("rank 2 waited 2 s in collective #2"), run.stderr);
    ok(run.stderr.includes("Never arrived: rank 1 "), run.stderr);
  },
);

mpiTest("3 ranks: when rank 0 hangs, the others stop the job with their own message", async () => {
  const config = { torch_distributed: { timeout_sec: 2 } };
  const options = { config, graceSec: 1, abortWaitSec: 1, hangRank: 0 };
  _stopped(
    await runRanks(3, "hang", options, { timeoutMs: 60_000 }),
    /rank [12] of 3: collective #2 \(allReduce sum of 10 float32\) did not complete within 2 s and rank 0 did not stop the job/,
  );
});

mpiTest(
  "2 ranks: SIGUSR1 (mpirun's peer-died signal) stops the job instead of opening Deno's inspector",
  async () => {
    const run = await runRanks(2, "sigusr1", {}, { timeoutMs: 60_000 });
    _stopped(run, "newbob: rank 1 of 2 failed: mpirun reported");
    ok(!run.stderr.includes("Debugger listening"), run.stderr);
  },
);

mpiTest(
  "2 ranks: ranks that do not meet at startup stop with the startup timeout's message",
  async () => {
    const config = { torch_distributed: {}, distributed_startup_timeout_sec: 1 };
    const run = await runRanks(2, "info", { config, delayRank: 1, delayMs: 20_000 }, {
      timeoutMs: 60_000,
    });
    _stopped(run, "rank 0 of 2: the ranks did not meet within 1 s");
  },
);

mpiTest("2 ranks: a wrong NEWBOB_MPI_LIBRARY names the path and the fix", async () => {
  const mpirunArgs = ["-genv", "NEWBOB_MPI_LIBRARY", "/nonexistent/libmpich.so.12"];
  _stopped(
    await runRanks(2, "info", {}, { mpirunArgs, timeoutMs: 60_000 }),
    "Cannot load the MPI library /nonexistent/libmpich.so.12 (set by NEWBOB_MPI_LIBRARY",
  );
});

Deno.test("a distributed config outside mpirun runs as one process and says so", async () => {
  const r = await runAlone("info");
  equal(r.code, 0, r.stderr);
  ok(r.stderr.includes("not started by mpirun: running as one process"), r.stderr);
  const line = r.stdout.split("\n").find((l) => l.startsWith("@result "))!;
  equal(JSON.parse(line.slice(8)).transport, "single");
});
