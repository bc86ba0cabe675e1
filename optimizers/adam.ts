/**
 * Adam (Kingma & Ba, 2015) with PyTorch >= 2.0 numerics and options (`amsgrad`, coupled L2
 * `weight_decay`, `maximize`).
 *
 * @module
 */

import { _adamFamily } from "./_adam_kernel.ts";
import type { OptimizerDef } from "./types.ts";

/**
 * Adam, matching `torch.optim.Adam`: `m = β1·m + (1-β1)·g`, `v = β2·v + (1-β2)·g²`
 * (with `amsgrad`, `vmax = max(vmax, v)` replaces v), `denom = sqrt(v)/sqrt(1-β2^t) + eps`,
 * `p += (-lr/(1-β1^t))·(m/denom)`. `weight_decay` is PyTorch's coupled L2 term `g += wd·p`.
 *
 * Defaults: `betas` [0.9, 0.999], `eps` 1e-8 (but see the registry's RETURNN 1e-16 epsilon),
 * `weight_decay` 0, `amsgrad` false, `maximize` false, `decoupled_weight_decay` false (recent
 * PyTorch; `true` makes the registry pick the decoupled twin: AdamW's decay with Adam's
 * defaults; this definition object itself rejects `true`). Slots: `exp_avg`, `exp_avg_sq`, and
 * `max_exp_avg_sq` with `amsgrad`. Accepted class names: `adam`, `adamoptimizer`.
 *
 * @example Usage
 * ```ts
 * import { adam } from "./adam.ts";
 * import { equal, deepEqual } from "node:assert/strict";
 *
 * const h = adam.resolve({ ...adam.defaults, amsgrad: true });
 * deepEqual(adam.slots(h), ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"]);
 *
 * // One CPU step on a single element: the first Adam step moves p by about lr.
 * const s = Float32Array.from(adam.scalars(h, { step: 1 }, 0.1));
 * const p = new Float32Array([1]);
 * adam.cpu(h, s, p, new Float32Array([0.5]), [new Float32Array(1), new Float32Array(1), new Float32Array(1)], 0, 1);
 * equal(Math.abs(p[0] - 0.9) < 1e-6, true);
 * ```
 */
export const adam: OptimizerDef = _adamFamily(
  "adam",
  ["adamoptimizer"],
  Object.freeze({
    betas: Object.freeze([0.9, 0.999]),
    eps: 1e-8,
    weight_decay: 0,
    amsgrad: false,
    maximize: false,
    decoupled_weight_decay: false,
  }),
  "coupled",
);
