/**
 * One MPI rank of the distributed tests, started by `mpirun.mpich -np N deno run --allow-ffi
 * --allow-env=... rank.ts SCENARIO OPTIONS_JSON`. Rank 0 prints `@result <json>` on stdout.
 *
 * @module
 */

import { parseDistributedConfig } from "../config.ts";
import { createDataParallel } from "../data_parallel.ts";
import { runGuarded } from "../guard.ts";
import { initCommunicator } from "../init.ts";
import type { Communicator } from "../types.ts";
import { broadcastBytes, broadcastValue } from "../wire.ts";
import { maxDiff, runToy, toyShardAverage, toyUnion } from "./toy.ts";

interface Options {
  config?: Record<string, unknown>;
  graceSec?: number;
  abortWaitSec?: number;
  maxCount?: number;
  dir?: string;
  delayRank?: number;
  delayMs?: number;
  hangRank?: number;
}

function _sleep(ms: number): Promise<void> {
  return new Promise((ok) => setTimeout(ok, ms));
}

const SCENARIOS: Record<string, (comm: Communicator) => Promise<unknown>> = {
  /** What the communicator says about itself. */
  async info(comm) {
    const local = new Float64Array(comm.size);
    local[comm.rank] = comm.localRank * 1000 + comm.localSize;
    await comm.allReduce(local, "sum");
    return {
      rank: comm.rank,
      size: comm.size,
      transport: comm.transport,
      description: comm.description,
      local: [...local],
    };
  },

  /** Every collective, checked on every rank; rank 0 returns the list of failures. */
  async collectives(comm) {
    const { rank, size } = comm;
    const failures: string[] = [];
    const expect = (ok: boolean, what: string) => {
      if (!ok) failures.push(`rank ${rank}: ${what}`);
    };
    // Sums of small integers are exact in any order.
    for (const n of [1, 7, 1023, 65537, 16_777_217 + 4_000_000]) {
      const a = new Float32Array(n);
      for (let i = 0; i < n; i++) a[i] = (i % 7) + rank;
      await comm.allReduce(a, "sum");
      const base = size * (size - 1) / 2;
      let bad = -1;
      for (let i = 0; i < n; i++) if (a[i] !== size * (i % 7) + base) bad = i;
      expect(bad < 0, `sum of ${n} floats wrong at ${bad}: ${a[bad]}`);
    }
    const avg = new Float32Array(1001).map((_, i) => i + rank * 2);
    await comm.allReduce(avg, "avg");
    expect(avg.every((v, i) => v === i + (size - 1)), "avg of floats");
    const d = new Float64Array([0.1 * (rank + 1), 1e300, -rank]);
    await comm.allReduce(d, "sum");
    expect(
      Math.abs(d[0] - 0.1 * size * (size + 1) / 2) < 1e-15 && d[1] === 1e300 * size,
      "f64 sum",
    );
    const mx = new Int32Array([rank, -rank, 7]);
    await comm.allReduce(mx, "max");
    expect(mx[0] === size - 1 && mx[1] === 0 && mx[2] === 7, "int max");
    const mn = new Int32Array([rank, -rank]);
    await comm.allReduce(mn, "min");
    expect(mn[0] === 0 && mn[1] === -(size - 1), "int min");
    const isum = new Int32Array([rank + 1]);
    await comm.allReduce(isum, "sum");
    expect(isum[0] === size * (size + 1) / 2, "int sum");
    const fmax = new Float32Array([rank === 1 ? 2.5 : -1]);
    await comm.allReduce(fmax, "max");
    expect(fmax[0] === 2.5, "float max");
    // Broadcasts from a non-zero root, of floats, bytes and scores.
    const root = size - 1;
    const b = new Float32Array(4099).map((_, i) => rank === root ? i * 0.5 : -1);
    await comm.broadcast(b, root);
    expect(b.every((v, i) => v === i * 0.5), "broadcast floats from the last rank");
    const scores = { dev_score: 0.125, dev_error: NaN, train_score: { output: Infinity }, z: -0 };
    const got = await broadcastValue(comm, rank === 0 ? scores : { ...scores, dev_score: -1 });
    expect(
      JSON.stringify(got) === JSON.stringify(scores) && Number.isNaN(got.dev_error) &&
        got.train_score.output === Infinity,
      "scores broadcast",
    );
    const empty = await broadcastBytes(comm, rank === 0 ? new Uint8Array(0) : undefined);
    expect(empty.length === 0, "empty message");
    // Barrier: the last rank writes a marker late; after the barrier every rank sees it.
    const marker = `${options.dir}/barrier-marker`;
    if (rank === root) {
      await _sleep(300);
      await Deno.writeTextFile(marker, "here");
    }
    await comm.barrier();
    expect((await Deno.readTextFile(marker).catch(() => "")) === "here", "barrier");
    // Gather every rank's failures on rank 0.
    const text = await _gatherText(comm, failures.join("\n"));
    return { failures: text.filter((t) => t !== "") };
  },

  /** The has-data flag: rank r has 5 + r batches. */
  async hasData(comm) {
    const out: Record<string, number[]> = {};
    for (
      const config of [
        { torch_distributed: {} },
        { torch_distributed: { reduce_type: "param", param_sync_step: 4 } },
      ]
    ) {
      const dp = await createDataParallel(parseDistributedConfig(config).settings!, { comm });
      const batches = 5 + comm.rank;
      let steps = 0;
      for (let i = 0;; i++) {
        if (!await dp.hasData(i, i < batches)) break;
        steps++;
      }
      out[dp.settings.reduceType] = await dp.gatherNumbers(steps);
    }
    return out;
  },

  /** Statistics, in-sync checks. */
  async stats(comm) {
    const dp = await createDataParallel(settings, { comm });
    const sums = await dp.sumStatistics({ loss: comm.rank + 0.5, frames: 10 * (comm.rank + 1) });
    const same = new Float32Array([1, 2, 3]);
    await dp.checkInSync(same, "weights");
    const differ = new Float32Array([1, 2, comm.rank === 1 ? 4 : 3]);
    const error = await dp.checkInSync(differ, "weights").then(() => "", (e) => String(e));
    const errors = await _gatherText(comm, error);
    return { sums, errors };
  },

  /** The toy SGD comparisons. */
  async toy(comm) {
    const steps = 12, lr = 0.2;
    const grad = await runToy(comm, settings, steps, lr);
    const p1 = parseDistributedConfig({
      torch_distributed: { reduce_type: "param", param_sync_step: 1 },
    });
    const param1 = await runToy(comm, p1.settings!, steps, lr);
    const p3 = parseDistributedConfig({
      torch_distributed: { reduce_type: "param", param_sync_step: 3 },
    });
    const param3 = await runToy(comm, p3.settings!, steps, lr);
    const half = await runToy(comm, settings, steps / 2, lr);
    const resumed = await runToy(comm, settings, steps, lr, {
      checkpoint: comm.rank === 0 ? half.params : undefined,
      firstStep: steps / 2,
    });
    const union = toyUnion(comm.size, steps, lr);
    const shard = toyShardAverage(comm.size, steps, lr);
    return {
      gradVsUnion: maxDiff(grad.params, union),
      gradVsShardAverage: maxDiff(grad.params, shard),
      gradInSync: grad.inSync,
      resumedVsWhole: maxDiff(resumed.params, grad.params),
      param1VsGrad: maxDiff(param1.params, grad.params),
      param1InSync: param1.inSync,
      param3InSync: param3.inSync,
      param3Spread: param3.spread,
    };
  },

  /** Rank 1 throws after a few steps while rank 0 waits in an all-reduce. */
  async throws(comm) {
    const a = new Float32Array(100);
    for (let i = 0; i < 3; i++) await comm.allReduce(a);
    if (comm.rank === 1) throw new RangeError("boom in the data loader");
    await comm.allReduce(a);
    return "unreachable";
  },

  /** Rank 1 gets SIGUSR1 (what mpirun -disable-auto-cleanup sends when a peer died). */
  async sigusr1(comm) {
    const a = new Float32Array(10);
    await comm.allReduce(a);
    if (comm.rank === 1) {
      Deno.kill(Deno.pid, "SIGUSR1");
      await _sleep(5000); // the signal is handled by the event loop, like mpirun's
    }
    await comm.allReduce(a);
    return "unreachable";
  },

  /** Rank 1 is killed (SIGKILL) in the middle of the loop. */
  async kill(comm) {
    const a = new Float32Array(1 << 16);
    for (let i = 0; i < 1000; i++) {
      if (comm.rank === 1 && i === 20) Deno.kill(Deno.pid, "SIGKILL");
      await comm.allReduce(a);
    }
    return "unreachable";
  },

  /** Rank `hangRank` (default 1) stops (SIGSTOP: alive but never arrives). */
  async hang(comm) {
    const a = new Float32Array(10);
    await comm.allReduce(a);
    if (comm.rank === (options.hangRank ?? 1)) Deno.kill(Deno.pid, "SIGSTOP");
    await comm.allReduce(a);
    return "unreachable";
  },
};

/** Every rank's text, in rank order, on every rank. */
async function _gatherText(comm: Communicator, text: string): Promise<string[]> {
  const out: string[] = [];
  for (let r = 0; r < comm.size; r++) {
    out.push(await broadcastValue(comm, text, r));
  }
  return out;
}

const scenario = Deno.args[0];
const options: Options = JSON.parse(Deno.args[1] ?? "{}");
const envRank = Number(Deno.env.get("PMI_RANK") ?? "0");
if (options.delayRank === envRank && options.delayMs) await _sleep(options.delayMs);

const parsed = parseDistributedConfig(options.config ?? { torch_distributed: {} });
if (parsed.problems.length > 0) throw new Error(parsed.problems.join("; "));
const settings = parsed.settings!;
const { comm, note } = await initCommunicator(settings, {
  mpi: {
    graceSec: options.graceSec,
    abortWaitSec: options.abortWaitSec,
    maxCount: options.maxCount,
  },
});
if (note && comm.rank === 0) console.error(`newbob: ${note}`);

const result = await runGuarded(comm, () => SCENARIOS[scenario](comm));
if (comm.rank === 0) console.log(`@result ${JSON.stringify(result)}`);
await comm.finalize();
