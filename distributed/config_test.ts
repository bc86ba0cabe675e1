import { deepEqual, equal, ok } from "node:assert/strict";
import {
  DEFAULT_STARTUP_TIMEOUT_SEC,
  DEFAULT_TIMEOUT_SEC,
  DISTRIBUTED_KEYS,
  isDistributedKey,
  parseDistributedConfig,
} from "./config.ts";

Deno.test("config: no distribution keys -> no settings, no problems", () => {
  deepEqual(parseDistributedConfig({ learning_rate: 0.1 }), {
    settings: undefined,
    problems: [],
    notes: [],
  });
  equal(parseDistributedConfig({ torch_distributed: null }).settings, undefined);
  equal(parseDistributedConfig({ use_horovod: false }).settings, undefined);
});

Deno.test("config: torch_distributed defaults are RETURNN's (grad, averaged, rank seed offsets)", () => {
  const { settings, problems } = parseDistributedConfig({ torch_distributed: {} });
  deepEqual(problems, []);
  deepEqual(settings, {
    source: "torch_distributed",
    reduceType: "grad",
    paramSyncStep: 1,
    gradReduceOp: "avg",
    scaleLearningRateBySize: false,
    dataDistribution: "random_seed_offset",
    syncEveryStep: true,
    timeoutSec: DEFAULT_TIMEOUT_SEC,
    startupTimeoutSec: DEFAULT_STARTUP_TIMEOUT_SEC,
    library: undefined,
  });
  equal(DEFAULT_TIMEOUT_SEC, 1800);
});

Deno.test("config: torch_distributed param needs a positive int param_sync_step", () => {
  const ok1 = parseDistributedConfig({
    torch_distributed: { reduce_type: "param", param_sync_step: 50, timeout_sec: 60 },
  });
  equal(ok1.settings?.reduceType, "param");
  equal(ok1.settings?.paramSyncStep, 50);
  equal(ok1.settings?.timeoutSec, 60);
  equal(ok1.settings?.syncEveryStep, false);
  for (const bad of [undefined, 0, 2.5, "10", -1]) {
    const r = parseDistributedConfig({
      torch_distributed: { reduce_type: "param", param_sync_step: bad },
    });
    equal(r.settings, undefined);
    ok(r.problems[0].startsWith("'torch_distributed.param_sync_step' must be a positive integer"));
  }
});

Deno.test("config: every problem at once, with did-you-mean", () => {
  const r = parseDistributedConfig({
    torch_distributed: { reduce_typ: "grad", reduce_type: "gard", tmeout_sec: 5, class: "X" },
    horovod_reduce_typ: "param",
    mpi_library: "",
    distributed_startup_timeout_sec: -1,
  });
  equal(r.settings, undefined);
  deepEqual(r.problems, [
    "unknown key 'horovod_reduce_typ'. Did you mean 'horovod_reduce_type'?",
    "'mpi_library' must be a non-empty path: current value is \"\"",
    "'distributed_startup_timeout_sec' must be a positive number of seconds: current value is -1",
    "unknown key 'torch_distributed.reduce_typ'. Did you mean 'reduce_type'?",
    "unknown key 'torch_distributed.tmeout_sec'. Did you mean 'timeout_sec'?",
    '\'torch_distributed.reduce_type\' must be "grad", "param" or "grad_explicit": current ' +
    "value is \"gard\". Did you mean 'grad'?",
    "'torch_distributed.class' (a custom DistributedDataParallel class) is not supported: " +
    "newbob all-reduces the gradients itself, as one flat buffer per update; remove it",
  ]);
});

Deno.test("config: keys RETURNN reads only for one reduce type are rejected for the other", () => {
  const r = parseDistributedConfig({
    torch_distributed: { reduce_type: "param", param_sync_step: 2, options: {} },
  });
  ok(r.problems[0].includes("'torch_distributed.options' is only read with reduce_type \"grad\""));
  const s = parseDistributedConfig({ torch_distributed: { sync_on_cpu: true } });
  ok(
    s.problems[0].includes(
      "'torch_distributed.sync_on_cpu' is only read with reduce_type \"param\"",
    ),
  );
  const e = parseDistributedConfig({
    torch_distributed: { reduce_type: "grad_explicit", options: {} },
  });
  ok(e.problems[0].includes('with "grad_explicit"'));
});

Deno.test("config: keys without effect in newbob are notes, never silent", () => {
  const r = parseDistributedConfig({
    torch_distributed: {
      reduce_type: "grad_explicit",
      param_sync_step: 3,
      backend: "cpu:gloo,cuda:nccl",
    },
  });
  deepEqual(r.problems, []);
  equal(r.settings?.reduceType, "grad");
  equal(r.notes.length, 3);
  ok(r.notes.some((n) => n.includes('"grad_explicit" is newbob\'s "grad"')));
  ok(r.notes.some((n) => n.includes("'torch_distributed.param_sync_step' has no effect")));
  ok(r.notes.some((n) => n.includes("'torch_distributed.backend'")));
  const p = parseDistributedConfig({
    torch_distributed: { reduce_type: "param", param_sync_step: 2, sync_on_cpu: false },
  });
  ok(p.notes[0].includes("sync_on_cpu' has no effect"));
  const g = parseDistributedConfig({
    torch_distributed: { options: { find_unused_parameters: true } },
  });
  ok(g.notes[0].includes("'torch_distributed.options'"));
  const h = parseDistributedConfig({ horovod_reduce_type: "param", mpi_library: "x.so" });
  equal(h.settings, undefined);
  deepEqual(h.problems, []);
  ok(h.notes[0].includes("'horovod_reduce_type' has no effect without use_horovod: True"));
  ok(h.notes[1].includes("'mpi_library' has no effect without torch_distributed or use_horovod"));
});

Deno.test("config: Horovod defaults (grad summed, shard) and every key's meaning", () => {
  const d = parseDistributedConfig({ use_horovod: true }).settings!;
  equal(d.source, "use_horovod");
  equal(d.reduceType, "grad");
  equal(d.gradReduceOp, "sum");
  equal(d.dataDistribution, "shard");
  equal(d.scaleLearningRateBySize, false);
  equal(d.syncEveryStep, true);
  const p = parseDistributedConfig({
    use_horovod: 1,
    horovod_reduce_type: "param",
    horovod_param_sync_step: 100,
    horovod_dataset_distribution: "random_seed_offset",
    horovod_scale_lr: true,
    horovod_avg_grad: true,
  });
  deepEqual(p.problems, []);
  equal(p.settings?.paramSyncStep, 100);
  equal(p.settings?.syncEveryStep, false);
  equal(p.settings?.scaleLearningRateBySize, true);
  ok(p.notes[0].includes("'horovod_avg_grad' has no effect"));
  equal(
    parseDistributedConfig({ use_horovod: true, horovod_avg_grad: true }).settings?.gradReduceOp,
    "avg",
  );
  const g = parseDistributedConfig({ use_horovod: true, horovod_param_sync_step: 5 });
  equal(g.settings?.paramSyncStep, 1);
  ok(g.notes[0].includes('no effect with horovod_reduce_type "grad"'));
});

Deno.test("config: Horovod problems, the time-based sync, conflicts", () => {
  const r = parseDistributedConfig({
    use_horovod: "yes",
    torch_distributed: {},
  });
  deepEqual(r.problems, ["'use_horovod' must be a boolean: current value is \"yes\""]);
  const h = parseDistributedConfig({
    use_horovod: true,
    horovod_reduce_type: "params",
    horovod_dataset_distribution: "shards",
    horovod_param_sync_time_diff: 100,
    horovod_scale_lr: "x",
  });
  equal(h.settings, undefined);
  deepEqual(h.problems.map((p) => p.split(":")[0]), [
    '\'horovod_reduce_type\' must be "grad" or "param"',
    '\'horovod_dataset_distribution\' must be "shard" or "random_seed_offset"',
    "'horovod_param_sync_time_diff' is not supported",
    "'horovod_scale_lr' must be a boolean",
  ]);
  ok(h.problems[0].endsWith("Did you mean 'param'?"));
  const both = parseDistributedConfig({ use_horovod: true, torch_distributed: {} });
  ok(both.problems[0].includes("'torch_distributed' and 'use_horovod' conflict"));
  const t = parseDistributedConfig({
    torch_distributed: { timeout_sec: 10 },
    distributed_timeout_sec: 20,
  });
  ok(t.problems[0].includes("conflict"));
  const same = parseDistributedConfig({
    torch_distributed: { timeout_sec: 10 },
    distributed_timeout_sec: 10,
    distributed_startup_timeout_sec: 5,
    mpi_library: "/opt/mpich/lib/libmpich.so.12",
  });
  equal(same.settings?.timeoutSec, 10);
  equal(same.settings?.startupTimeoutSec, 5);
  equal(same.settings?.library, "/opt/mpich/lib/libmpich.so.12");
  for (const bad of [[], "grad", 1, false]) {
    ok(
      parseDistributedConfig({ torch_distributed: bad }).problems[0].startsWith(
        "'torch_distributed' must be a dict",
      ),
    );
  }
});

Deno.test("config: the keys the trainer routes here", () => {
  for (const k of DISTRIBUTED_KEYS) equal(isDistributedKey(k), true);
  equal(isDistributedKey("horovod_anything"), true);
  equal(isDistributedKey("torch_dataloader_opts"), false);
});
