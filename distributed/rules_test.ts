import { deepEqual, equal } from "node:assert/strict";
import { parseDistributedConfig } from "./config.ts";
import {
  checkHasDataNow,
  gradientReduceOp,
  learningRateFactor,
  overlapIsExact,
  reduceGradientsNow,
  syncParamsNow,
} from "./rules.ts";

const settings = (config: Record<string, unknown>) => parseDistributedConfig(config).settings!;

Deno.test("rules: gradient reduction and learning-rate scaling per RETURNN engine", () => {
  const torch = settings({ torch_distributed: {} });
  equal(gradientReduceOp(torch), "avg");
  equal(learningRateFactor(torch, 4), 1);
  const hvd = settings({ use_horovod: true });
  equal(gradientReduceOp(hvd), "sum");
  equal(learningRateFactor(hvd, 4), 1);
  const hvdAvg = settings({ use_horovod: true, horovod_avg_grad: true, horovod_scale_lr: true });
  equal(gradientReduceOp(hvdAvg), "avg");
  equal(learningRateFactor(hvdAvg, 4), 4);
  // horovod_scale_lr applies with param too (RETURNN's updater scales whenever it is set).
  const hvdParam = settings({
    use_horovod: true,
    horovod_reduce_type: "param",
    horovod_scale_lr: true,
  });
  equal(gradientReduceOp(hvdParam), undefined);
  equal(learningRateFactor(hvdParam, 3), 3);
  equal(reduceGradientsNow(torch), true);
  equal(reduceGradientsNow(hvdParam), false);
});

Deno.test("rules: param sync every N mini-batches of the epoch; grad never", () => {
  const p = settings({ torch_distributed: { reduce_type: "param", param_sync_step: 4 } });
  deepEqual(
    Array.from({ length: 10 }, (_, i) => syncParamsNow(p, i)),
    [false, false, false, true, false, false, false, true, false, false],
  );
  const p1 = settings({ torch_distributed: { reduce_type: "param", param_sync_step: 1 } });
  deepEqual([0, 1, 2].map((i) => syncParamsNow(p1, i)), [true, true, true]);
  equal(syncParamsNow(settings({ torch_distributed: {} }), 3), false);
});

Deno.test("rules: has-data checks: every step with grad; step 0, sync steps and out-of-data with param", () => {
  const g = settings({ torch_distributed: {} });
  deepEqual([0, 1, 2].map((i) => checkHasDataNow(g, i, true)), [true, true, true]);
  const p = settings({ torch_distributed: { reduce_type: "param", param_sync_step: 3 } });
  deepEqual(
    Array.from({ length: 7 }, (_, i) => checkHasDataNow(p, i, true)),
    [true, false, true, false, false, true, false],
  );
  equal(checkHasDataNow(p, 4, false), true);
});

Deno.test("rules: overlapping the next backward is exact only inside an accumulation window", () => {
  const g = settings({ torch_distributed: {} });
  equal(overlapIsExact(g, false), true);
  equal(overlapIsExact(g, true), false);
  const p = settings({ torch_distributed: { reduce_type: "param", param_sync_step: 3 } });
  equal(overlapIsExact(p, false), false);
});
