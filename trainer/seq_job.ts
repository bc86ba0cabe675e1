/**
 * A sequence config's job: RETURNN's datasets batched as RETURNN batches them (with the
 * model's `used_data_keys`), the model's steps, and each epoch's scores as RETURNN's engines
 * record them (train scores accumulated over the pass; every evaluation dataset, in RETURNN's
 * order, after it).
 *
 * @module
 */

import type { OpenedData } from "../datasets/data_config.ts";
import type { Batch, SequenceDataset } from "../datasets/dataset.ts";
import type { BatchingOptions } from "../datasets/batching.ts";
import { flattenScores, isErrorKey } from "../control/error_key.ts";
import type { EpochScores } from "../control/error_key.ts";
import type { EpochScoring, ScoredSet } from "./epoch.ts";
import type { TrainJob } from "./job.ts";
import type { SequenceModel } from "./model_types.ts";
import type { SequenceSettings } from "./seq_config.ts";

/**
 * The job of a sequence config.
 *
 * @param spec The sequence settings (batching per dataset).
 * @param data The opened datasets.
 * @param model The model.
 * @param log Where the batcher's warnings go.
 * @returns The job.
 */
export function sequenceJob(
  spec: SequenceSettings,
  data: OpenedData,
  model: SequenceModel,
  log: (line: string) => void,
): TrainJob<Batch> {
  const used = { used_data_keys: [...model.usedDataKeys] };
  const trainDs = data.train!;
  const trainBatching: BatchingOptions = { ...spec.data.train!.batching, ...used };
  const evals = spec.data.eval.map((e) => ({
    name: e.name,
    ds: data.eval.get(e.name)!,
    batching: { ...e.batching, ...used } as BatchingOptions,
  }));
  return {
    model,
    step: { gradients: (batch, at) => model.gradients(batch, at) },
    train: {
      async epoch(epoch) {
        await trainDs.initSeqOrder(epoch);
        const numSeqs = trainDs.numSeqs;
        return {
          steps: trainDs.numBatches(trainBatching),
          batches: trainDs.batches(trainBatching, log),
          // RETURNN's complete_frac: the sequences up to the batch's last, of the epoch's.
          doneAfter: (batch) =>
            (1 + batch.slices.reduce((m, s) => Math.max(m, s.seqIdx), -1)) / numSeqs,
        };
      },
    },
    scoring: {
      async train() {
        return _scored(await model.trainScores());
      },
      evalNames: evals.map((e) => e.name),
      async evaluate(name, epoch) {
        const e = evals.find((x) => x.name === name)!;
        await e.ds.initSeqOrder(epoch);
        return _scored(await model.evaluate(name, e.ds.batches(e.batching, log)));
      },
      allKeys: true,
    } satisfies EpochScoring,
    outputs: ["output"],
    description: _describe(model, data.train!, evals.map((e) => [e.name, e.ds] as const)),
    async close() {
      model.dispose();
      await data.close();
    },
  };
}

/**
 * The problems between the datasets and the model's data keys: a key the model reads that a
 * dataset lacks, or whose dim or sparsity differs from `extern_data`.
 *
 * @param data The opened datasets.
 * @param model The model.
 * @returns The problems (empty: fine).
 */
export function datasetKeyProblems(data: OpenedData, model: SequenceModel): string[] {
  const problems: string[] = [];
  const all = [...(data.train ? [["train", data.train] as const] : []), ...data.eval];
  for (const [name, ds] of all) {
    for (const key of model.usedDataKeys) {
      if (!ds.dataKeys.includes(key)) {
        problems.push(
          `dataset '${name}' has no data key '${key}', which the model reads (its keys: ` +
            `${ds.dataKeys.join(", ")}); rename the key in extern_data / the network, or use ` +
            "another dataset",
        );
        continue;
      }
      const info = ds.keyInfo(key), want = model.externData[key];
      if (want === undefined) continue;
      if (info.sparse !== want.sparse || (!want.sparse && info.dim !== want.dim)) {
        problems.push(
          `dataset '${name}' key '${key}' is ${info.sparse ? "sparse" : "dense"} with dim ` +
            `${info.dim}, but extern_data says ${want.sparse ? "sparse" : "dense"} with dim ` +
            `${want.dim}: make them agree (num_inputs / num_outputs / extern_data)`,
        );
      }
    }
  }
  return problems;
}

/** The headline numbers of a set's scores: its first score, and its first error rate. */
function _scored(scores: EpochScores): ScoredSet {
  const flat = [...flattenScores(scores)];
  return {
    scores,
    score: flat.find(([k]) => !isErrorKey(k))?.[1] ?? NaN,
    error: flat.find(([k]) => isErrorKey(k))?.[1] ?? NaN,
  };
}

function _describe(
  model: SequenceModel,
  train: SequenceDataset,
  evals: readonly (readonly [string, SequenceDataset])[],
): string {
  const sets = [["train", train] as const, ...evals].map(([n, d]) => `${n} ${d.totalNumSeqs} seqs`);
  return `model: ${model.message ?? ""}; data keys ${model.usedDataKeys.join(", ")}; ` +
    sets.join(", ");
}
