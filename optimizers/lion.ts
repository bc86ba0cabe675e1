/**
 * Lion, evolved sign momentum (Chen et al., 2023), as shipped by RETURNN
 * (`returnn.torch.optim.lion`).
 *
 * @module
 */

import { _checkKeys, _defineOptimizer, _freeze, _NONNEG, _number, _pair } from "./_hyper.ts";
import { _hyperPair } from "./_read_hyper.ts";
import { LaneBuilder, type LaneProgram } from "../kernels/lane.ts";
import { _withWgsl } from "./_kernel_def.ts";
import type { HostState, Hyper, OptimizerDef } from "./types.ts";

const _NAME = "lion";
const _DEFAULTS: Hyper = Object.freeze({
  betas: Object.freeze([0.9, 0.99]),
  weight_decay: 0,
});

/**
 * Lion, matching RETURNN's `Lion` (adapted from lucidrains/lion-pytorch): the engine first
 * applies the decoupled decay `p *= 1 - lr·weight_decay`, then
 *
 * ```
 * c = β1·m + (1-β1)·g;  p -= lr·sign(c);  m = β2·m + (1-β2)·g
 * ```
 *
 * A NaN direction `c` leaves p in place (torch 1.13's `sign(NaN)` is 0) while `m` turns NaN.
 *
 * Lion's steps have size lr in every coordinate: use a learning rate 3-10x smaller than AdamW's
 * (RETURNN's default is 1e-4).
 *
 * Defaults: `betas` [0.9, 0.99] (each in [0, 1]), `weight_decay` 0 (decoupled). No `eps`, no
 * `maximize`. Slot: `exp_avg`. Accepted class name: `lion`.
 *
 * @example Usage
 * ```ts
 * import { lion } from "./lion.ts";
 * import { equal } from "node:assert/strict";
 *
 * const h = lion.resolve(lion.defaults);
 * const s = Float32Array.from(lion.scalars(h, { step: 1 }, 0.5));
 * const p = new Float32Array([1]);
 * lion.cpu(h, s, p, new Float32Array([-3]), [new Float32Array(1)], 0, 1);
 * equal(p[0], 1.5);
 * ```
 */
export const lion: OptimizerDef = _defineOptimizer(_withWgsl({
  name: _NAME,
  aliases: Object.freeze([]),
  defaults: _DEFAULTS,
  weightDecay: "decoupled",
  resolve(merged: Readonly<Record<string, unknown>>): Hyper {
    _checkKeys(_NAME, merged, _DEFAULTS);
    const unit = { min: 0, max: 1 };
    return _freeze({
      betas: _pair(_NAME, merged, "betas", [unit, unit]),
      weight_decay: _number(_NAME, merged, "weight_decay", _NONNEG),
    });
  },
  slots(): readonly string[] {
    return ["exp_avg"];
  },
  uniforms(): readonly string[] {
    return ["beta1", "one_minus_beta1", "beta2", "one_minus_beta2", "neg_lr"];
  },
  scalars(h: Hyper, _host: HostState, lr: number): number[] {
    const [b1, b2] = _hyperPair(h, "betas");
    return [b1, 1 - b1, b2, 1 - b2, -lr];
  },
  kernel(): LaneProgram {
    const k = new LaneBuilder();
    const { g } = k;
    const m = k.slot("exp_avg");
    const update = k.let("update", m.mul(k.u("beta1")).add(g.mul(k.u("one_minus_beta1"))).sign());
    k.set("p", k.p.add(k.u("neg_lr").mul(update)));
    k.set("exp_avg", m.mul(k.u("beta2")).add(g.mul(k.u("one_minus_beta2"))));
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
    const b1 = s[0], omb1 = s[1], b2 = s[2], omb2 = s[3], negLr = s[4];
    const m = slots[0];
    for (let i = from; i < to; i++) {
      const gi = g[i], mi = m[i];
      const c = f(f(mi * b1) + f(gi * omb1));
      // torch 1.13's sign(NaN) is 0: a NaN direction leaves p where it is.
      if (c > 0) p[i] = f(p[i] + negLr);
      else if (c < 0) p[i] = f(p[i] - negLr);
      m[i] = f(f(mi * b2) + f(gi * omb2));
    }
  },
}));
