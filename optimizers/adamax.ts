/**
 * Adamax (Kingma & Ba, 2015): Adam with an infinity-norm second moment, PyTorch >= 2.0
 * numerics.
 *
 * @module
 */

import {
  _boolean,
  _checkKeys,
  _defineOptimizer,
  _freeze,
  _NONNEG,
  _number,
  _pair,
  _UNIT_OPEN,
} from "./_hyper.ts";
import { _hyperNumber, _hyperPair } from "./_read_hyper.ts";
import { LaneBuilder, type LaneProgram } from "../kernels/lane.ts";
import { _withWgsl } from "./_kernel_def.ts";
import type { HostState, Hyper, OptimizerDef } from "./types.ts";

const _NAME = "adamax";
const _DEFAULTS: Hyper = Object.freeze({
  betas: Object.freeze([0.9, 0.999]),
  eps: 1e-8,
  weight_decay: 0,
  maximize: false,
});

/**
 * Adamax, matching `torch.optim.Adamax`: `m = β1·m + (1-β1)·g`,
 * `u = max(β2·u, |g| + eps)` (eps inside the max, no bias correction of u),
 * `p += (-lr/(1-β1^t))·(m/u)`.
 *
 * Defaults: `betas` [0.9, 0.999], `eps` 1e-8 (see the registry's RETURNN 1e-16 epsilon),
 * `weight_decay` 0 (coupled L2), `maximize` false. Slots: `exp_avg`, `exp_inf`. Accepted class
 * name: `adamax`.
 *
 * @example Usage
 * ```ts
 * import { adamax } from "./adamax.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(adamax.slots(adamax.resolve(adamax.defaults)), ["exp_avg", "exp_inf"]);
 * ```
 */
export const adamax: OptimizerDef = _defineOptimizer(_withWgsl({
  name: _NAME,
  aliases: Object.freeze(["adamaxoptimizer"]),
  defaults: _DEFAULTS,
  weightDecay: "coupled",
  resolve(merged: Readonly<Record<string, unknown>>): Hyper {
    _checkKeys(_NAME, merged, _DEFAULTS);
    return _freeze({
      betas: _pair(_NAME, merged, "betas", [_UNIT_OPEN, _UNIT_OPEN]),
      eps: _number(_NAME, merged, "eps", _NONNEG),
      weight_decay: _number(_NAME, merged, "weight_decay", _NONNEG),
      maximize: _boolean(_NAME, merged, "maximize"),
    });
  },
  slots(): readonly string[] {
    return ["exp_avg", "exp_inf"];
  },
  uniforms(): readonly string[] {
    return ["beta1", "one_minus_beta1", "beta2", "eps", "neg_clr"];
  },
  scalars(h: Hyper, host: HostState, lr: number): number[] {
    const [b1, b2] = _hyperPair(h, "betas");
    return [b1, 1 - b1, b2, _hyperNumber(h, "eps"), -lr / (1 - b1 ** host.step)];
  },
  kernel(): LaneProgram {
    const k = new LaneBuilder();
    const { g } = k;
    k.set("exp_avg", k.slot("exp_avg").mul(k.u("beta1")).add(g.mul(k.u("one_minus_beta1"))));
    k.set("exp_inf", k.slot("exp_inf").mul(k.u("beta2")).max(g.abs().add(k.u("eps"))));
    k.set("p", k.p.add(k.u("neg_clr").mul(k.slot("exp_avg")).div(k.slot("exp_inf"))));
    return k.program();
  },
  cpu(
    _hyper: Hyper,
    s: Float32Array,
    p: Float32Array,
    g: Float32Array,
    slots: readonly Float32Array[],
    from: number,
    to: number,
  ): void {
    const f = Math.fround;
    const b1 = s[0], omb1 = s[1], b2 = s[2], eps = s[3], negClr = s[4];
    const m = slots[0], u = slots[1];
    for (let i = from; i < to; i++) {
      const gi = g[i];
      const mi = f(f(m[i] * b1) + f(gi * omb1));
      const a = f(u[i] * b2), b = f(Math.abs(gi) + eps);
      const ui = Math.max(a, b); // NaN-propagating, like torch.maximum
      m[i] = mi;
      u[i] = ui;
      p[i] = f(p[i] + f(f(negClr * mi) / ui));
    }
  },
}));
