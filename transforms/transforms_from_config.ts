/** RETURNN config keys to a transform chain. @module */

import { accumulateGradients } from "./accumulate_gradients.ts";
import { addNoise } from "./add_noise.ts";
import { clipByGlobalNorm } from "./clip_by_global_norm.ts";
import { clipByNorm } from "./clip_by_norm.ts";
import { clipByValue } from "./clip_by_value.ts";
import { skipInvalidGradients } from "./skip_invalid_gradients.ts";
import type { GradientTransform } from "./types.ts";

/** The RETURNN config keys read by {@linkcode transformsFromConfig}. */
export interface GradientConfig {
  /** Element-wise clip bound. */
  gradient_clip?: number | null;
  /** Per-tensor norm clip (RETURNN: TF only; newbob: both styles). */
  gradient_clip_norm?: number | null;
  /** Global-norm clip. */
  gradient_clip_global_norm?: number | null;
  /** Noise standard deviation. */
  gradient_noise?: number | null;
  /** Accumulation steps K. */
  accum_grad_multiple_step?: number | null;
  /** Consecutive invalid updates allowed (RETURNN: PyTorch only; newbob: both styles). */
  num_allowed_consec_invalid_gradient_steps?: number | null;
}

/** Options of {@linkcode transformsFromConfig}. */
export interface TransformsFromConfigOptions {
  /**
   * Which RETURNN backend's global-norm rule: `"torch"` clips by the norm of the processed
   * (noised, value-clipped, accumulated) gradients with `c / (N + 1e-6)`; `"tf"` by the norm of
   * the raw step gradients with `c / max(N, c)`.
   * @default {"torch"}
   */
  style?: "torch" | "tf";
  /**
   * Accumulation window: `"global"` (RETURNN TF: aligned to the global step, spanning epochs)
   * or `"epoch"` (RETURNN Torch: restarts every epoch, a partial window is discarded).
   * @default {"global"}
   */
  window?: "global" | "epoch";
  /** Noise seed. @default {0} */
  seed?: number;
  /** Steps between the host-side checks of the invalid-gradient counter. @default {100} */
  checkInterval?: number;
}

/**
 * Build the transform chain for RETURNN's gradient keys, in the spec's Torch order:
 * accumulation, noise, value clip, per-tensor norm clip, global-norm clip, invalid-gradient
 * skipping (see `chain`). `style` picks only the global-norm rule and `window` the accumulation
 * window, independently. Keys set to `0`, `null` or absent are off. Unlike RETURNN, which
 * implements `gradient_clip_norm` only in TF and `num_allowed_consec_invalid_gradient_steps` only
 * in Torch, newbob honours both keys in both styles.
 *
 * @param config The gradient keys of a config.
 * @param options Style, window, noise seed.
 * @returns The transforms, in application order.
 * @throws {RangeError} for bad values (from the transform factories).
 * @example Usage
 * ```ts
 * import { transformsFromConfig } from "./transforms_from_config.ts";
 * import { deepEqual } from "node:assert/strict";
 * const t = transformsFromConfig({ gradient_clip_global_norm: 5, accum_grad_multiple_step: 2 });
 * deepEqual(t.map((x) => x.kind), ["accumulate", "clip_global_norm"]);
 * ```
 */
export function transformsFromConfig(
  config: GradientConfig,
  options: TransformsFromConfigOptions = {},
): GradientTransform[] {
  const style = options.style ?? "torch";
  const on = (v: number | null | undefined): v is number => typeof v === "number" && v !== 0;
  const out: GradientTransform[] = [];
  const k = config.accum_grad_multiple_step;
  if (on(k) && k > 1) {
    out.push(accumulateGradients(k, { window: options.window ?? "global" }));
  }
  if (on(config.gradient_noise)) {
    out.push(addNoise(config.gradient_noise, { seed: options.seed ?? 0 }));
  }
  if (on(config.gradient_clip)) out.push(clipByValue(config.gradient_clip));
  if (on(config.gradient_clip_norm)) out.push(clipByNorm(config.gradient_clip_norm));
  if (on(config.gradient_clip_global_norm)) {
    out.push(clipByGlobalNorm(config.gradient_clip_global_norm, { style }));
  }
  const allowed = config.num_allowed_consec_invalid_gradient_steps;
  if (typeof allowed === "number") {
    out.push(skipInvalidGradients(allowed, { checkInterval: options.checkInterval ?? 100 }));
  }
  return out;
}
