/**
 * Times TensorFlow.js 4.22 `tf.train.*` optimizers (`applyGradients` on variables with fixed
 * gradient tensors) on its cpu, wasm and webgpu backends. On webgpu the backend runs on newbob's
 * device (`trainer/tfjs_backend.ts`) and each repetition ends by reading one element of the last
 * variable, which waits for the queued work.
 *
 * @module
 */

import type * as tfjs from "@tensorflow/tfjs";
import { loadTfjs } from "../trainer/tfjs_backend.ts";
import { stepsFor } from "./_stats.ts";
import { type Prepared, timeInterleaved } from "./interleave.ts";
import { LEARNING_RATE, type OptimizerCase } from "./cases.ts";
import type { ShapeData } from "./newbob_runner.ts";
import type { RateResult } from "./results.ts";

/** TensorFlow.js backends benchmarked. */
export type TfjsBackend = "cpu" | "wasm" | "webgpu";

type Tf = Awaited<ReturnType<typeof loadTfjs>>["tf"];

function makeOptimizer(tf: Tf, kind: string): tfjs.Optimizer {
  switch (kind) {
    case "adam":
      return tf.train.adam(LEARNING_RATE, 0.9, 0.999, 1e-8);
    case "momentum":
      return tf.train.momentum(LEARNING_RATE, 0.9);
    case "adagrad":
      return tf.train.adagrad(LEARNING_RATE);
    case "rmsprop":
      return tf.train.rmsprop(LEARNING_RATE, 0.99, 0, 1e-8);
    default:
      throw new RangeError(`Cannot make a tfjs optimizer '${kind}': unknown kind`);
  }
}

/** Options of {@linkcode timeTfjs}. */
export interface TfjsTimingOptions {
  /** Backend. */
  readonly backend: TfjsBackend;
  /** Timed repetitions. */
  readonly reps: number;
  /** Parameter updates per repetition. */
  readonly budget: number;
}

/**
 * Prepare one `tf.train` optimizer on one shape: backend active, variables and gradients made.
 * Interleave it only with non-tfjs implementations or with the same tfjs backend.
 *
 * @param c The optimizer case.
 * @param data Parameters and gradients.
 * @param o Backend, repetitions and budget.
 * @returns A {@linkcode Prepared}, or a result with a note when tfjs has no equivalent.
 */
export async function prepareTfjs(
  c: OptimizerCase,
  data: ShapeData,
  o: TfjsTimingOptions,
): Promise<Prepared | RateResult> {
  const impl = `tfjs ${o.backend}`;
  const base = { optimizer: c.id, shape: data.shape.name, impl };
  if ("missing" in c.tfjs) return { ...base, rate: null, note: c.tfjs.missing };
  const { tf } = await loadTfjs(o.backend);
  const vars = data.params.map((p, t) => tf.variable(tf.tensor1d(p), true, `b${t}`));
  const grads: Record<string, tfjs.Tensor> = {};
  data.grads.forEach((g, t) => grads[`b${t}`] = tf.tensor1d(g));
  const opt = makeOptimizer(tf, c.tfjs.make);
  const total = data.shape.total;
  const k = stepsFor(total, o.budget);
  const last = vars[vars.length - 1];
  return {
    ...base,
    work: total * k,
    steps: k,
    reps: o.reps,
    async once() {
      // Keep this backend active (another tfjs backend may have been used meanwhile).
      if (tf.getBackend() !== o.backend) await loadTfjs(o.backend);
      for (let i = 0; i < k; i++) opt.applyGradients(grads);
      const probe = tf.tidy(() => last.slice(0, 1));
      await probe.data();
      probe.dispose();
    },
    dispose() {
      opt.dispose();
      vars.forEach((v) => v.dispose());
      Object.values(grads).forEach((g) => g.dispose());
    },
  };
}

/**
 * Time one `tf.train` optimizer on one shape on its own.
 *
 * @returns Parameters per second, or a note when tfjs has no equivalent.
 */
export async function timeTfjs(
  c: OptimizerCase,
  data: ShapeData,
  o: TfjsTimingOptions,
): Promise<RateResult> {
  const p = await prepareTfjs(c, data, o);
  if (!("once" in p)) return p;
  const [r] = await timeInterleaved([p]);
  return r;
}
