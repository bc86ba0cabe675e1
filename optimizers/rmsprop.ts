/**
 * RMSprop (Hinton, 2012), optionally centered and with momentum, PyTorch >= 2.0 numerics.
 *
 * @module
 */

import { _boolean, _checkKeys, _freeze, _h, _hb, _NONNEG, _number } from "./_hyper.ts";
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
export const rmsprop: OptimizerDef = Object.freeze({
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
    if (_h(h, "momentum") > 0) slots.push("momentum_buffer");
    if (_hb(h, "centered")) slots.push("grad_avg");
    return slots;
  },
  slotInit(): number {
    return 0;
  },
  hostInit(): Record<string, number> {
    return {};
  },
  uniforms(): readonly string[] {
    return ["alpha", "one_minus_alpha", "eps", "momentum", "neg_lr"];
  },
  scalars(h: Hyper, _host: HostState, lr: number): number[] {
    const alpha = _h(h, "alpha");
    return [alpha, 1 - alpha, _h(h, "eps"), _h(h, "momentum"), -lr];
  },
  wgsl(h: Hyper): string {
    const lines = ["square_avg = square_avg * u.alpha + (g * u.one_minus_alpha) * g;"];
    if (_hb(h, "centered")) {
      lines.push(
        "grad_avg = grad_avg * u.alpha + g * u.one_minus_alpha;",
        // sq - ga² as one fused multiply-add, like torch's addcmul (see cpu): WGSL's fma()
        // may run unfused (llvmpipe does), so the product's rounding error is recovered
        // exactly (Dekker's split; every partial product is exact, so a compiler that
        // contracts them cannot change it) and subtracted after the exact sq - ga·ga.
        "let ga2 = grad_avg * grad_avg;",
        "let ga_split = grad_avg * 4097.0;",
        "let ga_hi = ga_split - (ga_split - grad_avg);",
        "let ga_lo = grad_avg - ga_hi;",
        "let ga2_err = select(",
        "  vec4<f32>(0.0),",
        "  ((ga_hi * ga_hi - ga2) + 2.0 * ga_hi * ga_lo) + ga_lo * ga_lo,",
        "  abs(grad_avg) < vec4<f32>(1e30),", // the split overflows beyond ~8e34
        ");",
        "let avg = sqrt((square_avg - ga2) - ga2_err) + u.eps;",
      );
    } else {
      lines.push("let avg = sqrt(square_avg) + u.eps;");
    }
    if (_h(h, "momentum") > 0) {
      lines.push(
        "momentum_buffer = momentum_buffer * u.momentum + g / avg;",
        "p = p + u.neg_lr * momentum_buffer;",
      );
    } else {
      lines.push("p = p + u.neg_lr * (g / avg);");
    }
    return lines.join("\n");
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
    const hasMomentum = _h(h, "momentum") > 0, centered = _hb(h, "centered");
    const sq = slots[0];
    const buf = hasMomentum ? slots[1] : sq;
    const ga = centered ? slots[hasMomentum ? 2 : 1] : sq;
    for (let i = from; i < to; i++) {
      const gi = g[i];
      const sqi = f(f(sq[i] * alpha) + f(f(gi * oma) * gi));
      sq[i] = sqi;
      let avg: number;
      if (centered) {
        const gai = f(f(ga[i] * alpha) + f(gi * oma));
        ga[i] = gai;
        // torch's addcmul(grad_avg, grad_avg, value=-1) is one fused multiply-add in float32
        // (the product is not rounded): with alpha = 0, sq - ga² is only the rounding error
        // of g², negative for about half the elements (sqrt gives NaN, as in torch). The
        // product of two float32 is exact in float64.
        avg = f(f(Math.sqrt(f(sqi - gai * gai))) + eps);
      } else {
        avg = f(f(Math.sqrt(sqi)) + eps);
      }
      if (hasMomentum) {
        const b = f(f(buf[i] * mu) + f(gi / avg));
        buf[i] = b;
        p[i] = f(p[i] + f(negLr * b));
      } else {
        p[i] = f(p[i] + f(negLr * f(gi / avg)));
      }
    }
  },
});
