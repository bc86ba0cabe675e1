/**
 * The built-in digits job (`data` / `model` keys): an MLP classifier on rows, its seeded
 * mini-batches and its scores (`train_score` the mean mini-batch loss, `train_error` the error
 * on the training split after the pass, `dev_score` / `dev_error` on the dev split), named per
 * output as RETURNN's TF engine names output layers.
 *
 * @module
 */

import type { TrainSettings } from "./config.ts";
import type { EpochScoring, ScoredSet, TrainPass } from "./epoch.ts";
import type { TrainJob } from "./job.ts";
import type { Batch, EvalResult, OutputEval, TrainModel } from "./model_types.ts";
import type { Dataset } from "./train_deps.ts";

/** Name of a one-output model's output layer in score keys (RETURNN's `cost:output`). */
const OUTPUT = "output";

/**
 * The digits job of a model and its data.
 *
 * @param settings The settings.
 * @param model The model.
 * @param data The data set.
 * @returns The job.
 */
export function digitsJob(
  settings: TrainSettings,
  model: TrainModel,
  data: Dataset,
): TrainJob<Batch> {
  const outputs = model.outputs ?? [OUTPUT];
  const steps = Math.ceil(data.train.size / settings.batchSize);
  return {
    model,
    step: { gradients: (batch) => model.gradients(batch) },
    train: {
      epoch: (epoch) =>
        Promise.resolve({
          steps,
          batches: data.train.batches(epoch, settings.batchSize, settings.seed),
          doneAfter: (_, step) => (step + 1) / steps,
        }),
    },
    scoring: scoring(model, data, settings, outputs),
    outputs,
    description: describe(model, data),
    close: () => {
      model.dispose();
      return Promise.resolve();
    },
  };
}

/** The line about the model and the data. */
function describe(model: TrainModel, data: Dataset): string {
  const numParams = model.shapes.reduce((n, sh) => n + sh.reduce((a, b) => a * b, 1), 0);
  return `model: ${numParams} parameters in ${model.names.length} tensors; data: ` +
    `${data.train.size} train / ${data.dev.size} dev rows` +
    (model.message ? `; ${model.message}` : "");
}

function scoring(
  model: TrainModel,
  data: Dataset,
  s: TrainSettings,
  outputs: readonly string[],
): EpochScoring {
  const multi = outputs.length > 1;
  // Scores of a whole split, evaluated in batches of at least 256 rows.
  const evaluate = (split: "train" | "dev") => {
    const part = data[split];
    return model.evaluate(part.x, part.y, Math.max(256, s.batchSize), part.targets);
  };
  return {
    async train(pass: TrainPass): Promise<ScoredSet> {
      const trainEval = await evaluate("train");
      // RETURNN TF's score form, one item per output layer: the control stores one output as
      // `train_score` and several as `train_score_<output>`.
      return {
        scores: {
          train_score: perLayer("cost", outputs, (_, i) => multi ? pass.perOutput[i] : pass.score),
          train_error: perLayer("error", outputs, (o) => outputEval(trainEval, o, multi).error),
        },
        score: pass.score,
        error: trainEval.error,
      };
    },
    evalNames: ["dev"],
    async evaluate(): Promise<ScoredSet> {
      const dev = await evaluate("dev");
      return {
        scores: {
          dev_score: perLayer("cost", outputs, (o) => outputEval(dev, o, multi).score),
          dev_error: perLayer("error", outputs, (o) => outputEval(dev, o, multi).error),
        },
        score: dev.score,
        error: dev.error,
      };
    },
    allKeys: multi,
  };
}

/** `{"<kind>:<output>": value}` for every output (RETURNN TF's per-layer score dict). */
function perLayer(
  kind: "cost" | "error",
  outputs: readonly string[],
  value: (output: string, i: number) => number,
): Record<string, number> {
  return Object.fromEntries(outputs.map((o, i) => [`${kind}:${o}`, value(o, i)]));
}

/** One output's score and error (the whole result for a one-output model). */
function outputEval(r: EvalResult, output: string, multi: boolean): OutputEval {
  if (!multi) return r;
  const found = r.outputs?.[output];
  if (found === undefined) {
    throw new TypeError(
      `Cannot score the output '${output}': the model's evaluate() gave no result for it ` +
        `(got: ${Object.keys(r.outputs ?? {}).join(", ") || "none"}); return 'outputs' per name`,
    );
  }
  return found;
}
