/**
 * Gradient transforms as plain data. The optimizer engine compiles a chain of them: element-wise
 * transforms are fused into the update kernel's prologue (and its CPU reference); reductions
 * (per-tensor and global norms) add a pass whose result feeds the update kernel from a GPU buffer.
 *
 * @module
 */

/** Norm type of a norm clip (PyTorch's `norm_type`). */
export type NormType = 2 | 1 | "inf";

/** Clip every element to `[-clipValue, clipValue]` (`gradient_clip`, `clip_grad_value_`). */
export interface ClipValueTransform {
  /** Discriminant. */
  readonly kind: "clip_value";
  /** Clip bound c > 0. */
  readonly clipValue: number;
}

/** Clip each tensor to norm at most `maxNorm`: `g·c/max(‖g‖,c)` (`gradient_clip_norm`, TF). */
export interface ClipNormTransform {
  /** Discriminant. */
  readonly kind: "clip_norm";
  /** Bound c > 0. */
  readonly maxNorm: number;
}

/**
 * Clip by the global norm over all tensors (`gradient_clip_global_norm`, `clip_grad_norm_`).
 *
 * - `"torch"` (default): the norm of the gradients as processed so far, coefficient
 *   `min(c/(N + 1e-6), 1)`.
 * - `"tf"`: the norm of the raw gradients of the step, coefficient `c/max(N, c)`.
 */
export interface ClipGlobalNormTransform {
  /** Discriminant. */
  readonly kind: "clip_global_norm";
  /** Bound c > 0. */
  readonly maxNorm: number;
  /** Norm type. */
  readonly normType: NormType;
  /** Which norm and coefficient (see above). */
  readonly style: "torch" | "tf";
}

/**
 * Additive zero-mean noise with standard deviation `sigma`, truncated at ±2σ (`gradient_noise`).
 * The draw for element `j` of tensor `t` at update `k` is a pure function of
 * `(seed, k, t, j)`, identical in WGSL and TypeScript.
 */
export interface NoiseTransform {
  /** Discriminant. */
  readonly kind: "noise";
  /** Standard deviation σ > 0. */
  readonly sigma: number;
  /** Seed (an unsigned 32-bit integer). */
  readonly seed: number;
}

/**
 * Weight decay as a transform.
 *
 * - `"coupled"`: L2 term `g = g + rate·p`.
 * - `"decoupled"`: `p = p·(1 - lr·rate)` before the update (AdamW style).
 * - `"constant"`: `p = p·(1 - rate)`, independent of the learning rate (RETURNN TF's
 *   `decouple_constraints`, where rate = 2·L2).
 */
export interface WeightDecayTransform {
  /** Discriminant. */
  readonly kind: "weight_decay";
  /** Decay rate >= 0. */
  readonly rate: number;
  /** See above. */
  readonly mode: "coupled" | "decoupled" | "constant";
}

/**
 * Sum the gradients of `steps` consecutive calls of `step` and update on the last one
 * (`accum_grad_multiple_step`). No averaging, no learning-rate rescaling.
 *
 * - `"global"` (RETURNN TF, default): windows aligned to the global step (`g mod K == K-1`
 *   updates), spanning epochs.
 * - `"epoch"` (RETURNN PyTorch): a counter that restarts each epoch; a partial window at the
 *   end of an epoch is discarded.
 */
export interface AccumulateTransform {
  /** Discriminant. */
  readonly kind: "accumulate";
  /** K >= 1. */
  readonly steps: number;
  /** See above. */
  readonly window: "global" | "epoch";
}

/**
 * Skip updates whose global L2 gradient norm is not finite; more than `allowed` in a row abort
 * (`num_allowed_consec_invalid_gradient_steps`, RETURNN PyTorch). On the GPU the counter lives in
 * a GPU buffer and the update is skipped in-kernel; the abort is raised when state is next read,
 * or by a non-blocking check every `checkInterval` updates.
 */
export interface SkipInvalidTransform {
  /** Discriminant. */
  readonly kind: "skip_invalid";
  /** Consecutive invalid steps allowed (0 aborts on the first). */
  readonly allowed: number;
  /** Updates between non-blocking checks on the GPU. */
  readonly checkInterval: number;
}

/** Any gradient transform. */
export type GradientTransform =
  | ClipValueTransform
  | ClipNormTransform
  | ClipGlobalNormTransform
  | NoiseTransform
  | WeightDecayTransform
  | AccumulateTransform
  | SkipInvalidTransform;

/** A chain of transforms followed by an optimizer config dict (see `chain`). */
export interface ChainSpec {
  /** Discriminant. */
  readonly kind: "chain";
  /** Transforms, in application order. */
  readonly transforms: readonly GradientTransform[];
  /** The optimizer config dict (`{ class: "adam", ... }`). */
  readonly optimizer: Readonly<Record<string, unknown>>;
}
