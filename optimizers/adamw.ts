/**
 * AdamW (Loshchilov & Hutter, 2019): Adam with decoupled weight decay, PyTorch >= 2.0 numerics.
 *
 * @module
 */

import { _adamFamily } from "./_adam_kernel.ts";
import type { OptimizerDef } from "./types.ts";

/**
 * AdamW, matching `torch.optim.AdamW`: the engine first applies the decoupled decay
 * `p *= 1 - lr·weight_decay` (with this step's lr), then the Adam update of {@link adam}
 * without any L2 term.
 *
 * Defaults: `betas` [0.9, 0.999], `eps` 1e-8 (see the registry's RETURNN 1e-16 epsilon),
 * `weight_decay` 0.01, `amsgrad` false, `maximize` false. Slots: `exp_avg`, `exp_avg_sq`, and
 * `max_exp_avg_sq` with `amsgrad`. Accepted class names: `adamw`, `adamwoptimizer`.
 *
 * @example Usage
 * ```ts
 * import { adamw } from "./adamw.ts";
 * import { equal } from "node:assert/strict";
 *
 * const h = adamw.resolve({ ...adamw.defaults, weight_decay: 0.1 });
 * equal(adamw.weightDecay, "decoupled");
 * equal(h.weight_decay, 0.1);
 * ```
 */
export const adamw: OptimizerDef = _adamFamily(
  "adamw",
  ["adamwoptimizer"],
  Object.freeze({
    betas: Object.freeze([0.9, 0.999]),
    eps: 1e-8,
    weight_decay: 1e-2,
    amsgrad: false,
    maximize: false,
  }),
  "decoupled",
);
