/**
 * The run context of one training or evaluation step, as RETURNN's
 * `rf.get_run_ctx().mark_as_loss`: `train_step` (or the network) marks losses and errors; the
 * total loss for the gradient and the per-key sums and normalisation factors for the scores
 * come from here, for both config styles.
 *
 * @module
 */

import type { Lengths, Tf, tfjs } from "./_tf.ts";
import { maskPadding } from "./seq.ts";
import { showValue } from "../_util/validate.ts";

/**
 * How losses are keyed and later named in the scores: `"torch"` as RETURNN's PyTorch engine
 * (one name per loss or error, scores `train_loss_<name>`), `"tf"` as its TF engine (a layer
 * has a `cost:<layer>` and an `error:<layer>`, scores `train_score` / `train_error`).
 */
export type LossStyle = "torch" | "tf";

/** Options of {@linkcode RunCtx.markAsLoss} (RETURNN's `mark_as_loss` keywords, camelCase). */
export interface MarkAsLossOptions {
  /**
   * Report it as an error (frame error, label error rate) and leave it out of the gradient.
   * @default false
   */
  asError?: boolean;
  /** Factor on the loss for the gradient only (0: not trained on). @default 1 */
  scale?: number;
  /**
   * The normalisation factor's inverse (the score divides the summed loss by it): a number,
   * lengths (summed) or a tensor (summed).
   * @default the number of elements of the loss (real frames only for a padded loss)
   */
  customInvNormFactor?: number | Lengths | tfjs.Tensor;
  /** The gradient uses the normalised loss (sum / inverse factor) instead of the sum. @default false */
  useNormalizedLoss?: boolean;
}

/** A loss as `markAsLoss` takes it: any tensor (every element counts) or a padded batch. */
export type LossInput = tfjs.Tensor | { readonly values: tfjs.Tensor; readonly seqLens: Lengths };

/** One marked loss or error. */
export interface MarkedLoss {
  /** Its key: the name (torch style) or `cost:<name>` / `error:<name>` (tf style). */
  readonly key: string;
  /** The name given to markAsLoss. */
  readonly name: string;
  /** Reported as an error, not in the gradient. */
  readonly asError: boolean;
  /** Factor for the gradient. */
  readonly scale: number;
  /** The gradient uses sum / invNorm. */
  readonly useNormalizedLoss: boolean;
  /** The summed loss (a scalar kept alive until `dispose`), or a value that arrives later. */
  readonly summed: tfjs.Scalar | Promise<number>;
  /** The inverse normalisation factor. */
  readonly invNorm: number | tfjs.Scalar;
}

/**
 * The run context of one step.
 *
 * @example Two losses of a `train_step`, as RETURNN's PyTorch demo marks them
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { RunCtx } from "./run_ctx.ts";
 *
 * const ctx = new RunCtx(tf);
 * const ce = tf.tensor2d([[1, 2, 9], [3, 9, 9]]); // [B, T], padding after 2 and 1 frames
 * ctx.markAsLoss("ce", { values: ce, seqLens: [2, 1] });
 * ctx.markAsLoss("fer", tf.tensor1d([0, 1, 0]), { asError: true });
 * assert.equal(ctx.totalLoss().dataSync()[0], 6); // summed loss, padding excluded
 * const values = await ctx.read();
 * assert.deepEqual(values.get("ce"), { loss: 6, invNorm: 3 });
 * assert.deepEqual(values.get("fer"), { loss: 1, invNorm: 3 });
 * ctx.dispose();
 * ```
 */
export class RunCtx {
  readonly #tf: Tf;
  readonly #losses = new Map<string, MarkedLoss>();
  readonly #constraints: tfjs.Scalar[] = [];
  /** How losses are keyed. */
  readonly style: LossStyle;

  /**
   * A fresh context for one step.
   *
   * @param tf The TensorFlow.js namespace.
   * @param options `style` (default `"torch"`).
   */
  constructor(tf: Tf, options: { style?: LossStyle } = {}) {
    this.#tf = tf;
    this.style = options.style ?? "torch";
  }

  /** The marked losses and errors by key, in marking order. */
  get losses(): ReadonlyMap<string, MarkedLoss> {
    return this.#losses;
  }

  /**
   * Mark a loss (or, with `asError`, an error). Reduce only the axes you do not want
   * normalised: a per-frame loss `[B, T]` (with lengths) is normalised by the frames, a
   * per-sequence loss `[B]` by the sequences.
   *
   * @param name The name (`ce`, `fer`, or a layer's name in the network).
   * @param loss A tensor (every element counts), or `{values, seqLens}` (frames past each
   * length excluded). Booleans and integers are cast to float32.
   * @param options `asError`, `scale`, `customInvNormFactor`, `useNormalizedLoss`.
   * @throws {Error} If the key was marked already in this step.
   * @throws {TypeError} If `loss` is not a tensor or `{values, seqLens}`.
   */
  markAsLoss(name: string, loss: LossInput, options: MarkAsLossOptions = {}): void {
    const tf = this.#tf;
    const key = this.#key(name, options.asError ?? false);
    const padded = !(loss instanceof tf.Tensor);
    const raw = padded ? (loss as { values: tfjs.Tensor }).values : loss as tfjs.Tensor;
    if (!(raw instanceof tf.Tensor)) {
      throw new TypeError(
        `Cannot mark the loss '${name}' as it must be a tensor or {values, seqLens}: current ` +
          `value is ${showValue(loss)}`,
      );
    }
    const { summed, count } = tf.tidy(() => {
      const v = raw.dtype === "float32" ? raw : tf.cast(raw, "float32");
      if (!padded) return { summed: tf.sum(v) as tfjs.Scalar, count: v.size };
      const seqLens = (loss as { seqLens: Lengths }).seqLens;
      const frames = Array.from(seqLens).reduce((a, b) => a + b, 0);
      const perFrame = v.shape.slice(2).reduce((a, b) => a * b, 1);
      return {
        summed: tf.sum(maskPadding(tf, v, seqLens)) as tfjs.Scalar,
        count: frames * perFrame,
      };
    });
    this.#add(
      name,
      key,
      tf.keep(summed),
      this.#invNorm(options.customInvNormFactor, count),
      options,
    );
  }

  /**
   * Mark a value computed on the host later (the CTC label errors need decoding there).
   *
   * @param name The name.
   * @param value The summed value when it arrives.
   * @param invNorm The inverse normalisation factor.
   * @param options As for {@linkcode RunCtx.markAsLoss}; a deferred value is never in the
   * gradient, so it must be an error.
   */
  markDeferred(
    name: string,
    value: Promise<number>,
    invNorm: number,
    options: MarkAsLossOptions,
  ): void {
    if (!options.asError) throw new Error(`A deferred value ('${name}') can only be an error`);
    this.#add(name, this.#key(name, true), value, invNorm, options);
  }

  /**
   * Add a term to the objective that is not reported as a score (RETURNN's constraints, such
   * as the `L2` of a layer's parameters).
   *
   * @param value A scalar.
   */
  addConstraint(value: tfjs.Scalar): void {
    this.#constraints.push(this.#tf.keep(value));
  }

  /**
   * The loss the gradient is taken of: the sum of the losses (not errors), each summed (or
   * normalised with `useNormalizedLoss`) and scaled, plus the constraints.
   *
   * @returns A scalar.
   * @throws {Error} If no loss was marked.
   */
  totalLoss(): tfjs.Scalar {
    const tf = this.#tf;
    const terms: tfjs.Tensor[] = [...this.#constraints];
    let any = false;
    for (const l of this.#losses.values()) {
      if (l.asError) continue;
      any = true;
      if (l.scale === 0) continue;
      let v = l.summed as tfjs.Scalar;
      if (l.useNormalizedLoss) v = tf.div(v, l.invNorm) as tfjs.Scalar;
      terms.push(l.scale === 1 ? v : tf.mul(v, l.scale));
    }
    if (!any) {
      throw new Error(
        "Cannot compute the total loss as no loss was marked: call run_ctx.markAsLoss(name, loss) " +
          "in train_step (errors with asError do not count)",
      );
    }
    return (terms.length === 1 ? terms[0] : tf.addN(terms)) as tfjs.Scalar;
  }

  /**
   * Read this step's summed values and inverse normalisation factors (one device read).
   *
   * @returns Per key `{loss, invNorm}`.
   */
  async read(): Promise<Map<string, { loss: number; invNorm: number }>> {
    const out = new Map<string, { loss: number; invNorm: number }>();
    for (const [key, l] of this.#losses) {
      const loss = l.summed instanceof Promise ? await l.summed : (await l.summed.data())[0];
      const invNorm = typeof l.invNorm === "number" ? l.invNorm : (await l.invNorm.data())[0];
      out.set(key, { loss, invNorm });
    }
    return out;
  }

  /** Free the kept tensors. */
  dispose(): void {
    for (const l of this.#losses.values()) {
      if (!(l.summed instanceof Promise)) l.summed.dispose();
      if (typeof l.invNorm !== "number") l.invNorm.dispose();
    }
    for (const c of this.#constraints) c.dispose();
    this.#losses.clear();
    this.#constraints.length = 0;
  }

  #key(name: string, asError: boolean): string {
    if (typeof name !== "string" || name === "") {
      throw new TypeError(
        `Cannot mark a loss as its name must be a non-empty string: current value is ${
          showValue(name)
        }`,
      );
    }
    return this.style === "tf" ? `${asError ? "error" : "cost"}:${name}` : name;
  }

  #invNorm(custom: MarkAsLossOptions["customInvNormFactor"], count: number): number | tfjs.Scalar {
    const tf = this.#tf;
    if (custom === undefined || custom === null) return count;
    if (typeof custom === "number") return custom;
    if (custom instanceof tf.Tensor) {
      return tf.keep(tf.tidy(() => tf.sum(tf.cast(custom, "float32")) as tfjs.Scalar));
    }
    return Array.from(custom as Lengths).reduce((a, b) => a + b, 0);
  }

  #add(
    name: string,
    key: string,
    summed: tfjs.Scalar | Promise<number>,
    invNorm: number | tfjs.Scalar,
    o: MarkAsLossOptions,
  ): void {
    if (this.#losses.has(key)) {
      throw new Error(`Cannot mark the loss '${name}' twice in one step: use another name`);
    }
    const scale = o.scale ?? 1;
    if (!Number.isFinite(scale)) {
      throw new RangeError(
        `Cannot mark the loss '${name}' as 'scale' must be finite: current value is ${scale}`,
      );
    }
    this.#losses.set(key, {
      key,
      name,
      asError: o.asError ?? false,
      scale,
      useNormalizedLoss: o.useNormalizedLoss ?? false,
      summed,
      invNorm,
    });
  }
}
