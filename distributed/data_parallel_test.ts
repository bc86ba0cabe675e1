import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { parseDistributedConfig } from "./config.ts";
import { createDataParallel, type DataParallel } from "./data_parallel.ts";
import { createLoopbackGroup } from "./loopback.ts";
import { maxDiff, runToy, toyShardAverage, toyUnion } from "./testdata/toy.ts";

const settings = (config: Record<string, unknown>) => parseDistributedConfig(config).settings!;

async function ranks<T>(
  n: number,
  config: Record<string, unknown>,
  fn: (rank: number, dp: DataParallel) => Promise<T>,
): Promise<T[]> {
  const s = settings(config);
  return await Promise.all(
    createLoopbackGroup(n).map(async (comm) =>
      fn(comm.rank, await createDataParallel(s, { comm }))
    ),
  );
}

Deno.test("data parallel: grad with 2 and 3 ranks equals one process on the union batch", async () => {
  for (const n of [2, 3]) {
    const comms = createLoopbackGroup(n);
    const runs = await Promise.all(
      comms.map((c) => runToy(c, settings({ torch_distributed: {} }), 15, 0.2)),
    );
    // Rank-order float32 averaging of the ranks' gradients: bit for bit.
    deepEqual(maxDiff(runs[0].params, toyShardAverage(n, 15, 0.2)), { abs: 0, rel: 0 });
    const d = maxDiff(runs[0].params, toyUnion(n, 15, 0.2));
    ok(d.rel < 2e-6, JSON.stringify(d)); // the union sums its 4n examples in another order
    for (const r of runs) deepEqual(r.params, runs[0].params);
    ok(runs[0].inSync.every((x) => x));
  }
});

Deno.test("data parallel: param with param_sync_step 1 equals grad averaging for SGD; N=4 syncs every 4th step", async () => {
  const s1 = settings({ torch_distributed: { reduce_type: "param", param_sync_step: 1 } });
  const c1 = createLoopbackGroup(2);
  const p1 = await Promise.all(c1.map((c) => runToy(c, s1, 10, 0.2)));
  const g = toyShardAverage(2, 10, 0.2);
  ok(maxDiff(p1[0].params, g).rel < 2e-6);
  ok(p1[0].inSync.every((x) => x));
  const s4 = settings({ torch_distributed: { reduce_type: "param", param_sync_step: 4 } });
  const c4 = createLoopbackGroup(2);
  const p4 = await Promise.all(c4.map((c) => runToy(c, s4, 10, 0.2)));
  deepEqual(p4[0].inSync, [false, false, false, true, false, false, false, true, false, false]);
  // endTrainEpoch averages the last, partial window: the ranks end equal.
  deepEqual(p4[0].params, p4[1].params);
  ok(maxDiff(p4[0].params, g).abs > 1e-4, "N=4 is a different algorithm than N=1");
});

Deno.test("data parallel: Horovod's default (sum, no scaling) is averaging at N times the learning rate", async () => {
  const comms = createLoopbackGroup(2);
  const hvd = await Promise.all(
    comms.map((c) => runToy(c, settings({ use_horovod: true }), 8, 0.05)),
  );
  const c2 = createLoopbackGroup(2);
  const avg = await Promise.all(
    c2.map((c) => runToy(c, settings({ torch_distributed: {} }), 8, 0.1)),
  );
  deepEqual(hvd[0].params, avg[0].params); // 2 is a power of two: exact
  const c3 = createLoopbackGroup(2);
  const scaled = await Promise.all(
    c3.map((c) =>
      runToy(
        c,
        settings({ use_horovod: true, horovod_avg_grad: true, horovod_scale_lr: true }),
        8,
        0.05,
      )
    ),
  );
  deepEqual(scaled[0].params, avg[0].params);
});

Deno.test("data parallel: has-data ends the epoch for all, data per rank, learning-rate factor", async () => {
  const steps = await ranks(3, { torch_distributed: {} }, async (rank, dp) => {
    let n = 0;
    while (await dp.hasData(n, n < 4 + rank)) n++;
    return n;
  });
  deepEqual(steps, [4, 4, 4]);
  const info = await ranks(
    2,
    { use_horovod: true, horovod_scale_lr: true },
    (_r, dp) =>
      Promise.resolve({
        lr: dp.learningRateFactor,
        seed: dp.randomSeedOffset(),
        train: [0, 1, 2, 3].filter((b) => dp.takesTrainBatch(b)),
        dev: [0, 1, 2].filter((b) => dp.takesEvalBatch(b)),
        main: dp.isMain,
      }),
  );
  deepEqual(info, [
    { lr: 2, seed: 0, train: [0, 2], dev: [0, 2], main: true },
    { lr: 2, seed: 0, train: [1, 3], dev: [1], main: false },
  ]);
  const rso = await ranks(
    2,
    { torch_distributed: {} },
    (_r, dp) =>
      Promise.resolve([dp.randomSeedOffset(), [0, 1].filter((b) => dp.takesTrainBatch(b)).length]),
  );
  deepEqual(rso, [[0, 2], [16127, 2]]);
});

Deno.test("data parallel: statistics, scores, arrays and numbers from rank 0; key mismatches fail everywhere", async () => {
  const out = await ranks(3, { torch_distributed: {} }, async (rank, dp) => ({
    stats: await dp.sumStatistics({ errors: rank, frames: 100 }),
    scores: await dp.shareScores({ dev_score: rank === 0 ? 0.5 : 9 }),
    arrays: await dp.shareArrays(
      rank === 0 ? { "0/m": new Float32Array([1, 2]), "1/m": new Float32Array([3]) } : undefined,
    ),
    numbers: await dp.gatherNumbers(rank * 7),
    state: await dp.shareFromMain(rank === 0 ? { epoch: 4, lrFile: "{1: ...}" } : null),
  }));
  for (const o of out) {
    deepEqual(o.stats, { errors: 3, frames: 300 });
    deepEqual(o.scores, { dev_score: 0.5 });
    deepEqual(Object.fromEntries(Object.entries(o.arrays).map(([k, v]) => [k, [...v]])), {
      "0/m": [1, 2],
      "1/m": [3],
    });
    deepEqual(o.numbers, [0, 7, 14]);
    deepEqual(o.state, { epoch: 4, lrFile: "{1: ...}" });
  }
  const bad = await Promise.allSettled(
    createLoopbackGroup(2).map(async (comm) => {
      const dp = await createDataParallel(settings({ torch_distributed: {} }), { comm });
      return await dp.sumStatistics(comm.rank === 0 ? { a: 1 } : { b: 1 });
    }),
  );
  for (const r of bad) {
    equal(r.status, "rejected");
    ok(/rank\(s\) 1 have other keys than rank 0/.test(String((r as PromiseRejectedResult).reason)));
  }
});

Deno.test("data parallel: param mode averages at the end of every epoch (ranks may stop after different steps)", async () => {
  const s = settings({ torch_distributed: { reduce_type: "param", param_sync_step: 3 } });
  const res = await Promise.all(
    createLoopbackGroup(2).map(async (comm) => {
      const dp = await createDataParallel(s, { comm });
      const p = new Float32Array([comm.rank * 2]);
      let i = 0;
      while (await dp.hasData(i, i < 3 + comm.rank)) i++;
      const changed = await dp.endTrainEpoch(p);
      return [i, changed, p[0]];
    }),
  );
  // rank 0 is out at step 3 and checks; rank 1 trains step 3 (no check due: 3 % 3 != 2) and
  // checks at step 4, out of data too: that check meets rank 0's, so they stop after 3 and 4.
  deepEqual(res, [[3, true, 1], [4, true, 1]]);
  const g = await ranks(
    1,
    { torch_distributed: {} },
    (_r, dp) => dp.endTrainEpoch(new Float32Array(1)),
  );
  deepEqual(g, [false]);
  await rejects(
    Promise.all(
      createLoopbackGroup(2).map(async (comm) => {
        const dp = await createDataParallel(settings({ torch_distributed: {} }), { comm });
        await dp.checkInSync(new Float32Array([comm.rank]), "parameters");
      }),
    ),
    /parameters of rank\(s\) 1 differ/,
  );
});

Deno.test("data parallel: resume from rank 0's checkpoint continues exactly (grad)", async () => {
  const s = settings({ torch_distributed: {} });
  const whole = await Promise.all(createLoopbackGroup(2).map((c) => runToy(c, s, 12, 0.2)));
  const first = await Promise.all(createLoopbackGroup(2).map((c) => runToy(c, s, 6, 0.2)));
  const checkpoint = first[0].params; // only rank 0 "saved" it
  const second = await Promise.all(
    createLoopbackGroup(2).map((c) =>
      runToy(c, s, 12, 0.2, { checkpoint: c.rank === 0 ? checkpoint : undefined, firstStep: 6 })
    ),
  );
  for (const r of second) deepEqual(r.params, whole[0].params);
});
