/**
 * Epoch scores as RETURNN normalises and names them: per key the sum of the batches' summed
 * losses divided by the sum of their inverse normalisation factors (frames for frame-wise
 * losses, sequences for per-sequence ones, or `customInvNormFactor`), named like the TF engine
 * (`train_score`, `dev_error`, with `cost:<layer>` / `error:<layer>` inside) or the PyTorch
 * engine (`train_loss_ce`, `dev_loss_fer`).
 *
 * @module
 */

import type { Tf, tfjs } from "./_tf.ts";
import type { LossStyle, RunCtx } from "./run_ctx.ts";

/** Scores in the shape `LearningRateControl.setEpochError` takes. */
export type ScoreDict = Record<string, number | Record<string, number>>;

interface Acc {
  loss: tfjs.Scalar | null;
  host: number;
  invNorm: number;
  invNormDevice: tfjs.Scalar | null;
  asError: boolean;
}

/**
 * Accumulates the marked losses of an epoch, batch by batch, on the device (no read per step).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { RunCtx } from "./run_ctx.ts";
 * import { ScoreAccumulator } from "./scores.ts";
 *
 * const acc = new ScoreAccumulator(tf, "tf");
 * for (const [sum, frames] of [[3, 2], [1, 2]]) {
 *   const ctx = new RunCtx(tf, { style: "tf" });
 *   ctx.markAsLoss("output", tf.scalar(sum), { customInvNormFactor: frames });
 *   acc.add(ctx);
 *   ctx.dispose();
 * }
 * assert.deepEqual(await acc.scores("dev"), { dev_score: { "cost:output": 1 } });
 * ```
 */
export class ScoreAccumulator {
  readonly #tf: Tf;
  readonly #acc = new Map<string, Acc>();
  readonly #pending: Promise<void>[] = [];
  /** The naming style. */
  readonly style: LossStyle;

  /**
   * An empty accumulator.
   *
   * @param tf The TensorFlow.js namespace.
   * @param style `"tf"` for network-dict configs, `"torch"` for `train_step` configs.
   */
  constructor(tf: Tf, style: LossStyle) {
    this.#tf = tf;
    this.style = style;
  }

  /**
   * Add one step's marked losses (call before `ctx.dispose()`; the context may be disposed
   * right after).
   *
   * @param ctx The step's context.
   * @throws {Error} If the context's style differs.
   */
  add(ctx: RunCtx): void {
    if (ctx.style !== this.style) {
      throw new Error(
        `Cannot add a '${ctx.style}' style step to a '${this.style}' style accumulator`,
      );
    }
    const tf = this.#tf;
    for (const [key, l] of ctx.losses) {
      let a = this.#acc.get(key);
      if (!a) {
        a = { loss: null, host: 0, invNorm: 0, invNormDevice: null, asError: l.asError };
        this.#acc.set(key, a);
      }
      const entry = a;
      if (l.summed instanceof Promise) {
        this.#pending.push(l.summed.then((v) => {
          entry.host += v;
        }));
      } else {
        const old = entry.loss;
        entry.loss = tf.keep(old ? tf.add(old, l.summed) : tf.clone(l.summed)) as tfjs.Scalar;
        old?.dispose();
      }
      if (typeof l.invNorm === "number") entry.invNorm += l.invNorm;
      else {
        const old = entry.invNormDevice;
        entry.invNormDevice = tf.keep(
          old ? tf.add(old, l.invNorm) : tf.clone(l.invNorm),
        ) as tfjs.Scalar;
        old?.dispose();
      }
    }
  }

  /**
   * The normalised epoch values per key (`sum of losses / sum of inverse factors`).
   *
   * @returns Key -> value (`cost:output`, `error:output` or `ce`, `fer`).
   */
  async values(): Promise<Map<string, number>> {
    await Promise.all(this.#pending);
    const out = new Map<string, number>();
    for (const [key, a] of this.#acc) {
      const loss = a.host + (a.loss ? (await a.loss.data())[0] : 0);
      const inv = a.invNorm + (a.invNormDevice ? (await a.invNormDevice.data())[0] : 0);
      // RETURNN: a zero sum stays zero (no 0/0).
      out.set(key, loss === 0 ? 0 : loss / inv);
    }
    return out;
  }

  /**
   * The epoch's scores for a data set, keyed as the RETURNN engine of the style writes them
   * into the learning-rate control: `{<set>_score: {"cost:<layer>": v}, <set>_error:
   * {"error:<layer>": e}}` (TF; one entry is stored under the plain name, several as
   * `<set>_score_<layer>`) or `{<set>_loss_<name>: v}` (PyTorch).
   *
   * @param dataset `train`, `dev`, `eval`, ...
   * @returns The scores.
   */
  async scores(dataset: string): Promise<ScoreDict> {
    const v = await this.values();
    if (this.style === "torch") {
      return Object.fromEntries([...v].map(([k, x]) => [`${dataset}_loss_${k}`, x]));
    }
    const score: Record<string, number> = {};
    const error: Record<string, number> = {};
    for (const [k, x] of v) (k.startsWith("error:") ? error : score)[k] = x;
    const out: ScoreDict = { [`${dataset}_score`]: score };
    if (Object.keys(error).length > 0) out[`${dataset}_error`] = error;
    return out;
  }

  /** Free the accumulated tensors and start over. */
  reset(): void {
    for (const a of this.#acc.values()) {
      a.loss?.dispose();
      a.invNormDevice?.dispose();
    }
    this.#acc.clear();
    this.#pending.length = 0;
  }
}
