/**
 * Test helper: a plain training loop for networks built from dicts (tfjs optimizer steps and
 * evaluation with RETURNN's score normalisation), shared by the learning tests and the LSTM
 * timing script.
 *
 * @module
 */

import type { Tf, tfjs } from "../models/_tf.ts";
import {
  type Network,
  ScoreAccumulator,
  type ScoreDict,
  type SeqTensor,
  stepGradients,
} from "../models/mod.ts";

/** One training step: gradients of the network's objective, applied by `optimizer`; frees the batch. */
export async function trainStep(
  tf: Tf,
  net: Network,
  optimizer: tfjs.Optimizer,
  data: Record<string, SeqTensor>,
): Promise<number> {
  const r = stepGradients(
    tf,
    net.trainableVariables,
    (ctx) => net.step(ctx, data, { train: true }),
    "tf",
  );
  optimizer.applyGradients(
    net.trainableVariables.map((v, i) => ({ name: v.name, tensor: r.grads[i] })),
  );
  net.applyStateUpdates();
  const loss = (await r.loss.data())[0];
  r.ctx.dispose();
  tf.dispose([r.loss, ...r.grads, ...Object.values(data).map((d) => d.values)]);
  return loss;
}

/** Scores of the network on batches (not training), as RETURNN's TF engine names them. */
export async function evaluateNetwork(
  tf: Tf,
  net: Network,
  batches: readonly Record<string, SeqTensor>[],
  dataset = "dev",
): Promise<ScoreDict> {
  const acc = new ScoreAccumulator(tf, "tf");
  for (const d of batches) {
    const r = stepGradients(
      tf,
      net.trainableVariables,
      (ctx) => net.step(ctx, d, { train: false }),
      "tf",
    );
    acc.add(r.ctx);
    r.ctx.dispose();
    tf.dispose([r.loss, ...r.grads]);
  }
  const s = await acc.scores(dataset);
  acc.reset();
  return s;
}
