/**
 * RMSprop (Hinton, 2012), optionally centered and with momentum, PyTorch >= 2.0 numerics.
 *
 * @module
 */

import { _boolean, _checkKeys, _defineOptimizer, _freeze, _NONNEG, _number } from "./_hyper.ts";
import { _hyperBoolean, _hyperNumber } from "./_read_hyper.ts";
import { type Expr, fma, LaneBuilder, type LaneProgram } from "../kernels/lane.ts";
import { _withWgsl } from "./_kernel_def.ts";
import type { HostState, Hyper, OptimizerDef } from "./types.ts";

const _NAME = "rmsprop";
const _DEFAULTS: Hyper = Object.freeze({
  alpha: 0.99,
  eps: 1e-8,
  weight_decay: 0,
  momentum: 0,
  centered: false,
  maximize: false,
});

/**
 * RMSprop, matching `torch.optim.RMSprop`: `sq = α·sq + (1-α)·g²`; `avg = sqrt(sq) + eps`, or
 * with `centered` `ga = α·ga + (1-α)·g` and `avg = sqrt(sq - ga²) + eps` (`sq - ga²` fused, as
 * torch's `addcmul`: with α = 0 it is the rounding error of g², NaN under the root where
 * negative, as in torch). With `momentum` μ > 0:
 * `buf = μ·buf + g/avg`, `p -= lr·buf`; otherwise `p -= lr·(g/avg)`.
 *
 * Defaults: `alpha` 0.99, `eps` 1e-8 (see the registry's RETURNN 1e-16 epsilon), `weight_decay`
 * 0 (coupled L2), `momentum` 0, `centered` false, `maximize` false. Slots: `square_avg`, then
 * `momentum_buffer` when momentum > 0, then `grad_avg` when centered. Accepted class names:
 * `rmsprop`, `rmspropoptimizer`.
 *
 * @example Usage
 * ```ts
 * import { rmsprop } from "./rmsprop.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const h = rmsprop.resolve({ ...rmsprop.defaults, centered: true, momentum: 0.9 });
 * deepEqual(rmsprop.slots(h), ["square_avg", "momentum_buffer", "grad_avg"]);
 * ```
 */
export const rmsprop: OptimizerDef = _defineOptimizer(_withWgsl({
  name: _NAME,
  aliases: Object.freeze(["rmspropoptimizer"]),
  defaults: _DEFAULTS,
  weightDecay: "coupled",
  resolve(merged: Readonly<Record<string, unknown>>): Hyper {
    _checkKeys(_NAME, merged, _DEFAULTS);
    return _freeze({
      alpha: _number(_NAME, merged, "alpha", _NONNEG),
      eps: _number(_NAME, merged, "eps", _NONNEG),
      weight_decay: _number(_NAME, merged, "weight_decay", _NONNEG),
      momentum: _number(_NAME, merged, "momentum", _NONNEG),
      centered: _boolean(_NAME, merged, "centered"),
      maximize: _boolean(_NAME, merged, "maximize"),
    });
  },
  slots(h: Hyper): readonly string[] {
    const slots = ["square_avg"];
    if (_hyperNumber(h, "momentum") > 0) slots.push("momentum_buffer");
    if (_hyperBoolean(h, "centered")) slots.push("grad_avg");
    return slots;
  },
  uniforms(h: Hyper): readonly string[] {
    const names = ["alpha", "one_minus_alpha", "eps", "momentum", "neg_lr"];
    // `one` (= 1) is opaque to the shader compiler: the centered kernel's exact sums need it.
    return _hyperBoolean(h, "centered") ? [...names, "one"] : names;
  },
  scalars(h: Hyper, _host: HostState, lr: number): number[] {
    const alpha = _hyperNumber(h, "alpha");
    const s = [alpha, 1 - alpha, _hyperNumber(h, "eps"), _hyperNumber(h, "momentum"), -lr];
    return _hyperBoolean(h, "centered") ? [...s, 1] : s;
  },
  kernel(h: Hyper): LaneProgram {
    const k = new LaneBuilder();
    const { g } = k;
    const alpha = k.u("alpha"), oma = k.u("one_minus_alpha"), sq = k.slot("square_avg");
    let avg: Expr;
    if (!_hyperBoolean(h, "centered")) {
      k.set("square_avg", sq.mul(alpha).add(g.mul(oma).mul(g)));
      avg = k.let("avg", k.slot("square_avg").sqrt().add(k.u("eps")));
    } else {
      // Centered: sq - ga² cancels (by about 1/alpha for small alpha), so sq and ga must be
      // torch's values to the last bit: torch's CPU kernels run `addcmul_` and `add_(x, alpha)`
      // as fused multiply-adds (see cpu).
      k.set("square_avg", fma(g.mul(oma), g, sq.mul(alpha)));
      const ga = k.slot("grad_avg");
      k.set("grad_avg", fma(g, oma, ga.mul(alpha)));
      const variance = fma(ga.neg(), ga, k.slot("square_avg"));
      avg = k.let("avg", variance.sqrt().add(k.u("eps")));
    }
    if (_hyperNumber(h, "momentum") > 0) {
      const buf = k.slot("momentum_buffer");
      k.set("momentum_buffer", buf.mul(k.u("momentum")).add(g.div(avg)));
      k.set("p", k.p.add(k.u("neg_lr").mul(buf)));
    } else {
      k.set("p", k.p.add(k.u("neg_lr").mul(g).div(avg)));
    }
    return k.program();
  },
  cpu(
    h: Hyper,
    s: Float32Array,
    p: Float32Array,
    g: Float32Array,
    slots: readonly Float32Array[],
    from: number,
    to: number,
  ): void {
    const f = Math.fround;
    const alpha = s[0], oma = s[1], eps = s[2], mu = s[3], negLr = s[4];
    const hasMomentum = _hyperNumber(h, "momentum") > 0, centered = _hyperBoolean(h, "centered");
    const sq = slots[0];
    const buf = hasMomentum ? slots[1] : sq;
    const ga = centered ? slots[hasMomentum ? 2 : 1] : sq;
    // Fused multiply-add of float32 operands: the product is exact in float64.
    const fma = (a: number, b: number, c: number) => f(a * b + c);
    for (let i = from; i < to; i++) {
      const gi = g[i];
      let avg: number;
      if (centered) {
        // torch: square_avg.mul_(alpha).addcmul_(g, g, value=1-alpha) and
        // grad_avg.mul_(alpha).add_(g, alpha=1-alpha), each a fused multiply-add in its CPU
        // kernels; sq - ga² below cancels, so these roundings matter (see wgsl).
        const sqi = fma(f(gi * oma), gi, f(sq[i] * alpha));
        sq[i] = sqi;
        const gai = fma(gi, oma, f(ga[i] * alpha));
        ga[i] = gai;
        // torch's addcmul(grad_avg, grad_avg, value=-1) is one fused multiply-add in float32
        // (the product is not rounded): with alpha = 0, sq - ga² is only the rounding error
        // of g², negative for about half the elements (sqrt gives NaN, as in torch). The
        // product of two float32 is exact in float64.
        avg = f(f(Math.sqrt(fma(-gai, gai, sqi))) + eps);
      } else {
        const sqi = f(f(sq[i] * alpha) + f(f(gi * oma) * gi));
        sq[i] = sqi;
        avg = f(f(Math.sqrt(sqi)) + eps);
      }
      if (hasMomentum) {
        const b = f(f(buf[i] * mu) + f(gi / avg));
        buf[i] = b;
        p[i] = f(p[i] + f(negLr * b));
      } else {
        p[i] = f(p[i] + f(f(negLr * gi) / avg));
      }
    }
  },
}));
