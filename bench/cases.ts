/**
 * The optimizers of the benchmark: newbob's config (and transforms), the bytes each moves per
 * parameter and step (the roofline's denominator), and the peers' equivalents.
 *
 * @module
 */

import type { GradientTransform } from "../transforms/types.ts";

/** One benchmarked optimizer. */
export interface OptimizerCase {
  /** Short id used in the table and on the command line. */
  readonly id: string;
  /** newbob `optimizer` dict. */
  readonly config: Readonly<Record<string, unknown>>;
  /** Gradient transforms before the optimizer. */
  readonly transforms: readonly GradientTransform[];
  /**
   * Bytes read and written per parameter and step by an ideal fused implementation (float32):
   * param read+write, gradient read, each state slot read+write, plus one more gradient read
   * for a norm pass.
   */
  readonly bytesPerParam: number;
  /** TensorFlow.js equivalent (`tf.train.*`), or why there is none. */
  readonly tfjs: { readonly make: string } | { readonly missing: string };
  /** PyTorch class used by `bench/torch_bench.py` (same id), or why there is none. */
  readonly torch: string | { readonly missing: string };
}

/** Learning rate of every benchmark step. */
export const LEARNING_RATE = 1e-3;

/** The optimizers of issue 6, in table order. */
export const OPTIMIZER_CASES: readonly OptimizerCase[] = [
  {
    id: "adam",
    config: { class: "adam", eps: 1e-8 },
    transforms: [],
    bytesPerParam: 28,
    tfjs: { make: "adam" },
    torch: "Adam",
  },
  {
    id: "adamw",
    config: { class: "adamw", eps: 1e-8, weight_decay: 0.01 },
    transforms: [],
    bytesPerParam: 28,
    tfjs: { missing: "tfjs 4.22 has no AdamW" },
    torch: "AdamW",
  },
  {
    id: "sgd_momentum",
    config: { class: "sgd", momentum: 0.9 },
    transforms: [],
    bytesPerParam: 20,
    tfjs: { make: "momentum" },
    torch: "SGD",
  },
  {
    id: "lion",
    config: { class: "lion" },
    transforms: [],
    bytesPerParam: 20,
    tfjs: { missing: "tfjs 4.22 has no Lion" },
    torch: { missing: "torch 1.13 has no Lion" },
  },
  {
    id: "adagrad",
    config: { class: "adagrad" },
    transforms: [],
    bytesPerParam: 20,
    tfjs: { make: "adagrad" },
    torch: "Adagrad",
  },
  {
    id: "rmsprop",
    config: { class: "rmsprop" },
    transforms: [],
    bytesPerParam: 20,
    tfjs: { make: "rmsprop" },
    torch: "RMSprop",
  },
  {
    id: "clip_adam",
    config: { class: "adam", eps: 1e-8 },
    transforms: [{ kind: "clip_global_norm", maxNorm: 1, normType: 2, style: "torch" }],
    bytesPerParam: 32,
    tfjs: { missing: "no fused global-norm clip in tfjs (would be separate ops per tensor)" },
    torch: "clip_adam",
  },
  {
    id: "noise_adam",
    config: { class: "adam", eps: 1e-8 },
    transforms: [{ kind: "noise", sigma: 1e-3, seed: 7 }],
    bytesPerParam: 28,
    tfjs: { missing: "no fused gradient noise in tfjs (would be separate ops per tensor)" },
    torch: "noise_adam",
  },
  {
    id: "clip_noise_adam",
    config: { class: "adam", eps: 1e-8 },
    transforms: [
      { kind: "clip_global_norm", maxNorm: 1, normType: 2, style: "torch" },
      { kind: "noise", sigma: 1e-3, seed: 7 },
    ],
    bytesPerParam: 32,
    tfjs: { missing: "no fused clip+noise in tfjs (would be separate ops per tensor)" },
    torch: "clip_noise_adam",
  },
];
