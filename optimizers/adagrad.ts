/**
 * Adagrad (Duchi et al., 2011), PyTorch >= 2.0 numerics.
 *
 * @module
 */

import { _boolean, _checkKeys, _defineOptimizer, _freeze, _NONNEG, _number } from "./_hyper.ts";
import { _hyperNumber } from "./_read_hyper.ts";
import { LaneBuilder, type LaneProgram } from "../kernels/lane.ts";
import { _withWgsl } from "./_kernel_def.ts";
import type { HostState, Hyper, OptimizerDef } from "./types.ts";

const _NAME = "adagrad";
const _DEFAULTS: Hyper = Object.freeze({
  lr_decay: 0,
  weight_decay: 0,
  initial_accumulator_value: 0,
  eps: 1e-10,
  maximize: false,
});

/**
 * Adagrad, matching `torch.optim.Adagrad`: `sum += g²`,
 * `p += -(lr/(1+(t-1)·lr_decay))·(g/(sqrt(sum) + eps))`.
 *
 * Defaults: `lr_decay` 0, `weight_decay` 0 (coupled L2), `initial_accumulator_value` 0 (the
 * initial value of `sum`), `eps` 1e-10 (see the registry's RETURNN 1e-16 epsilon), `maximize`
 * false. Slot: `sum`. Accepted class names: `adagrad`, `adagradoptimizer`.
 *
 * @example Usage
 * ```ts
 * import { adagrad } from "./adagrad.ts";
 * import { equal } from "node:assert/strict";
 *
 * const h = adagrad.resolve({ ...adagrad.defaults, initial_accumulator_value: 0.1 });
 * equal(adagrad.slotInit(h, "sum"), 0.1);
 * ```
 */
export const adagrad: OptimizerDef = _defineOptimizer(_withWgsl({
  name: _NAME,
  aliases: Object.freeze(["adagradoptimizer"]),
  defaults: _DEFAULTS,
  weightDecay: "coupled",
  resolve(merged: Readonly<Record<string, unknown>>): Hyper {
    _checkKeys(_NAME, merged, _DEFAULTS);
    return _freeze({
      lr_decay: _number(_NAME, merged, "lr_decay", _NONNEG),
      weight_decay: _number(_NAME, merged, "weight_decay", _NONNEG),
      initial_accumulator_value: _number(_NAME, merged, "initial_accumulator_value", _NONNEG),
      eps: _number(_NAME, merged, "eps", _NONNEG),
      maximize: _boolean(_NAME, merged, "maximize"),
    });
  },
  slots(): readonly string[] {
    return ["sum"];
  },
  slotInit(h: Hyper): number {
    return _hyperNumber(h, "initial_accumulator_value");
  },
  uniforms(): readonly string[] {
    return ["neg_clr", "eps"];
  },
  scalars(h: Hyper, host: HostState, lr: number): number[] {
    const clr = lr / (1 + (host.step - 1) * _hyperNumber(h, "lr_decay"));
    return [-clr, _hyperNumber(h, "eps")];
  },
  kernel(): LaneProgram {
    const k = new LaneBuilder();
    const { g } = k;
    k.set("sum", k.slot("sum").add(g.mul(g)));
    const denom = k.slot("sum").sqrt().add(k.u("eps"));
    k.set("p", k.p.add(k.u("neg_clr").mul(g).div(denom)));
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
    const negClr = s[0], eps = s[1];
    const sum = slots[0];
    for (let i = from; i < to; i++) {
      const gi = g[i];
      const si = f(sum[i] + f(gi * gi));
      sum[i] = si;
      p[i] = f(p[i] + f(f(negClr * gi) / f(f(Math.sqrt(si)) + eps)));
    }
  },
}));
