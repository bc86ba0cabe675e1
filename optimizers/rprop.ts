/**
 * Rprop, resilient backpropagation (Riedmiller & Braun, 1993), PyTorch >= 2.0 numerics.
 *
 * @module
 */

import { _boolean, _checkKeys, _defineOptimizer, _freeze, _pair } from "./_hyper.ts";
import { _hyperPair } from "./_read_hyper.ts";
import { f32, LaneBuilder, type LaneProgram, select } from "../kernels/lane.ts";
import { _withWgsl } from "./_kernel_def.ts";
import type { HostState, Hyper, OptimizerDef } from "./types.ts";

const _NAME = "rprop";
const _DEFAULTS: Hyper = Object.freeze({
  etas: Object.freeze([0.5, 1.2]),
  step_sizes: Object.freeze([1e-6, 50]),
  maximize: false,
});

/**
 * Rprop, matching `torch.optim.Rprop`: `s = sign(g·prev)` with the product in float32 (so
 * `1e-30·1e-30` underflows to a sign of 0); the step size is multiplied by η+ (s > 0), η-
 * (s < 0) or 1 and clamped to `step_sizes` (`min(max(s, min), max)`, as torch's `clamp_`); `g` is zeroed where s < 0; `p -= sign(g)·step`;
 * `prev = g`. Step sizes start at the learning rate of the first step; later learning-rate
 * changes are ignored, as in torch. torch 1.13's `sign(NaN)` is 0: a NaN product keeps the
 * step size (factor 1), a NaN gradient leaves p in place and becomes `prev`.
 *
 * Defaults: `etas` [0.5, 1.2] (0 < η- < 1 < η+), `step_sizes` [1e-6, 50], `maximize` false. No
 * `weight_decay`. Slots: `prev`, `step_size`. Accepted class name: `rprop`.
 *
 * @example Usage
 * ```ts
 * import { rprop } from "./rprop.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(rprop.weightDecay, "none");
 * const h = rprop.resolve(rprop.defaults);
 * const s = Float32Array.from(rprop.scalars(h, { step: 1 }, 0.01));
 * const p = new Float32Array([1, 1]);
 * rprop.cpu(h, s, p, new Float32Array([3, -1e-30]), [new Float32Array(2), new Float32Array(2)], 0, 2);
 * equal(p[0], Math.fround(1 - Math.fround(0.01)));
 * equal(p[1], Math.fround(1 + Math.fround(0.01)));
 * ```
 */
export const rprop: OptimizerDef = _defineOptimizer(_withWgsl({
  name: _NAME,
  aliases: Object.freeze([]),
  defaults: _DEFAULTS,
  weightDecay: "none",
  resolve(merged: Readonly<Record<string, unknown>>): Hyper {
    _checkKeys(_NAME, merged, _DEFAULTS);
    const etas = _pair(_NAME, merged, "etas", [{ min: 0, max: 1, minOpen: true, maxOpen: true }, {
      min: 1,
      minOpen: true,
    }]);
    // torch checks only the etas: any finite step_sizes are accepted, and its
    // clamp_(min, max) is min(max(s, min), max), so min > max gives max everywhere.
    const steps = _pair(_NAME, merged, "step_sizes", [{}, {}]);
    return _freeze({ etas, step_sizes: steps, maximize: _boolean(_NAME, merged, "maximize") });
  },
  slots(): readonly string[] {
    return ["prev", "step_size"];
  },
  uniforms(): readonly string[] {
    return ["etaminus", "etaplus", "step_size_min", "step_size_max", "lr", "first_step"];
  },
  scalars(h: Hyper, host: HostState, lr: number): number[] {
    const [etaminus, etaplus] = _hyperPair(h, "etas");
    const [min, max] = _hyperPair(h, "step_sizes");
    return [etaminus, etaplus, min, max, lr, host.step === 1 ? 1 : 0];
  },
  kernel(): LaneProgram {
    const k = new LaneBuilder();
    const { g } = k;
    k.set("step_size", select(k.u("first_step").ne(0), k.u("lr"), k.slot("step_size")));
    const prod = k.let("prod", g.mul(k.slot("prev")));
    const st = k.slot("step_size");
    k.set("step_size", select(prod.gt(0), st.mul(k.u("etaplus")), st));
    k.set("step_size", select(prod.lt(0), st.mul(k.u("etaminus")), st));
    // torch's clamp_(min, max) = min(max(s, min), max): max wins when min > max; NaN stays.
    k.set("step_size", select(st.lt(k.u("step_size_min")), k.u("step_size_min"), st));
    k.set("step_size", select(st.gt(k.u("step_size_max")), k.u("step_size_max"), st));
    const kept = k.let("kept", select(prod.lt(0), f32(0), g));
    k.set("p", k.p.sub(kept.sign().mul(k.slot("step_size"))));
    k.set("prev", kept);
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
    const etaminus = s[0], etaplus = s[1], min = s[2], max = s[3], lr = s[4];
    const first = s[5] !== 0;
    const prev = slots[0], step = slots[1];
    for (let i = from; i < to; i++) {
      let gi = g[i];
      const prod = f(gi * prev[i]);
      let st = first ? lr : step[i];
      // torch 1.13's sign(NaN) is 0: a NaN product keeps the step size (factor 1) and a NaN
      // gradient leaves p where it is.
      if (prod > 0) st = f(st * etaplus);
      else if (prod < 0) {
        st = f(st * etaminus);
        gi = 0;
      }
      if (st < min) st = min; // torch's clamp_(min, max): max wins when min > max; NaN stays
      if (st > max) st = max;
      step[i] = st;
      prev[i] = gi;
      if (gi > 0) p[i] = f(p[i] - st);
      else if (gi < 0) p[i] = f(p[i] + st);
    }
  },
}));
