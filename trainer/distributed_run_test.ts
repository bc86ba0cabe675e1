/**
 * The trainer's data-parallel wiring with 2 ranks in one process (the loopback transport, which
 * folds in rank order as MPICH does on 2 ranks): the same `train` a rank runs under `mpirun`.
 * The MPI runs of the same scenarios are in `distributed_mpi_test.ts`.
 *
 * @module
 */

import { equal, ok, throws } from "node:assert/strict";
import { train, type TrainResult } from "./train.ts";
import { resolveConfig } from "./config.ts";
import { ConfigError } from "./config_error.ts";
import type { Config } from "./config_types.ts";
import { createLoopbackGroup } from "../distributed/loopback.ts";
import { both, tempDir } from "../tests/_gpu.ts";
import type { BackendName } from "./model_types.ts";
import { maxDiff, unionConfigs } from "./_distributed_cases_test.ts";

const quiet = { log: () => {}, progress: "none" as const };

/** Run `config` on `n` in-process ranks; rank 0's result. */
async function onRanks(
  n: number,
  config: Config,
  dir: string,
  backend: BackendName = "cpu",
): Promise<TrainResult[]> {
  const comms = createLoopbackGroup(n);
  return await Promise.all(
    comms.map((communicator) => train(config, { ...quiet, outputDir: dir, backend, communicator })),
  );
}

Deno.test("distributed config keys are the trainer's: accepted, validated, merged into ConfigError", () => {
  const s = resolveConfig({ torch_distributed: { reduce_type: "param", param_sync_step: 4 } });
  equal(s.distributed?.reduceType, "param");
  equal(s.distributed?.paramSyncStep, 4);
  equal(
    resolveConfig({ use_horovod: true, horovod_scale_lr: true }).distributed?.source,
    "use_horovod",
  );
  equal(resolveConfig({}).distributed, undefined);
  throws(
    () => resolveConfig({ learning_rte: 1, torch_distributed: { reduce_typ: "grad" } }),
    (x: unknown) =>
      x instanceof ConfigError && x.message.includes("learning_rte") &&
      x.message.includes("Did you mean 'reduce_type'?"),
  );
  throws(() => resolveConfig({ use_horovd: true }), /Did you mean 'use_horovod'\?/);
});

both(
  "2 loopback ranks, grad (Horovod shard, averaged) == 1 rank on the union batches",
  async (backend) => {
    const { ranks, union } = unionConfigs();
    const dirA = await tempDir("dp-union-2-");
    const dirB = await tempDir("dp-union-1-");
    const [r0, r1] = await onRanks(2, ranks, dirA, backend);
    const one = await train(union, { ...quiet, outputDir: dirB, backend });
    equal(r0.globalTrainStep, one.globalTrainStep);
    // Both ranks end with the same parameters; only rank 0 wrote files.
    equal(maxDiff(r0.parameters, r1.parameters).abs, 0);
    equal(r1.rank, 1);
    const d = maxDiff(r0.parameters, one.parameters);
    // float32 summation order only: (mean of 32 + mean of 32) / 2 vs the mean of 64. Measured
    // 3e-8 on cpu after 48 steps.
    ok(d.abs < (backend === "cpu" ? 1e-6 : 1e-4), JSON.stringify(d));
    // The same decisions: the learning rates of every epoch are equal.
    equal(
      JSON.stringify(r0.history.map((h) => h.learningRate)),
      JSON.stringify(one.history.map((h) => h.learningRate)),
    );
  },
);

Deno.test("2 loopback ranks, param with param_sync_step 1 == grad averaging (SGD)", async () => {
  const base: Config = {
    data: { name: "digits", dev_fraction: 0.43 },
    model: { type: "mlp", hidden: [16] },
    num_epochs: 1,
    batch_size: 32,
    seed: 7,
    optimizer: { class: "sgd" },
    learning_rate: 0.05,
  };
  const grad = await onRanks(2, { ...base, torch_distributed: {} }, await tempDir("dp-grad-"));
  const param = await onRanks(
    2,
    { ...base, torch_distributed: { reduce_type: "param", param_sync_step: 1 } },
    await tempDir("dp-param-"),
  );
  equal(maxDiff(param[0].parameters, param[1].parameters).abs, 0);
  const d = maxDiff(grad[0].parameters, param[0].parameters);
  ok(d.abs < 1e-5, JSON.stringify(d));
});
