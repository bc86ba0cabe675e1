/**
 * Stochastic gradient descent with optional (Nesterov) momentum and dampening, PyTorch >= 2.0
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
  _rangeError,
} from "./_hyper.ts";
import { _hyperBoolean, _hyperNumber } from "./_read_hyper.ts";
import { LaneBuilder, type LaneProgram, select } from "../kernels/lane.ts";
import { _withWgsl } from "./_kernel_def.ts";
import type { HostState, Hyper, OptimizerDef } from "./types.ts";

const _NAME = "sgd";
const _DEFAULTS: Hyper = Object.freeze({
  momentum: 0,
  dampening: 0,
  weight_decay: 0,
  nesterov: false,
  maximize: false,
});

/**
 * SGD, matching `torch.optim.SGD`. With `momentum` μ > 0 the first step sets the buffer to the
 * gradient (no dampening); later steps use `buf = μ·buf + (1-dampening)·g`. The direction is
 * `g + μ·buf` with `nesterov`, else `buf`; then `p -= lr·direction`. Without momentum,
 * `p -= lr·g`.
 *
 * Defaults: `momentum` 0, `dampening` 0, `weight_decay` 0 (coupled L2), `nesterov` false,
 * `maximize` false. Slot: `momentum_buffer`, only when momentum > 0. Accepted class names:
 * `sgd`, `gradientdescent`, `gradientdescentoptimizer`, and (through the registry, which
 * requires a `momentum` then) `momentum`, `momentumoptimizer`.
 *
 * @example Usage
 * ```ts
 * import { sgd } from "./sgd.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const h = sgd.resolve({ ...sgd.defaults, momentum: 0.9, nesterov: true });
 * deepEqual(sgd.slots(h), ["momentum_buffer"]);
 * deepEqual(sgd.slots(sgd.resolve(sgd.defaults)), []);
 * ```
 */
export const sgd: OptimizerDef = _defineOptimizer(_withWgsl({
  name: _NAME,
  aliases: Object.freeze([
    "gradientdescent",
    "gradientdescentoptimizer",
    "momentum",
    "momentumoptimizer",
  ]),
  defaults: _DEFAULTS,
  weightDecay: "coupled",
  resolve(merged: Readonly<Record<string, unknown>>): Hyper {
    _checkKeys(_NAME, merged, _DEFAULTS);
    const momentum = _number(_NAME, merged, "momentum", _NONNEG);
    const dampening = _number(_NAME, merged, "dampening");
    const nesterov = _boolean(_NAME, merged, "nesterov");
    if (nesterov && (momentum <= 0 || dampening !== 0)) {
      throw _rangeError(
        _NAME,
        `'nesterov' requires 'momentum' > 0 and 'dampening' = 0: current values are ` +
          `momentum ${momentum}, dampening ${dampening}`,
      );
    }
    return _freeze({
      momentum,
      dampening,
      weight_decay: _number(_NAME, merged, "weight_decay", _NONNEG),
      nesterov,
      maximize: _boolean(_NAME, merged, "maximize"),
    });
  },
  slots(h: Hyper): readonly string[] {
    return _hyperNumber(h, "momentum") > 0 ? ["momentum_buffer"] : [];
  },
  uniforms(h: Hyper): readonly string[] {
    return _hyperNumber(h, "momentum") > 0
      ? ["neg_lr", "momentum", "one_minus_dampening", "first_step"]
      : ["neg_lr"];
  },
  scalars(h: Hyper, host: HostState, lr: number): number[] {
    const momentum = _hyperNumber(h, "momentum");
    if (!(momentum > 0)) return [-lr];
    return [-lr, momentum, 1 - _hyperNumber(h, "dampening"), host.step === 1 ? 1 : 0];
  },
  kernel(h: Hyper): LaneProgram {
    const k = new LaneBuilder();
    const { g } = k;
    if (!(_hyperNumber(h, "momentum") > 0)) {
      k.set("p", k.p.add(k.u("neg_lr").mul(g)));
      return k.program();
    }
    const buf = k.slot("momentum_buffer");
    const decayed = buf.mul(k.u("momentum")).add(g.mul(k.u("one_minus_dampening")));
    k.set("momentum_buffer", select(k.u("first_step").ne(0), g, decayed));
    const b = k.slot("momentum_buffer");
    const d = _hyperBoolean(h, "nesterov") ? g.add(b.mul(k.u("momentum"))) : b;
    k.set("p", k.p.add(k.u("neg_lr").mul(d)));
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
    const negLr = s[0];
    if (!(_hyperNumber(h, "momentum") > 0)) {
      for (let i = from; i < to; i++) p[i] = f(p[i] + f(negLr * g[i]));
      return;
    }
    const mu = s[1], omd = s[2], first = s[3] !== 0;
    const nesterov = _hyperBoolean(h, "nesterov");
    const buf = slots[0];
    for (let i = from; i < to; i++) {
      const gi = g[i];
      const b = first ? gi : f(f(buf[i] * mu) + f(gi * omd));
      buf[i] = b;
      const d = nesterov ? f(gi + f(b * mu)) : b;
      p[i] = f(p[i] + f(negLr * d));
    }
  },
}));
