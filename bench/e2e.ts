/**
 * End to end: the embedded demo (`examples/digits.config.ts`) trained by newbob's trainer versus
 * the same model (same initial weights), data, batches (the trainer's seeded order), epochs and
 * per-epoch learning rates trained by TensorFlow.js's own `model.fit` (one call per epoch, no
 * shuffling) with `tf.train.adam`, on the same tfjs backend. Epoch time is the training pass
 * only (no evaluation), median over epochs after the first.
 *
 * @module
 */

import type * as tfjs from "@tensorflow/tfjs";
import demo from "../examples/digits.config.ts";
import { train } from "../trainer/train.ts";
import { createEngineUpdater } from "../trainer/wiring.ts";
import { createTfjsModel } from "../trainer/tfjs_model.ts";
import { loadDigits } from "../trainer/digits.ts";
import { summarize } from "./_stats.ts";
import { type EndToEndResult, REFERENCE_ENGINE_IMPL } from "./results.ts";

/** Backends of the end-to-end comparison. */
export type E2eBackend = "cpu" | "wasm" | "webgpu";

/** Options of {@linkcode endToEnd}. */
export interface EndToEndOptions {
  /** tfjs backend for both runs. */
  readonly backend: E2eBackend;
  /** Epochs (the demo's `num_epochs` when unset). */
  readonly epochs?: number;
  /** Scratch folder for the trainer's output (removed afterwards). */
  readonly scratch: string;
}

/** Turns of each engine on the host backends (after one warm-up run). */
const ROUNDS = 6;

/**
 * Train the demo with newbob and with `model.fit` on one backend.
 *
 * @returns `newbob train`, on cpu/wasm also `newbob train` with the optimizer on the TypeScript
 *   reference engine, and `tfjs model.fit`.
 */
export async function endToEnd(o: EndToEndOptions): Promise<EndToEndResult[]> {
  const epochs = o.epochs ?? demo.num_epochs;
  const outputDir = `${o.scratch}/e2e-${o.backend}-${Date.now()}`;
  let lrs: number[] = [];
  // On the host backends also with the optimizer on the TypeScript reference engine: the
  // trainer as it was before the wasm engine (issue 13: the demo's epoch no slower than that).
  // The optimizer is a small part of this demo's epoch, so a warm-up run comes first (tfjs's
  // kernels get faster over the first runs) and the two engines then take turns, `ROUNDS` times
  // each (an epoch of this demo is 30-90 ms, so its spread needs that many epochs).
  const engines = o.backend === "webgpu" ? [null] : [null, "cpu" as const];
  const seconds = new Map<string | null, number[]>(engines.map((e) => [e, []]));
  // The updater's step (the optimizer step, the parameters read back, checked and handed to
  // tfjs), timed inside the same runs: the part of the epoch the engine changes.
  const stepMicros = new Map<string | null, number[]>(engines.map((e) => [e, []]));
  const last = new Map<string | null, { devError: number; epochs: number }>();
  const order = engines.length > 1
    ? [null, ...Array.from({ length: ROUNDS }, () => engines).flat()]
    : engines;
  for (const [i, hostEngine] of order.entries()) {
    try {
      const res = await train({ ...demo, num_epochs: epochs, backend: o.backend }, {
        outputDir,
        resume: false,
        progress: "none",
        log: () => {},
        deps: {
          createUpdater: async (s, m) => {
            const u = await createEngineUpdater(s, m, hostEngine ? { hostEngine } : {});
            const times = stepMicros.get(hostEngine)!;
            const warm = i === 0 && order.length > 1;
            return {
              ...u,
              async step(grads, learningRate, globalTrainStep) {
                const t0 = performance.now();
                await u.step(grads, learningRate, globalTrainStep);
                if (!warm) times.push((performance.now() - t0) * 1000);
              },
            };
          },
        },
      });
      const h = res.history;
      if (!hostEngine) lrs = h.map((r) => r.learningRate);
      if (order.length > 1 && i === 0) continue; // the warm-up
      seconds.get(hostEngine)!.push(...h.slice(h.length > 1 ? 1 : 0).map((r) => r.seconds));
      last.set(hostEngine, { devError: h[h.length - 1].devError, epochs: h.length });
    } finally {
      await Deno.remove(outputDir, { recursive: true }).catch(() => {});
    }
  }
  const runs: EndToEndResult[] = engines.map((e) => ({
    impl: e ? REFERENCE_ENGINE_IMPL : "newbob train",
    backend: o.backend,
    epochSeconds: summarize(seconds.get(e)!),
    updaterStepMicros: summarize(stepMicros.get(e)!),
    devAccuracy: 1 - last.get(e)!.devError,
    epochs: last.get(e)!.epochs,
  }));
  return [...runs, await fitTfjs(o.backend, epochs, lrs)];
}

async function fitTfjs(
  backend: E2eBackend,
  epochs: number,
  lrs: number[],
): Promise<EndToEndResult> {
  const data = await loadDigits({ devFraction: demo.data.dev_fraction, seed: demo.seed });
  // Same initial weights as the trainer's MLP (Glorot-uniform from the config's seed).
  const ref = await createTfjsModel({
    kind: "mlp",
    inputDim: data.inputDim,
    hidden: [...demo.model.hidden],
    numClasses: data.numClasses,
    activation: demo.model.activation as "relu" | "tanh",
  }, { backend, seed: demo.seed });
  const init = await ref.read();
  const tf = ref.tf;
  ref.dispose();
  const model = tf.sequential({
    layers: [
      tf.layers.dense({
        units: demo.model.hidden[0],
        activation: demo.model.activation as "relu" | "tanh",
        inputShape: [data.inputDim],
      }),
      tf.layers.dense({ units: data.numClasses }),
    ],
  });
  model.setWeights([
    tf.tensor2d(init[0], [data.inputDim, demo.model.hidden[0]]),
    tf.tensor1d(init[1]),
    tf.tensor2d(init[2], [demo.model.hidden[0], data.numClasses]),
    tf.tensor1d(init[3]),
  ]);
  const adam = tf.train.adam(lrs[0] ?? demo.learning_rate, 0.9, 0.999, demo.optimizer.epsilon);
  model.compile({
    optimizer: adam,
    loss: (yTrue: tfjs.Tensor, yPred: tfjs.Tensor) => tf.losses.softmaxCrossEntropy(yTrue, yPred),
  });
  // The trainer's own batch order (seeded), so both runs see the same batches in every epoch:
  // one `model.fit` call per epoch without shuffling over the rows in that order.
  const seconds: number[] = [];
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const xs: Float32Array[] = [];
    const ys: Int32Array[] = [];
    for (const b of data.train.batches(epoch, demo.batch_size, demo.seed)) {
      xs.push(b.x.subarray(0, b.size * data.inputDim));
      ys.push(b.y.subarray(0, b.size));
    }
    const rows = ys.reduce((a, y) => a + y.length, 0);
    const xFlat = new Float32Array(rows * data.inputDim);
    const yFlat = new Int32Array(rows);
    let at = 0;
    xs.forEach((x, i) => {
      xFlat.set(x, at * data.inputDim);
      yFlat.set(ys[i], at);
      at += ys[i].length;
    });
    const x = tf.tensor2d(xFlat, [rows, data.inputDim]);
    const labels = tf.tensor1d(yFlat, "int32");
    const y = tf.oneHot(labels, data.numClasses);
    // The learning rate newbob's control chose for this epoch.
    (adam as unknown as { learningRate: number }).learningRate = lrs[epoch - 1] ??
      lrs[lrs.length - 1] ?? demo.learning_rate;
    const t0 = performance.now();
    await model.fit(x, y, { epochs: 1, batchSize: demo.batch_size, shuffle: false, verbose: 0 });
    seconds.push((performance.now() - t0) / 1000);
    tf.dispose([x, labels, y]);
  }
  const xd = tf.tensor2d(data.dev.x, [data.dev.size, data.inputDim]);
  const pred = model.predict(xd) as tfjs.Tensor;
  const labels = await pred.argMax(-1).data();
  let ok = 0;
  labels.forEach((l, i) => ok += l === data.dev.y[i] ? 1 : 0);
  tf.dispose([xd, pred]);
  model.dispose();
  return {
    impl: "tfjs model.fit",
    backend,
    epochSeconds: summarize(seconds.slice(seconds.length > 1 ? 1 : 0)),
    devAccuracy: ok / data.dev.size,
    epochs: seconds.length,
  };
}
