/**
 * RAdam (Liu et al., 2020): Adam with a rectified adaptive learning rate, PyTorch >= 2.0
 * numerics.
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
import { f32, LaneBuilder, type LaneProgram } from "../kernels/lane.ts";
import { _adamMoments } from "./_adam_kernel.ts";
import { _withWgsl } from "./_kernel_def.ts";
import type { HostState, Hyper, OptimizerDef } from "./types.ts";

const _NAME = "radam";
const _DEFAULTS: Hyper = Object.freeze({
  betas: Object.freeze([0.9, 0.999]),
  eps: 1e-8,
  weight_decay: 0,
  maximize: false,
  decoupled_weight_decay: false,
});

/**
 * RAdam, matching `torch.optim.RAdam` (single-tensor path; the 1.13 foreach path drops eps):
 *
 * ```
 * m = β1·m + (1-β1)·g;  v = β2·v + (1-β2)·g²;  m̂ = m/(1-β1^t)
 * ρ∞ = 2/(1-β2) - 1;  ρ_t = ρ∞ - 2t·β2^t/(1-β2^t)          (float64 on the host)
 * ρ_t > 5:  p -= ((m̂·lr)·(sqrt(1-β2^t)/(sqrt(v)+eps)))·r_t
 *           r_t = sqrt((ρ_t-4)(ρ_t-2)ρ∞ / ((ρ∞-4)(ρ∞-2)ρ_t))
 * else:     p -= m̂·lr
 * ```
 *
 * ρ_t must be float64: with β2 = 0.999, ρ_5 = 4.996 sits 0.004 below the threshold, and a
 * float32 ρ_t carries enough cancellation error to flip the branch.
 *
 * Defaults: `betas` [0.9, 0.999], `eps` 1e-8 (see the registry's RETURNN 1e-16 epsilon),
 * `weight_decay` 0 (coupled L2), `maximize` false, `decoupled_weight_decay` false (PyTorch >= 2.1;
 * `true` makes the registry pick the decoupled twin, which decays `p *= 1 - lr·weight_decay`
 * first; this definition object itself rejects `true`). Slots: `exp_avg`, `exp_avg_sq`. Accepted
 * class name: `radam`.
 *
 * @example Usage
 * ```ts
 * import { radam } from "./radam.ts";
 * import { equal } from "node:assert/strict";
 *
 * const h = radam.resolve(radam.defaults);
 * const rectified = radam.uniforms(h).indexOf("rectified");
 * equal(radam.scalars(h, { step: 5 }, 1e-3)[rectified], 0); // ρ_5 = 4.996
 * equal(radam.scalars(h, { step: 6 }, 1e-3)[rectified], 1);
 * ```
 */
export const radam: OptimizerDef = _defineOptimizer(_withWgsl({
  name: _NAME,
  aliases: Object.freeze([]),
  defaults: _DEFAULTS,
  weightDecay: "coupled",
  resolve(merged: Readonly<Record<string, unknown>>): Hyper {
    _checkKeys(_NAME, merged, _DEFAULTS);
    return _freeze({
      betas: _pair(_NAME, merged, "betas", [_UNIT_OPEN, _UNIT_OPEN]),
      eps: _number(_NAME, merged, "eps", _NONNEG),
      weight_decay: _number(_NAME, merged, "weight_decay", _NONNEG),
      maximize: _boolean(_NAME, merged, "maximize"),
      decoupled_weight_decay: _coupledOnly(_NAME, merged),
    });
  },
  slots(): readonly string[] {
    return ["exp_avg", "exp_avg_sq"];
  },
  uniforms(): readonly string[] {
    return [
      "beta1",
      "one_minus_beta1",
      "beta2",
      "one_minus_beta2",
      "bias_correction1",
      "lr",
      "bias_correction2_sqrt",
      "eps",
      "rect",
      "rectified",
    ];
  },
  scalars(h: Hyper, host: HostState, lr: number): number[] {
    const [b1, b2] = _hyperPair(h, "betas");
    const t = host.step;
    const bc1 = 1 - b1 ** t;
    const bc2 = 1 - b2 ** t;
    const rhoInf = 2 / (1 - b2) - 1;
    const rhoT = rhoInf - (2 * t * b2 ** t) / bc2;
    const rectified = rhoT > 5;
    const rect = rectified
      ? Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT))
      : 0;
    return [
      b1,
      1 - b1,
      b2,
      1 - b2,
      bc1,
      lr,
      Math.sqrt(bc2),
      _hyperNumber(h, "eps"),
      rect,
      rectified ? 1 : 0,
    ];
  },
  kernel(): LaneProgram {
    const k = new LaneBuilder();
    _adamMoments(k);
    const corrected = k.let("corrected", k.slot("exp_avg").div(k.u("bias_correction1")));
    const step = k.let("step", corrected.mul(k.u("lr")));
    k.when(k.u("rectified").ne(0), () => {
      // torch: math.sqrt(bc2) / tensor, which Tensor.__rdiv__ runs as reciprocal() * scalar
      const root = k.slot("exp_avg_sq").sqrt().add(k.u("eps"));
      const adaptive = k.let("adaptive_lr", f32(1).div(root).mul(k.u("bias_correction2_sqrt")));
      k.set("p", k.p.sub(step.mul(adaptive).mul(k.u("rect"))));
    });
    k.when(k.u("rectified").eq(0), () => k.set("p", k.p.sub(step)));
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
    const b1 = s[0], omb1 = s[1], b2 = s[2], omb2 = s[3], bc1 = s[4], lr = s[5];
    const bc2s = s[6], eps = s[7], rect = s[8], rectified = s[9] !== 0;
    const m = slots[0], v = slots[1];
    for (let i = from; i < to; i++) {
      const gi = g[i];
      const mi = f(f(m[i] * b1) + f(gi * omb1));
      const vi = f(f(v[i] * b2) + f(f(gi * omb2) * gi));
      m[i] = mi;
      v[i] = vi;
      const step = f(f(mi / bc1) * lr);
      if (rectified) {
        // torch: math.sqrt(bc2) / tensor is Tensor.__rdiv__, reciprocal() * scalar.
        const adaptive = f(f(1 / f(f(Math.sqrt(vi)) + eps)) * bc2s);
        p[i] = f(p[i] - f(f(step * adaptive) * rect));
      } else {
        p[i] = f(p[i] - step);
      }
    }
  },
}));
