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
  /** Per-tensor norm clip (TF only). */
  gradient_clip_norm?: number | null;
  /** Global-norm clip. */
  gradient_clip_global_norm?: number | null;
  /** Noise standard deviation. */
  gradient_noise?: number | null;
  /** Accumulation steps K. */
  accum_grad_multiple_step?: number | null;
  /** Consecutive invalid updates allowed (PyTorch only). */
  num_allowed_consec_invalid_gradient_steps?: number | null;
}

/** Options of {@linkcode transformsFromConfig}. */
export interface TransformsFromConfigOptions {
  /** Which RETURNN backend's semantics. @default {"torch"} */
  style?: "torch" | "tf";
  /** Noise seed. @default {0} */
  seed?: number;
}

/**
 * Build the transform chain RETURNN applies for a config, in RETURNN's order (see `chain`):
 * torch style accumulates in per-epoch windows, clips the processed gradients' global norm
 * and may skip invalid steps; TF style accumulates in global-step windows, clips per tensor and
 * by the raw global norm. Keys set to `0`, `null` or absent are off.
 *
 * @throws {RangeError} for keys the chosen style does not support, or bad values.
 * @example Usage
 * ```ts
 * import {
 *   type GradientConfig,
 *   transformsFromConfig,
 *   type TransformsFromConfigOptions,
 * } from "./transforms_from_config.ts";
 * const config: GradientConfig = { gradient_clip_global_norm: 5, accum_grad_multiple_step: 2 };
 * const options: TransformsFromConfigOptions = { style: "torch" };
 * const t = transformsFromConfig(config, options);
 * console.assert(t.map((x) => x.kind).join() === "accumulate,clip_global_norm");
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
    out.push(accumulateGradients(k, { window: style === "tf" ? "global" : "epoch" }));
  }
  if (on(config.gradient_noise)) {
    out.push(addNoise(config.gradient_noise, { seed: options.seed ?? 0 }));
  }
  if (on(config.gradient_clip)) out.push(clipByValue(config.gradient_clip));
  if (on(config.gradient_clip_norm)) {
    if (style !== "tf") {
      throw new RangeError(
        "Cannot use 'gradient_clip_norm' with the torch style (RETURNN supports it only in " +
          "TF): use 'gradient_clip_global_norm' or the tf style",
      );
    }
    out.push(clipByNorm(config.gradient_clip_norm));
  }
  if (on(config.gradient_clip_global_norm)) {
    out.push(clipByGlobalNorm(config.gradient_clip_global_norm, { style }));
  }
  const allowed = config.num_allowed_consec_invalid_gradient_steps;
  if (typeof allowed === "number") {
    if (style !== "torch") {
      throw new RangeError(
        "Cannot use 'num_allowed_consec_invalid_gradient_steps' with the tf style (RETURNN " +
          "supports it only in PyTorch): remove it or use the torch style",
      );
    }
    out.push(skipInvalidGradients(allowed));
  }
  return out;
}
