/**
 * NAdam (Dozat, 2016): Adam with Nesterov momentum, PyTorch >= 2.0 numerics.
 *
 * @module
 */

import {
  _boolean,
  _checkKeys,
  _coupledOnly,
  _defineOptimizer,
  _freeze,
  _NONNEG,
  _number,
  _pair,
  _UNIT_OPEN,
} from "./_hyper.ts";
import { _hyperNumber, _hyperPair } from "./_read_hyper.ts";
import { LaneBuilder, type LaneProgram } from "../kernels/lane.ts";
import { _adamMoments } from "./_adam_kernel.ts";
import { _withWgsl } from "./_kernel_def.ts";
import type { HostState, Hyper, OptimizerDef } from "./types.ts";

const _NAME = "nadam";
const _DEFAULTS: Hyper = Object.freeze({
  betas: Object.freeze([0.9, 0.999]),
  eps: 1e-8,
  weight_decay: 0,
  momentum_decay: 4e-3,
  maximize: false,
  decoupled_weight_decay: false,
});

/**
 * NAdam, matching `torch.optim.NAdam` of PyTorch >= 2.0 (the 1.13 single-tensor path had an extra
 * μ_t in the momentum product; the fixtures' foreach path and 2.x do not):
 *
 * ```
 * μ_t = β1·(1 - ½·0.96^(t·ψ)),  Π_t = Π_{t-1}·μ_t   (Π held in float32, like torch's 0-d tensor)
 * m = β1·m + (1-β1)·g;  v = β2·v + (1-β2)·g²;  denom = sqrt(v)/sqrt(1-β2^t) + eps
 * p += -lr·(1-μ_t)/(1-Π_t) · g/denom
 * p += -lr·μ_{t+1}/(1-Π_t·μ_{t+1}) · m/denom
 * ```
 *
 * Defaults: `betas` [0.9, 0.999], `eps` 1e-8 (see the registry's RETURNN 1e-16 epsilon),
 * `weight_decay` 0 (coupled L2), `momentum_decay` ψ 0.004, `maximize` false,
 * `decoupled_weight_decay` false (PyTorch >= 2.1; `true` makes the registry pick the decoupled
 * twin, "NAdamW", which decays `p *= 1 - lr·weight_decay` first; this definition object itself
 * rejects `true`). Slots: `exp_avg`,
 * `exp_avg_sq`; host state `mu_product`. Accepted class names: `nadam`, `nadamoptimizer`.
 *
 * @example Usage
 * ```ts
 * import { nadam } from "./nadam.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const h = nadam.resolve(nadam.defaults);
 * deepEqual(nadam.hostInit(h), { mu_product: 1 });
 * deepEqual(nadam.slots(h), ["exp_avg", "exp_avg_sq"]);
 * ```
 */
export const nadam: OptimizerDef = _defineOptimizer(_withWgsl({
  name: _NAME,
  aliases: Object.freeze(["nadamoptimizer"]),
  defaults: _DEFAULTS,
  weightDecay: "coupled",
  resolve(merged: Readonly<Record<string, unknown>>): Hyper {
    _checkKeys(_NAME, merged, _DEFAULTS);
    return _freeze({
      betas: _pair(_NAME, merged, "betas", [_UNIT_OPEN, _UNIT_OPEN]),
      eps: _number(_NAME, merged, "eps", _NONNEG),
      weight_decay: _number(_NAME, merged, "weight_decay", _NONNEG),
      momentum_decay: _number(_NAME, merged, "momentum_decay", _NONNEG),
      maximize: _boolean(_NAME, merged, "maximize"),
      decoupled_weight_decay: _coupledOnly(_NAME, merged),
    });
  },
  slots(): readonly string[] {
    return ["exp_avg", "exp_avg_sq"];
  },
  hostInit(): Record<string, number> {
    return { mu_product: 1 };
  },
  uniforms(): readonly string[] {
    return [
      "beta1",
      "one_minus_beta1",
      "beta2",
      "one_minus_beta2",
      "bias_correction2_sqrt",
      "eps",
      "coef_grad",
      "coef_exp_avg",
    ];
  },
  scalars(h: Hyper, host: HostState, lr: number): number[] {
    const [b1, b2] = _hyperPair(h, "betas");
    const psi = _hyperNumber(h, "momentum_decay");
    const t = host.step;
    const mu = b1 * (1 - 0.5 * 0.96 ** (t * psi));
    const muNext = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi));
    // torch keeps mu_product in a float32 0-d tensor: `mu_product *= mu` rounds to float32.
    const muProduct = Math.fround(host.mu_product * Math.fround(mu));
    host.mu_product = muProduct;
    return [
      b1,
      1 - b1,
      b2,
      1 - b2,
      Math.sqrt(1 - b2 ** t),
      _hyperNumber(h, "eps"),
      (-lr * (1 - mu)) / (1 - muProduct),
      (-lr * muNext) / (1 - muProduct * muNext),
    ];
  },
  kernel(): LaneProgram {
    const k = new LaneBuilder();
    const { g } = k;
    _adamMoments(k);
    const denom = k.let(
      "denom",
      k.slot("exp_avg_sq").sqrt().div(k.u("bias_correction2_sqrt")).add(k.u("eps")),
    );
    k.set("p", k.p.add(k.u("coef_grad").mul(g).div(denom)));
    k.set("p", k.p.add(k.u("coef_exp_avg").mul(k.slot("exp_avg")).div(denom)));
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
    const b1 = s[0], omb1 = s[1], b2 = s[2], omb2 = s[3], bc2s = s[4], eps = s[5];
    const cg = s[6], cm = s[7];
    const m = slots[0], v = slots[1];
    for (let i = from; i < to; i++) {
      const gi = g[i];
      const mi = f(f(m[i] * b1) + f(gi * omb1));
      const vi = f(f(v[i] * b2) + f(f(gi * omb2) * gi));
      const denom = f(f(f(Math.sqrt(vi)) / bc2s) + eps);
      m[i] = mi;
      v[i] = vi;
      const pi = f(p[i] + f(f(cg * gi) / denom));
      p[i] = f(pi + f(f(cm * mi) / denom));
    }
  },
}));
