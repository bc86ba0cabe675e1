/**
 * Seconds per epoch of the digits MLP (64-128-10, ReLU, Adam) on TensorFlow.js backends, with
 * tfjs' own `model.fit` + `tf.train.adam`, with `model.fit` + {@linkcode newbobForFit}, and with
 * newbob's loop pieces (`createTfjsModel(...).gradients()` + `createOptimizer`). A measuring
 * script, not a test:
 *
 * ```sh
 * deno run --allow-read=. --allow-env=XDG_RUNTIME_DIR,DENO_WEBGPU_BACKEND bench/tfjs_timing.ts \
 *   [backends=cpu,wasm,webgpu] [epochs=4] [batch=32]
 * ```
 *
 * @module
 */

import type * as tfjs from "@tensorflow/tfjs";
import type { BackendName } from "../trainer/model_types.ts";
import { loadTfjs } from "../trainer/tfjs_backend.ts";
import { createTfjsModel } from "../trainer/tfjs_model.ts";
import { newbobForFit } from "../trainer/tfjs_fit.ts";
import { loadDigits } from "../trainer/digits.ts";
import { createOptimizer } from "../optimizers/mod.ts";

/** One measured configuration. */
export interface EpochTiming {
  /** Backend. */
  backend: BackendName;
  /** What trained: `fit+tf.adam`, `fit+newbob`, `gradients+newbob`. */
  mode: string;
  /** Seconds of each epoch (the first includes shader compilation / warm-up). */
  seconds: number[];
  /** Final loss (training loss of the last epoch, or dev score for `gradients+newbob`). */
  loss: number;
}

/**
 * Measure seconds per epoch of the digits MLP on one backend, in the three modes.
 *
 * @param backend The tfjs backend.
 * @param epochs Epochs per mode. @default 4
 * @param batchSize Mini-batch size. @default 32
 * @returns One timing per mode.
 */
export async function timeDigitsEpochs(
  backend: BackendName,
  epochs = 4,
  batchSize = 32,
): Promise<EpochTiming[]> {
  const digits = await loadDigits();
  const { tf } = await loadTfjs(backend);
  const out: EpochTiming[] = [];
  const lr = 1e-3;
  for (const mode of ["fit+tf.adam", "fit+newbob"]) {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [64], units: 128, activation: "relu" }),
        tf.layers.dense({ units: 10 }),
      ],
    });
    const loss = (y: tfjs.Tensor, p: tfjs.Tensor) => tf.losses.softmaxCrossEntropy(y, p);
    let callbacks: tfjs.CustomCallbackArgs | undefined;
    let dispose = () => {};
    if (mode === "fit+tf.adam") {
      model.compile({ optimizer: tf.train.adam(lr), loss });
    } else {
      const fit = await newbobForFit(model, {
        optimizer: { class: "adam", eps: 1e-8 },
        learningRate: lr,
      });
      callbacks = fit.callbacks;
      dispose = fit.dispose;
      model.compile({ optimizer: fit.optimizer, loss });
    }
    const x = tf.tensor2d(digits.train.x, [digits.train.size, 64]);
    const y = tf.tidy(() => tf.oneHot(tf.tensor1d(digits.train.y, "int32"), 10));
    const seconds: number[] = [];
    let last = NaN;
    for (let e = 0; e < epochs; e++) {
      const t0 = performance.now();
      const h = await model.fit(x, y, { batchSize, epochs: 1, verbose: 0, callbacks });
      seconds.push((performance.now() - t0) / 1000);
      last = h.history.loss[0] as number;
    }
    out.push({ backend, mode, seconds, loss: last });
    dispose();
    tf.dispose([x, y]);
    model.dispose();
  }
  const model = await createTfjsModel(
    { kind: "mlp", inputDim: 64, hidden: [128], numClasses: 10 },
    { backend, seed: 1 },
  );
  const onGpu = backend === "webgpu";
  const opt = await createOptimizer(
    { class: "adam", eps: 1e-8 },
    { backend: onGpu ? "webgpu" : "cpu", ...(model.device ? { device: model.device } : {}) },
  );
  const state = await opt.init(await model.parameters(), { names: model.names });
  const seconds: number[] = [];
  for (let e = 1; e <= epochs; e++) {
    const t0 = performance.now();
    for (const batch of digits.train.batches(e, batchSize, 1)) {
      const g = model.gradients(batch);
      await opt.step(state, g.grads, { learningRate: lr, epoch: e });
      g.dispose();
      if (onGpu) model.parametersUpdated();
      else model.parametersUpdated(await opt.read(state));
    }
    if (model.device) await model.device.queue.onSubmittedWorkDone();
    seconds.push((performance.now() - t0) / 1000);
  }
  const dev = await model.evaluate(digits.dev.x, digits.dev.y, 512);
  out.push({ backend, mode: "gradients+newbob", seconds, loss: dev.score });
  opt.dispose(state);
  model.dispose();
  return out;
}

if (import.meta.main) {
  const backends = (Deno.args[0] ?? "cpu,wasm,webgpu").split(",") as BackendName[];
  const epochs = Number(Deno.args[1] ?? 4);
  const batch = Number(Deno.args[2] ?? 32);
  for (const b of backends) {
    for (const t of await timeDigitsEpochs(b, epochs, batch)) {
      const s = t.seconds.map((v) => v.toFixed(3)).join(" ");
      console.log(
        `${t.backend.padEnd(6)} ${t.mode.padEnd(16)} s/epoch ${s}  loss ${t.loss.toFixed(4)}`,
      );
    }
  }
}
