/**
 * A small training driver for RETURNN's 12AX LSTM demo (`examples/demo-tf-native-lstm.12ax`):
 * the demo's network dict, 1000 generated training sequences of 10-100 frames in batches of 10
 * (`max_seqs`), 100 dev sequences, newbob's Adam (cpu engine, lr 0.01, eps 1e-8) fed the
 * gradients of each step, RETURNN's summed frame-wise cross-entropy. Seconds per training
 * epoch and dev frame error rate after each. The batches and the initial weights are returned
 * so a PyTorch loop can train the same model on the same batches.
 *
 * @module
 */

import type { Tf } from "../models/_tf.ts";
import {
  buildNetwork,
  externDataFromBatch,
  type HostBatchKey,
  stepGradients,
} from "../models/mod.ts";
import { createOptimizer } from "../optimizers/mod.ts";
import { evaluateNetwork } from "../tests/_seq_train.ts";
import { twelveAxBatch } from "../tests/_twelve_ax.ts";
import { Rng } from "../trainer/rng.ts";
import lstmDemo from "../examples/demo-tf-native-lstm.12ax.config.ts";

const EXT = { data: { dim: 9, sparse: false }, classes: { dim: 2, sparse: true } };

/** One epoch's result. */
export interface EpochFigure {
  /** Wall seconds of the training pass (100 steps). */
  readonly seconds: number;
  /** Dev frame error rate after the epoch. */
  readonly devFer: number;
}

/** A batch as class ids, for the PyTorch peer. */
export interface IdBatch {
  readonly B: number;
  readonly T: number;
  readonly x: number[];
  readonly y: number[];
  readonly lens: number[];
}

/** The generated data: host batches for newbob and the same as class ids for PyTorch. */
export interface TwelveAxData {
  readonly train: Record<string, HostBatchKey>[];
  readonly dev: Record<string, HostBatchKey>[];
  readonly trainIds: IdBatch[];
  readonly devIds: IdBatch[];
}

function _ids(b: Record<string, HostBatchKey>): IdBatch {
  const [B, T] = b.classes.shape;
  const x: number[] = [], oneHot = b.data.data as Float32Array;
  for (let i = 0; i < B * T; i++) {
    let c = 0;
    for (let k = 0; k < 9; k++) if (oneHot[i * 9 + k] === 1) c = k;
    x.push(c);
  }
  return { B, T, x, y: Array.from(b.classes.data as Int32Array), lens: Array.from(b.data.seqLens) };
}

/**
 * Generate the demo's data (RETURNN's `Task12AXDataset` lengths and rules).
 *
 * @param seed Seed of the generator.
 * @returns 100 training batches of 10 sequences and 10 dev batches.
 */
export function twelveAxData(seed = 1): TwelveAxData {
  const rng = new Rng(seed), devRng = new Rng(seed + 1000);
  const train = Array.from({ length: 100 }, () => twelveAxBatch(rng, 10, 10, 100));
  const dev = Array.from({ length: 10 }, () => twelveAxBatch(devRng, 10, 10, 100));
  return { train, dev, trainIds: train.map(_ids), devIds: dev.map(_ids) };
}

/**
 * Train the demo network for `epochs` epochs on the active backend.
 *
 * @param tf The namespace (backend already chosen).
 * @param data From {@linkcode twelveAxData}.
 * @param epochs Epochs.
 * @param seed Initialisation seed.
 * @returns Per-epoch figures and the initial weights (RETURNN layout, flat).
 */
export async function trainTwelveAx(
  tf: Tf,
  data: TwelveAxData,
  epochs: number,
  seed = 1,
): Promise<{ epochs: EpochFigure[]; init: Record<string, number[]> }> {
  const net = buildNetwork(tf, lstmDemo.network, { externData: EXT, seed });
  const vars = net.trainableVariables;
  const values = await Promise.all(vars.map(async (v) => new Float32Array(await v.data())));
  const init = Object.fromEntries(net.trainableNames.map((k, i) => [k, Array.from(values[i])]));
  const opt = await createOptimizer({ class: "adam", eps: 1e-8 }, { backend: "cpu" });
  const state = await opt.init(values, { names: net.trainableNames });
  const dev = data.dev.map((b) => externDataFromBatch(tf, b, EXT));
  const out: EpochFigure[] = [];
  for (let e = 0; e < epochs; e++) {
    const t0 = performance.now();
    for (const b of data.train) {
      const d = externDataFromBatch(tf, b, EXT);
      const r = stepGradients(tf, vars, (ctx) => net.step(ctx, d, { train: true }), "tf");
      const grads = await Promise.all(r.grads.map(async (g) => await g.data() as Float32Array));
      r.ctx.dispose();
      tf.dispose([r.loss, ...r.grads, ...Object.values(d).map((t) => t.values)]);
      await opt.step(state, grads, { learningRate: 0.01 });
      const params = await opt.read(state);
      vars.forEach((v, i) => {
        const t = tf.tensor(params[i], v.shape);
        v.assign(t);
        t.dispose();
      });
    }
    const seconds = (performance.now() - t0) / 1000;
    const scores = await evaluateNetwork(tf, net, dev);
    out.push({ seconds, devFer: (scores.dev_error as Record<string, number>)["error:output"] });
  }
  tf.dispose(dev.flatMap((d) => Object.values(d).map((t) => t.values)));
  net.dispose();
  return {
    epochs: out,
    init: {
      W: init["fw0/rec/W"],
      W_re: init["fw0/rec/W_re"],
      b: init["fw0/rec/b"],
      out_W: init["output/W"],
      out_b: init["output/b"],
    },
  };
}
