/**
 * ASGD, averaged stochastic gradient descent (Polyak & Juditsky, 1992), PyTorch >= 2.0 numerics.
 *
 * @module
 */

import { _boolean, _checkKeys, _defineOptimizer, _freeze, _NONNEG, _number } from "./_hyper.ts";
import { _hyperNumber } from "./_read_hyper.ts";
import { LaneBuilder, type LaneProgram, select } from "../kernels/lane.ts";
import { _withWgsl } from "./_kernel_def.ts";
import type { HostState, Hyper, OptimizerDef } from "./types.ts";

const _NAME = "asgd";
const _DEFAULTS: Hyper = Object.freeze({
  lambd: 1e-4,
  alpha: 0.75,
  t0: 1e6,
  weight_decay: 0,
  maximize: false,
});

/**
 * ASGD, matching `torch.optim.ASGD`. With the host scalars η and μ (float32, like torch's 0-d
 * tensors) as left by the previous step:
 *
 * ```
 * p *= 1 - λ·η;  p -= η·g
 * ax = p if μ == 1, else ax += (p - ax)·μ
 * afterwards: η = lr/(1 + λ·lr·t)^α,  μ = 1/max(1, t - t0)    (used on the next step)
 * ```
 *
 * η on the first step is that step's learning rate; later learning-rate changes reach the update
 * one step late, as in torch.
 *
 * Defaults: `lambd` 1e-4, `alpha` 0.75, `t0` 1e6, `weight_decay` 0 (coupled L2), `maximize`
 * false. Slot: `ax` (the average); host state `eta`, `mu`. Accepted class name: `asgd`.
 *
 * @example Usage
 * ```ts
 * import { asgd } from "./asgd.ts";
 * import type { HostState } from "./types.ts";
 * import { equal } from "node:assert/strict";
 *
 * const h = asgd.resolve(asgd.defaults);
 * const host: HostState = { step: 1, ...asgd.hostInit(h) };
 * asgd.scalars(h, host, 0.01);
 * equal(host.eta, Math.fround(0.01 / (1 + 1e-4 * 0.01) ** 0.75));
 * ```
 */
export const asgd: OptimizerDef = _defineOptimizer(_withWgsl({
  name: _NAME,
  aliases: Object.freeze([]),
  defaults: _DEFAULTS,
  weightDecay: "coupled",
  resolve(merged: Readonly<Record<string, unknown>>): Hyper {
    _checkKeys(_NAME, merged, _DEFAULTS);
    return _freeze({
      lambd: _number(_NAME, merged, "lambd"),
      alpha: _number(_NAME, merged, "alpha"),
      t0: _number(_NAME, merged, "t0"),
      weight_decay: _number(_NAME, merged, "weight_decay", _NONNEG),
      maximize: _boolean(_NAME, merged, "maximize"),
    });
  },
  slots(): readonly string[] {
    return ["ax"];
  },
  hostInit(): Record<string, number> {
    // eta is replaced by the first step's lr (see `scalars`).
    return { eta: 0, mu: 1 };
  },
  uniforms(): readonly string[] {
    return ["decay", "neg_eta", "mu"];
  },
  scalars(h: Hyper, host: HostState, lr: number): number[] {
    const lambd = _hyperNumber(h, "lambd");
    const t = host.step;
    const eta = t === 1 ? Math.fround(lr) : host.eta;
    const mu = t === 1 ? 1 : host.mu;
    host.eta = Math.fround(lr / (1 + lambd * lr * t) ** _hyperNumber(h, "alpha"));
    host.mu = Math.fround(1 / Math.max(1, t - _hyperNumber(h, "t0")));
    return [1 - lambd * eta, -eta, mu];
  },
  kernel(): LaneProgram {
    const k = new LaneBuilder();
    k.set("p", k.p.mul(k.u("decay")));
    k.set("p", k.p.add(k.u("neg_eta").mul(k.g)));
    const ax = k.slot("ax");
    k.set("ax", select(k.u("mu").eq(1), k.p, ax.add(k.p.sub(ax).mul(k.u("mu")))));
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
    const decay = s[0], negEta = s[1], mu = s[2];
    const ax = slots[0];
    for (let i = from; i < to; i++) {
      const pi = f(f(p[i] * decay) + f(negEta * g[i]));
      p[i] = pi;
      ax[i] = mu === 1 ? pi : f(ax[i] + f(f(pi - ax[i]) * mu));
    }
  },
}));
