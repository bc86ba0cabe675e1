/**
 * `deno task bench:seq-profile [backend]`: where a training step of the sequence examples
 * spends its time, to decide what to fuse next. For the 12AX LSTM demo (batches of 10
 * sequences of 10-100 frames) and the CTC G2P example (batches of 50 CMUdict words, a BLSTM
 * of 2 x 128 and CTC), on one tfjs backend (default `wasm`): median milliseconds of
 *
 * - a whole step (forward, losses, backward; the optimizer excluded),
 * - the network's forward with its losses only,
 * - the loss alone, forward and backward, on logits of the batch's shape (framewise CE with
 *   its masks and frame error, or CTC),
 * - each LSTM layer alone (input projection and recursion, forward and backward),
 *
 * and the kernel count of one step (tfjs dispatches each kernel from JavaScript: on small
 * models the count, not the arithmetic, sets the time).
 *
 * @module
 */

import type { Tf, tfjs } from "../models/_tf.ts";
import {
  buildNetwork,
  ctcLoss,
  externDataFromBatch,
  type HostBatchKey,
  lstmSequence,
  resolveExternData,
  RunCtx,
  stepGradients,
} from "../models/mod.ts";
import { loadTfjs } from "../trainer/tfjs_backend.ts";
import { timeCalls } from "./_lstm_ops.ts";
import type { BackendName } from "../trainer/model_types.ts";
import { twelveAxBatch } from "../tests/_twelve_ax.ts";
import { Rng } from "../trainer/rng.ts";
import lstmDemo from "../examples/demo-tf-native-lstm.12ax.config.ts";
import ctcG2p from "../examples/ctc_g2p.config.ts";
import { seqBatch } from "../tests/_seq_batch.ts";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function timeIt(f: () => Promise<void>, reps: number): Promise<number> {
  return median(await timeCalls(f, reps)) * 1000;
}

interface Example {
  name: string;
  network: Record<string, unknown>;
  ext: Record<string, { dim: number; sparse: boolean }>;
  batch: Record<string, HostBatchKey>;
  loss: "ce" | "ctc";
  lstms: { nIn: number; n: number; reverse: boolean }[];
}

async function profile(tf: Tf, ex: Example, reps: number): Promise<string> {
  const net = buildNetwork(tf, ex.network, { externData: ex.ext, seed: 1 });
  const d = externDataFromBatch(tf, ex.batch, ex.ext);
  const [B, T] = d.data.values.shape as [number, number];
  const lens = d.data.seqLens;
  const step = async () => {
    const r = stepGradients(
      tf,
      net.trainableVariables,
      (c) => net.step(c, d, { train: true }),
      "tf",
    );
    await Promise.all(r.grads.map((g) => g.data()));
    r.ctx.dispose();
    tf.dispose([r.loss, ...r.grads]);
  };
  const forward = async () => {
    const ctx = new RunCtx(tf, { style: "tf" });
    const l = tf.tidy(() => {
      net.step(ctx, d, { train: true });
      return ctx.totalLoss();
    });
    await l.data();
    ctx.dispose();
    l.dispose();
  };
  // Framewise CE: the classes; CTC: the labels and the blank (last).
  const C = ex.ext.classes.dim + (ex.loss === "ctc" ? 1 : 0);
  const logits = tf.variable(tf.randomNormal([B, T, C]));
  const lossOnly = async () => {
    const { value, grads } = tf.variableGrads(() => {
      if (ex.loss === "ctc") {
        const t = d.classes.values as tfjs.Tensor2D;
        return tf.sum(
          ctcLoss(tf, logits, t, lens, d.classes.seqLens, { blank: C - 1 }),
        ) as tfjs.Scalar;
      }
      const ctx = new RunCtx(tf, { style: "tf" });
      const mask = tf.tensor2d(
        Float32Array.from({ length: B * T }, (_, i) => (i % T < lens[Math.floor(i / T)] ? 1 : 0)),
        [B, T],
      );
      const ce = tf.losses.softmaxCrossEntropy(
        tf.oneHot(d.classes.values as tfjs.Tensor2D, C),
        logits,
        mask,
        tf.Reduction.SUM,
      );
      ctx.dispose();
      return ce as tfjs.Scalar;
    }, [logits]);
    await Object.values(grads)[0].data();
    tf.dispose([value, ...Object.values(grads)]);
  };
  const lines = [`## ${ex.name} (B ${B}, T ${T}) on ${tf.getBackend()}`];
  const tStep = await timeIt(step, reps);
  const tFwd = await timeIt(forward, reps);
  const tLoss = await timeIt(lossOnly, reps);
  const info = await tf.profile(step);
  lines.push(
    `step (forward + backward) ${tStep.toFixed(2)} ms, ${info.kernels.length} kernels; ` +
      `forward + losses ${tFwd.toFixed(2)} ms; ${ex.loss} loss alone (fwd + bwd) ` +
      `${tLoss.toFixed(2)} ms (${((100 * tLoss) / tStep).toFixed(0)}%)`,
  );
  for (const l of ex.lstms) {
    const x = tf.variable(tf.randomNormal([B, T, l.nIn]));
    const w = tf.variable(tf.randomNormal([l.nIn, 4 * l.n], 0, 0.3));
    const wRe = tf.variable(tf.randomNormal([l.n, 4 * l.n], 0, 0.3));
    const lstm = async () => {
      const { value, grads } = tf.variableGrads(() => {
        const z = tf.reshape(tf.matMul(tf.reshape(x, [B * T, l.nIn]), w), [B, T, 4 * l.n]);
        return tf.sum(
          lstmSequence(tf, { x: z as tfjs.Tensor3D, wRe: wRe as tfjs.Tensor2D, seqLens: lens }),
        ) as tfjs.Scalar;
      }, [x, w, wRe]);
      await Object.values(grads)[0].data();
      tf.dispose([value, ...Object.values(grads)]);
    };
    const t = await timeIt(lstm, reps);
    lines.push(
      `LSTM ${l.nIn}->${l.n}${l.reverse ? " (backward)" : ""} alone ${t.toFixed(2)} ms ` +
        `(${((100 * t) / tStep).toFixed(0)}%)`,
    );
    tf.dispose([x, w, wRe]);
  }
  const byKernel = new Map<string, number>();
  for (const k of info.kernels) byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + 1);
  lines.push(
    "kernels by name: " +
      [...byKernel].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, c]) => `${k} ${c}`).join(
        ", ",
      ),
  );
  tf.dispose([logits, ...Object.values(d).map((t) => t.values)]);
  net.dispose();
  return lines.join("\n");
}

if (import.meta.main) {
  const backend = (Deno.args[0] ?? "wasm") as BackendName;
  const { tf, message } = await loadTfjs(backend);
  console.log(`# ${message}`);
  const twelve: Example = {
    name: "12AX LSTM demo",
    network: lstmDemo.network,
    ext: { data: { dim: 9, sparse: false }, classes: { dim: 2, sparse: true } },
    batch: twelveAxBatch(new Rng(1), 10, 10, 100),
    loss: "ce",
    lstms: [{ nIn: 9, n: 10, reverse: false }],
  };
  const problems: string[] = [];
  const ctc: Example = {
    name: "CTC G2P example",
    network: ctcG2p.network,
    ext: resolveExternData(ctcG2p, problems) as Example["ext"],
    batch: seqBatch(ctcG2p.train.data.slice(0, ctcG2p.max_seqs)),
    loss: "ctc",
    lstms: [{ nIn: 26, n: 128, reverse: false }, { nIn: 26, n: 128, reverse: true }],
  };
  for (const ex of [twelve, ctc]) console.log(await profile(tf, ex, 15));
}
