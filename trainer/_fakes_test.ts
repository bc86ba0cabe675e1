/**
 * Small fakes for the training-loop tests: a softmax-regression model on Float32Arrays, an SGD
 * with momentum updater, a newbob_rel-like control writing JSON. They follow the contracts in
 * `train_deps.ts` and `model_types.ts` exactly, so the loop can be tested without TensorFlow.js
 * or the real optimizer engine.
 *
 * @module
 */

import type { EpochControl, TrainDeps, Updater, UpdaterState } from "./train_deps.ts";
import type { Batch, EvalResult, ParamModel, StepGradients, TrainModel } from "./model_types.ts";
import { Rng } from "./rng.ts";
import { loadDigits } from "./digits.ts";
import type { TrainOptions } from "./train.ts";
import type { Config } from "./config_types.ts";
import { equal } from "node:assert/strict";
import { createLearningRateControl } from "../control/learning_rate_control.ts";

/** A softmax regression `x W + b` computed on the host in float32. */
export function fakeModel(inputDim: number, numClasses: number, seed: number): TrainModel {
  const rng = new Rng(seed);
  let w = new Float32Array(inputDim * numClasses).map(() => (rng.next() - 0.5) * 0.1);
  let b = new Float32Array(numClasses);
  const logits = (x: Float32Array, n: number) => {
    const out = new Float32Array(n * numClasses);
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < numClasses; c++) {
        let s = b[c];
        for (let i = 0; i < inputDim; i++) s += x[r * inputDim + i] * w[i * numClasses + c];
        out[r * numClasses + c] = s;
      }
    }
    return out;
  };
  const softmax = (z: Float32Array, n: number) => {
    for (let r = 0; r < n; r++) {
      let m = -Infinity;
      for (let c = 0; c < numClasses; c++) m = Math.max(m, z[r * numClasses + c]);
      let s = 0;
      for (let c = 0; c < numClasses; c++) {
        z[r * numClasses + c] = Math.exp(z[r * numClasses + c] - m);
        s += z[r * numClasses + c];
      }
      for (let c = 0; c < numClasses; c++) z[r * numClasses + c] /= s;
    }
    return z;
  };
  return {
    names: ["dense/kernel", "dense/bias"],
    shapes: [[inputDim, numClasses], [numClasses]],
    backend: "cpu",
    parameters: () => Promise.resolve([w.slice(), b.slice()]),
    gradients(batch: Batch): StepGradients {
      const n = batch.size;
      const p = softmax(logits(batch.x, n), n);
      let loss = 0;
      const gw = new Float32Array(w.length);
      const gb = new Float32Array(b.length);
      for (let r = 0; r < n; r++) {
        loss -= Math.log(Math.max(1e-12, p[r * numClasses + batch.y[r]]));
        for (let c = 0; c < numClasses; c++) {
          const d = (p[r * numClasses + c] - (c === batch.y[r] ? 1 : 0)) / n;
          gb[c] += d;
          for (let i = 0; i < inputDim; i++) {
            gw[i * numClasses + c] += batch.x[r * inputDim + i] * d;
          }
        }
      }
      return {
        grads: [gw, gb],
        loss: () => Promise.resolve(loss / n),
        dispose() {},
      };
    },
    parametersUpdated(values) {
      if (values) [w, b] = [values[0].slice(), values[1].slice()];
    },
    setParameters(values) {
      [w, b] = [values[0].slice(), values[1].slice()];
      return Promise.resolve();
    },
    evaluate(x, y, batchSize): Promise<EvalResult> {
      let score = 0;
      let wrong = 0;
      for (let s = 0; s < y.length; s += batchSize) {
        const n = Math.min(batchSize, y.length - s);
        const p = softmax(logits(x.subarray(s * inputDim, (s + n) * inputDim), n), n);
        for (let r = 0; r < n; r++) {
          score -= Math.log(Math.max(1e-12, p[r * numClasses + y[s + r]]));
          let best = 0;
          for (let c = 1; c < numClasses; c++) {
            if (p[r * numClasses + c] > p[r * numClasses + best]) best = c;
          }
          if (best !== y[s + r]) wrong++;
        }
      }
      return Promise.resolve({ score: score / y.length, error: wrong / y.length, count: y.length });
    },
    dispose() {},
  };
}

/** SGD with momentum 0.9 in float32, on host copies of the parameters. */
export function fakeUpdater(model: ParamModel, params: Float32Array[]): Updater {
  let mom = params.map((p) => new Float32Array(p.length));
  let count = 0;
  return {
    step(grads, lr) {
      const g = grads as Float32Array[];
      params.forEach((p, k) => {
        for (let i = 0; i < p.length; i++) {
          mom[k][i] = Math.fround(0.9 * mom[k][i] + g[k][i]);
          p[i] = Math.fround(p[i] - Math.fround(lr) * mom[k][i]);
        }
      });
      count++;
      model.parametersUpdated(params);
      return Promise.resolve();
    },
    startEpoch() {},
    reset() {
      mom = params.map((p) => new Float32Array(p.length));
      count = 0;
      return Promise.resolve();
    },
    parameters: () => Promise.resolve(params.map((p) => p.slice())),
    exportState(): Promise<UpdaterState> {
      const arrays: Record<string, Float32Array> = {};
      model.names.forEach((n, k) => arrays[`${n}/momentum_buffer`] = mom[k].slice());
      return Promise.resolve({ arrays, meta: { step: count } });
    },
    importState(state) {
      mom = model.names.map((n) => state.arrays[`${n}/momentum_buffer`].slice());
      count = (state.meta as { step: number }).step;
      return Promise.resolve();
    },
    dispose() {},
  };
}

/** A newbob_rel-like control (decay 0.5 when dev_score improves less than 1%), JSON file. */
export async function fakeControl(
  config: Readonly<Record<string, unknown>>,
  file: string,
): Promise<EpochControl> {
  type Rec = { lr: number; error: Record<string, number>; meta: Record<string, number | string> };
  let data: Record<number, Rec> = {};
  try {
    data = JSON.parse(await Deno.readTextFile(file));
  } catch { /* fresh */ }
  const base = (config.learning_rate as number | undefined) ?? 1;
  const lrFor = (e: number): number => {
    if (data[e]) return data[e].lr;
    let lr = base;
    const a = data[e - 2]?.error.dev_score;
    const b = data[e - 1]?.error.dev_score;
    if (data[e - 1]) lr = data[e - 1].lr;
    if (a !== undefined && b !== undefined && (b - a) / Math.abs(b) > -0.01) lr *= 0.5;
    data[e] = { lr, error: {}, meta: {} };
    return lr;
  };
  return {
    epochStartLearningRate: lrFor,
    setEpochMeta(e, meta) {
      lrFor(e);
      Object.assign(data[e].meta, meta);
    },
    setEpochError(e, scores) {
      lrFor(e);
      for (const [k, v] of Object.entries(scores)) {
        data[e].error[k] = typeof v === "number" ? v : Object.values(v)[0];
      }
    },
    explain: (e) => `fake control: lr ${data[e]?.lr}`,
    async save() {
      await Deno.writeTextFile(file, JSON.stringify(data, null, 1));
    },
  };
}

/** All fakes together, over the real digits data (optionally only the first `rows` rows). */
export function fakeDeps(): TrainDeps {
  return {
    defaultBackend: () => Promise.resolve("cpu"),
    loadData: (_spec, { seed }) => loadDigits({ seed }),
    createModel: (_spec, o) => Promise.resolve(fakeModel(o.inputDim, o.numClasses, o.seed)),
    createUpdater: async (_s, model) =>
      fakeUpdater(model, await model.parameters() as Float32Array[]),
    createControl: (config, { file }) => fakeControl(config, file),
    dynamicLearningRate: (setting) => {
      if (typeof setting === "function") return setting;
      return (ctx) => ctx.learningRate * setting.decay ** (ctx.globalTrainStep % setting.interval);
    },
    plot: (path, history) => Deno.writeTextFile(path, `<svg><!-- ${history.length} --></svg>`),
  };
}

/** A deterministic clock advancing `stepMs` per call, so recorded times are reproducible. */
export function testClock(stepMs = 125): () => number {
  let t = 0;
  return () => (t += stepMs);
}

/** Training options that print nothing. */
export const quiet: TrainOptions = { log: () => {}, progress: "none" };

/** A small real job: the digits MLP for 4 epochs, Adam, a warm-up seed, newbob_rel. */
export const smallDigitsJob: Config = {
  data: { name: "digits", dev_fraction: 0.2 },
  model: { type: "mlp", hidden: [32] },
  num_epochs: 4,
  batch_size: 64,
  seed: 7,
  optimizer: { class: "adam", epsilon: 1e-8 },
  learning_rate: 0.01,
  learning_rates: [0.005],
  learning_rate_control: "newbob_rel",
  newbob_relative_error_threshold: -0.8,
};

/** Replay the file's recorded scores through a fresh control: same rates, same file text. */
export async function assertFileIsControlReplay(config: Config, file: string): Promise<void> {
  const text = await Deno.readTextFile(file);
  const recorded = (await createLearningRateControl({ ...config }, { file })).epochs();
  const fresh = await createLearningRateControl({ ...config }, { file: null });
  for (const view of recorded) {
    equal(fresh.epochStartLearningRate(view.epoch), view.learningRate, `epoch ${view.epoch}`);
    Object.assign(fresh.epochMeta(view.epoch), view.meta);
    fresh.setEpochError(view.epoch, view.error as Record<string, number>);
  }
  equal(fresh.toText(), text);
}

/** The tensors of the MLP with one hidden layer and the heads `output` and `parity`. */
export const TWO_HEAD_TENSORS: readonly string[] = [
  "dense_0/kernel",
  "dense_0/bias",
  "head_output/kernel",
  "head_output/bias",
  "head_parity/kernel",
  "head_parity/bias",
];
