/**
 * A sequence config's model on TensorFlow.js as the loop's {@linkcode SequenceModel}: a
 * RETURNN `network` dict (built by `models/`, scores named as RETURNN's TF engine names them)
 * or `get_model` / `train_step` (scores named as its PyTorch engine names them). Each step's
 * marked losses are summed on the device for the epoch's scores (no read per step); on
 * `webgpu` the gradients stay in GPU buffers and newbob's optimizer updates the variables'
 * own buffers in place.
 *
 * @module
 */

import type { tfjs } from "../models/_tf.ts";
import type { BackendName, SeqBatch, SequenceModel, StepGradients } from "./model_types.ts";
import { loadTfjs, type Tf } from "./tfjs_backend.ts";
import { TfjsParameters } from "./tfjs_params.ts";
import type { SequenceSettings } from "./seq_config.ts";
import { deriveSeed } from "./rng.ts";
import {
  buildNetwork,
  externDataFromBatch,
  type HostBatchKey,
  modelParameters,
  type Network,
  RunCtx,
  ScoreAccumulator,
  type SeqTensor,
  stepGradients,
} from "../models/mod.ts";

/** Options of {@linkcode createTfjsSequenceModel}. */
export interface TfjsSequenceModelOptions {
  /** The backend. */
  backend: BackendName;
  /** Seed of the initialisation and of each step's dropout (`deriveSeed(seed, step)`). */
  seed: number;
  /** The first epoch this run trains and its `global_train_step` (for `get_model`). */
  start?: { epoch: number; step: number };
  /**
   * A stream of dropout masks of its own (data-parallel training: the rank, so that ranks draw
   * different masks, as RETURNN's ranks do); 0 is the one-process stream.
   * @default {0}
   */
  dropoutStream?: number;
}

/** How one step's losses are marked. */
type Mark = (ctx: RunCtx, data: Record<string, SeqTensor>, train: boolean, seed: number) => void;

/**
 * Build the model of a sequence config on a tfjs backend.
 *
 * - `network`: `buildNetwork` with the config's data keys; parameters `fw0/rec/W`, ...
 *   (non-trainable batch-norm statistics are the model's `state`, saved in checkpoints); each
 *   training step's dropout is seeded by the seed and the step's `global_train_step`, so a
 *   resumed run draws the same masks.
 * - `get_model` / `train_step`: `get_model({epoch, step, tf})` once (epoch and step of the
 *   run's start), its parameters by `modelParameters` (name the layers of a `tf.LayersModel`
 *   for stable names); `train_step({model, extern_data, run_ctx, tf, train})` marks the losses.
 *   Random draws inside your functions are yours to seed.
 *
 * @param spec The sequence settings.
 * @param options Backend, seed, start.
 * @returns The model.
 * @throws {RangeError} If the network dict has problems (reported before, by the config check).
 * @throws {TypeError} If `get_model` returns something without parameters.
 *
 * @example A network dict on the cpu backend: one step on one batch
 * ```ts
 * import assert from "node:assert/strict";
 * import { createTfjsSequenceModel } from "./tfjs_seq_model.ts";
 * import { resolveConfig } from "./config.ts";
 * import { createDataset } from "../datasets/mod.ts";
 *
 * const s = resolveConfig({
 *   train: { class: "Task12AXDataset", num_seqs: 4 },
 *   num_inputs: 9,
 *   num_outputs: 2,
 *   network: { output: { class: "softmax", loss: "ce" } },
 * });
 * const model = await createTfjsSequenceModel(s.sequence!, { backend: "cpu", seed: 1 });
 * const ds = await createDataset({ class: "Task12AXDataset", num_seqs: 4 });
 * await ds.initSeqOrder(1);
 * const [batch] = await Array.fromAsync(ds.batches({ batch_size: 1000 }));
 * const g = model.gradients(batch, { globalTrainStep: 0, epoch: 1 });
 * assert.ok((await g.loss()) > 0);
 * assert.deepEqual(Object.keys(await model.trainScores()), ["train_score", "train_error"]);
 * g.dispose();
 * model.dispose();
 * ```
 */
export async function createTfjsSequenceModel(
  spec: SequenceSettings,
  options: TfjsSequenceModelOptions,
): Promise<SequenceModel> {
  const loaded = await loadTfjs(options.backend);
  const { tf } = loaded;
  const ext = spec.externData;
  let names: readonly string[];
  let variables: readonly tfjs.Variable[];
  let mark: Mark;
  let usedDataKeys: readonly string[];
  let net: Network | null = null;
  let release: () => void;
  const style = spec.model.kind === "network" ? "tf" : "torch";
  if (spec.model.kind === "network") {
    net = buildNetwork(tf, spec.model.network, { externData: ext, seed: options.seed });
    const n = net;
    names = n.trainableNames;
    variables = n.trainableVariables;
    usedDataKeys = n.usedDataKeys;
    mark = (ctx, data, train, seed) => void n.step(ctx, data, { train, seed });
    release = () => n.dispose();
  } else {
    const fns = spec.model.functions;
    const start = options.start ?? { epoch: 1, step: 0 };
    const model = await fns.get_model({ epoch: start.epoch, step: start.step, tf });
    const p = modelParameters(model);
    names = p.names;
    variables = p.variables;
    usedDataKeys = Object.keys(ext);
    mark = (ctx, data, train) =>
      fns.train_step({ model, extern_data: data, run_ctx: ctx, tf, train });
    release = () => (model as { dispose?: () => void } | null)?.dispose?.();
  }
  const params = new TfjsParameters(tf, options.backend, loaded.device ?? null, names, variables);
  const stateParams = net?.params.filter((p) => !p.trainable) ?? [];
  const train = new ScoreAccumulator(tf, style);
  const stream = options.dropoutStream ?? 0;
  const seedOf = (step: number) =>
    stream
      ? deriveSeed(options.seed, 0x5eed, step, stream)
      : deriveSeed(options.seed, 0x5eed, step);
  const toTensors = (batch: SeqBatch): Record<string, SeqTensor> =>
    externDataFromBatch(
      tf,
      Object.fromEntries(usedDataKeys.map((k) => [k, batch.get(k) as HostBatchKey])),
      ext,
    );
  const freeData = (data: Record<string, SeqTensor>) =>
    tf.dispose(Object.values(data).map((d) => d.values));
  const numParams = variables.reduce((a, v) => a + v.size, 0);
  let disposed = false;

  return {
    style,
    usedDataKeys,
    externData: ext,
    names,
    shapes: variables.map((v) => v.shape.slice()),
    backend: options.backend,
    device: loaded.device ?? null,
    message: `${numParams} parameters (${
      style === "tf" ? "network dict" : "get_model"
    }); ${loaded.message}`,
    parameters: () => params.parameters(),
    parametersUpdated: (values) => params.parametersUpdated(values),
    setParameters: (values) => params.setParameters(values),
    ...(stateParams.length > 0
      ? {
        state: {
          names: stateParams.map((p) => p.name),
          read: () =>
            Promise.all(
              stateParams.map(async (p) => Float32Array.from(await p.variable.data())),
            ),
          write(values) {
            params.use();
            stateParams.forEach((p, i) =>
              tf.tidy(() => p.variable.assign(tf.tensor(values[i], p.variable.shape)))
            );
            return Promise.resolve();
          },
        },
      }
      : {}),
    gradients(batch, at): StepGradients {
      params.use();
      const data = toTensors(batch);
      let r: ReturnType<typeof stepGradients>;
      try {
        r = _explainMissingKernel(
          () =>
            stepGradients(
              tf,
              variables,
              (ctx) => mark(ctx, data, true, seedOf(at.globalTrainStep)),
              style,
            ),
          options.backend,
        );
      } finally {
        freeData(data);
      }
      net?.applyStateUpdates();
      train.add(r.ctx);
      const value = _normalizedObjective(tf, r.ctx);
      r.ctx.dispose();
      r.loss.dispose();
      return params.gradients(r.grads, value);
    },
    async trainScores() {
      const s = await train.scores("train");
      train.reset();
      return s;
    },
    async evaluate(name, batches) {
      const acc = new ScoreAccumulator(tf, style);
      try {
        for await (const batch of batches) {
          params.use();
          params.syncHost();
          const data = toTensors(batch);
          const ctx = new RunCtx(tf, { style });
          try {
            tf.tidy(() => mark(ctx, data, false, 0));
            acc.add(ctx);
          } finally {
            ctx.dispose();
            freeData(data);
          }
        }
        return await acc.scores(name);
      } finally {
        acc.reset();
      }
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      train.reset();
      params.dispose();
      release();
    },
  };
}

/** The step's losses (not errors), each summed over its normalisation, added (for display). */
function _normalizedObjective(tf: Tf, ctx: RunCtx): tfjs.Tensor {
  return tf.tidy(() => {
    const terms = [...ctx.losses.values()].filter((l) => !l.asError).map((l) =>
      tf.div(l.summed as tfjs.Scalar, l.invNorm)
    );
    return terms.length === 1 ? terms[0] : tf.addN(terms);
  });
}

/** Say which backend lacks a kernel a model needs (tfjs' own message names only the kernel). */
function _explainMissingKernel<T>(f: () => T, backend: BackendName): T {
  try {
    return f();
  } catch (e) {
    const m = /Kernel '(\w+)' not registered for backend '(\w+)'/.exec(
      String((e as Error)?.message),
    );
    if (!m) throw e;
    throw new Error(
      `Cannot train this model on backend ${backend}: TensorFlow.js ${backend} has no '${m[1]}' ` +
        "kernel (a gradient this backend lacks). Use another backend (--backend cpu or webgpu), " +
        "or build the layer from ops every backend has (for convolutions: conv1d from " +
        "newbob's models, as examples/demo-torch.config.ts does)",
      { cause: e },
    );
  }
}
