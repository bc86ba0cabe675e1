/**
 * Adadelta (Zeiler, 2012), PyTorch >= 2.0 numerics.
 *
 * @module
 */

import { _boolean, _checkKeys, _defineOptimizer, _freeze, _NONNEG, _number } from "./_hyper.ts";
import { _hyperNumber } from "./_read_hyper.ts";
import { LaneBuilder, type LaneProgram } from "../kernels/lane.ts";
import { _withWgsl } from "./_kernel_def.ts";
import type { HostState, Hyper, OptimizerDef } from "./types.ts";

const _NAME = "adadelta";
const _DEFAULTS: Hyper = Object.freeze({
  rho: 0.9,
  eps: 1e-6,
  weight_decay: 0,
  maximize: false,
});

/**
 * Adadelta, matching `torch.optim.Adadelta`: `sq = ρ·sq + (1-ρ)·g²`,
 * `δ = (sqrt(acc + eps)/sqrt(sq + eps))·g` (eps inside both roots), `acc = ρ·acc + (1-ρ)·δ²`,
 * `p -= lr·δ`. PyTorch's default learning rate for Adadelta is 1.0 (set `learning_rate`
 * accordingly; the learning rate lives outside the `optimizer` dict). Beware RETURNN's epsilon
 * default (registry): with eps = 1e-16 instead of 1e-6 the first steps are about
 * `lr·1e-8·sign(g)`, since `acc` starts at 0; set `epsilon` explicitly for PyTorch behaviour.
 *
 * Defaults: `rho` 0.9, `eps` 1e-6 (see the registry's RETURNN 1e-16 epsilon), `weight_decay` 0
 * (coupled L2), `maximize` false. Slots: `square_avg`, `acc_delta`. Accepted class names:
 * `adadelta`, `adadeltaoptimizer`.
 *
 * @example Usage
 * ```ts
 * import { adadelta } from "./adadelta.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(adadelta.slots(adadelta.resolve(adadelta.defaults)), ["square_avg", "acc_delta"]);
 * ```
 */
export const adadelta: OptimizerDef = _defineOptimizer(_withWgsl({
  name: _NAME,
  aliases: Object.freeze(["adadeltaoptimizer"]),
  defaults: _DEFAULTS,
  weightDecay: "coupled",
  resolve(merged: Readonly<Record<string, unknown>>): Hyper {
    _checkKeys(_NAME, merged, _DEFAULTS);
    return _freeze({
      rho: _number(_NAME, merged, "rho", { min: 0, max: 1 }),
      eps: _number(_NAME, merged, "eps", _NONNEG),
      weight_decay: _number(_NAME, merged, "weight_decay", _NONNEG),
      maximize: _boolean(_NAME, merged, "maximize"),
    });
  },
  slots(): readonly string[] {
    return ["square_avg", "acc_delta"];
  },
  uniforms(): readonly string[] {
    return ["rho", "one_minus_rho", "eps", "neg_lr"];
  },
  scalars(h: Hyper, _host: HostState, lr: number): number[] {
    const rho = _hyperNumber(h, "rho");
    return [rho, 1 - rho, _hyperNumber(h, "eps"), -lr];
  },
  kernel(): LaneProgram {
    const k = new LaneBuilder();
    const { g } = k;
    const rho = k.u("rho"), omr = k.u("one_minus_rho"), eps = k.u("eps");
    k.set("square_avg", k.slot("square_avg").mul(rho).add(g.mul(omr).mul(g)));
    const acc = k.slot("acc_delta");
    const std = k.slot("square_avg").add(eps).sqrt();
    const delta = k.let("delta", acc.add(eps).sqrt().div(std).mul(g));
    k.set("acc_delta", acc.mul(rho).add(delta.mul(omr).mul(delta)));
    k.set("p", k.p.add(k.u("neg_lr").mul(delta)));
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
    const rho = s[0], omr = s[1], eps = s[2], negLr = s[3];
    const sq = slots[0], acc = slots[1];
    for (let i = from; i < to; i++) {
      const gi = g[i];
      const sqi = f(f(sq[i] * rho) + f(f(gi * omr) * gi));
      const std = f(Math.sqrt(f(sqi + eps)));
      const delta = f(f(f(Math.sqrt(f(acc[i] + eps))) / std) * gi);
      sq[i] = sqi;
      acc[i] = f(f(acc[i] * rho) + f(f(delta * omr) * delta));
      p[i] = f(p[i] + f(negLr * delta));
    }
  },
}));
