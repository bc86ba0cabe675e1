import { deepEqual, equal, match, throws } from "node:assert/strict";
import { resolveConfig } from "./config.ts";
import { ConfigError } from "./config_error.ts";
import { fingerprintOf } from "./restore.ts";
import { isSequenceConfig } from "./seq_config.ts";

const seq = {
  train: { class: "Task12AXDataset", num_seqs: 10 },
  dev: { class: "Task12AXDataset", num_seqs: 4, fixed_random_seed: 1 },
  num_inputs: 9,
  num_outputs: 2,
  batch_size: { data: 500, classes: 500 },
  network: { output: { class: "softmax", loss: "ce" } },
};

Deno.test("seq config: datasets with RETURNN's defaults, data keys, the model, saving keys", () => {
  const s = resolveConfig({ ...seq, save_interval: 3, cleanup_old_models: { keep_best_n: 1 } });
  equal(s.sequence!.model.kind, "network");
  deepEqual(s.sequence!.externData, {
    data: { dim: 9, sparse: false },
    classes: { dim: 2, sparse: true },
  });
  equal(s.sequence!.data.eval[0].dict.seq_ordering, "sorted");
  deepEqual(s.sequence!.data.train!.batching.batch_size, { data: 500, classes: 500 });
  equal(s.saveInterval, 3);
  deepEqual(s.cleanupOldModels, { keepLastN: 2, keepBestN: 1 });
  equal(s.stopOnNonfiniteTrainScore, true);
  // RETURNN tests the truth of the value: an empty dict, like false, keeps every model.
  equal(resolveConfig({ ...seq, cleanup_old_models: {} }).cleanupOldModels, false);
  deepEqual(resolveConfig({ ...seq, cleanup_old_models: true }).cleanupOldModels, {
    keepLastN: 2,
    keepBestN: 4,
  });
  // The digits job is no sequence config.
  equal(resolveConfig({}).sequence, undefined);
  equal(isSequenceConfig({ get_model: () => null }), true);
});

Deno.test("seq config: keys of the other kind of job and bad saving keys are problems", () => {
  const problems = (c: Record<string, unknown>) => {
    try {
      resolveConfig(c);
      return [];
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      return e.problems;
    }
  };
  match(problems({ batch_size: { data: 5 } })[0], /digits job counts rows/);
  match(problems({ dev: { class: "Task12AXDataset", num_seqs: 3 } })[0], /needs a sequence config/);
  match(problems({ ...seq, data: "digits" }).join("\n"), /belongs to the built-in digits job/);
  match(problems({ ...seq, model: "/tmp/x/model" }).join("\n"), /checkpoint path prefix/);
  match(problems({ ...seq, cleanup_old_models: { keep_last_n: 0 } })[0], /cleanup_old_models/);
  match(problems({ ...seq, task: "forward" })[0], /"train"/);
  match(problems({ ...seq, device: "gpu" })[0], /tfjs|TensorFlow\.js 'backend'/);
  match(problems({ ...seq, network: undefined }).join("\n"), /the model is missing/);
  match(
    problems({ train: seq.train, network: seq.network }).join("\n"),
    /the data keys are not described/,
  );
  throws(() => resolveConfig({ ...seq, backend: "torch" }), /config's form/);
});

Deno.test("seq config: the fingerprint holds a hash of the datasets and model, not their data", () => {
  const a = fingerprintOf(resolveConfig(seq));
  const b = fingerprintOf(resolveConfig({ ...seq, train: { ...seq.train, num_seqs: 11 } }));
  match(String(a.sequence), /^fnv1a:[0-9a-f]{8}$/);
  equal(a.sequence === b.sequence, false);
  equal("sequence" in fingerprintOf(resolveConfig({})), false);
});
