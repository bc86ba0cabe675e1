/**
 * Private: the Adam update shared by `adam` (coupled L2 weight decay) and `adamw` (decoupled),
 * with PyTorch >= 2.0 numerics:
 *
 * ```
 * m = β1·m + (1-β1)·g
 * v = β2·v + (1-β2)·g·g                 (amsgrad: vmax = max(vmax, v), used in place of v)
 * denom = sqrt(v) / sqrt(1-β2^t) + eps
 * p = p + ((-lr/(1-β1^t))·m) / denom  (torch's addcdiv order: value·m first)
 * ```
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
import { _hyperBoolean, _hyperPair } from "./_read_hyper.ts";
import { LaneBuilder, type LaneProgram } from "../kernels/lane.ts";
import { _withWgsl } from "./_kernel_def.ts";
import type { HostState, Hyper, OptimizerDef, WeightDecayMode } from "./types.ts";

const _UNIFORMS = Object.freeze([
  "beta1",
  "one_minus_beta1",
  "beta2",
  "one_minus_beta2",
  "neg_step_size",
  "bias_correction2_sqrt",
  "eps",
]);

/**
 * The kernel description of Adam's moments, shared by adam, adamw, nadam and radam:
 * `exp_avg = exp_avg·β1 + g·(1-β1)`, `exp_avg_sq = exp_avg_sq·β2 + (g·(1-β2))·g`, each operation
 * rounded to float32 (uniforms `beta1`, `one_minus_beta1`, `beta2`, `one_minus_beta2`).
 *
 * @example Usage
 * ```ts
 * import { _adamMoments } from "./_adam_kernel.ts";
 * import { LaneBuilder } from "../kernels/lane.ts";
 * import { equal } from "node:assert/strict";
 * const k = new LaneBuilder();
 * _adamMoments(k);
 * equal(k.program().body.length, 2);
 * ```
 */
export function _adamMoments(k: LaneBuilder): void {
  const { g } = k;
  k.set("exp_avg", k.slot("exp_avg").mul(k.u("beta1")).add(g.mul(k.u("one_minus_beta1"))));
  const sq = k.slot("exp_avg_sq");
  k.set("exp_avg_sq", sq.mul(k.u("beta2")).add(g.mul(k.u("one_minus_beta2")).mul(g)));
}

/**
 * Build an Adam-family definition (`adam`, `adamw`).
 *
 * @example Usage
 * ```ts
 * import { _adamFamily } from "./_adam_kernel.ts";
 * import { equal } from "node:assert/strict";
 * const def = _adamFamily("adam", [], { betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, amsgrad: false, maximize: false }, "coupled");
 * equal(def.uniforms(def.defaults).length, 7);
 * ```
 */
export function _adamFamily(
  name: string,
  aliases: readonly string[],
  defaults: Hyper,
  weightDecay: WeightDecayMode,
): OptimizerDef {
  return _defineOptimizer(_withWgsl({
    name,
    aliases: Object.freeze([...aliases]),
    defaults,
    weightDecay,
    resolve(merged: Readonly<Record<string, unknown>>): Hyper {
      _checkKeys(name, merged, defaults);
      return _freeze({
        betas: _pair(name, merged, "betas", [_UNIT_OPEN, _UNIT_OPEN]),
        eps: _number(name, merged, "eps", _NONNEG),
        weight_decay: _number(name, merged, "weight_decay", _NONNEG),
        amsgrad: _boolean(name, merged, "amsgrad"),
        maximize: _boolean(name, merged, "maximize"),
        ...("decoupled_weight_decay" in defaults
          ? { decoupled_weight_decay: _coupledOnly(name, merged) }
          : {}),
      });
    },
    slots(h: Hyper): readonly string[] {
      return _hyperBoolean(h, "amsgrad")
        ? ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"]
        : ["exp_avg", "exp_avg_sq"];
    },
    uniforms(): readonly string[] {
      return _UNIFORMS;
    },
    scalars(h: Hyper, host: HostState, lr: number): number[] {
      const [b1, b2] = _hyperPair(h, "betas");
      const t = host.step;
      const bc1 = 1 - b1 ** t;
      const bc2 = 1 - b2 ** t;
      return [b1, 1 - b1, b2, 1 - b2, -lr / bc1, Math.sqrt(bc2), h.eps as number];
    },
    kernel(h: Hyper): LaneProgram {
      const k = new LaneBuilder();
      _adamMoments(k);
      if (_hyperBoolean(h, "amsgrad")) {
        k.set("max_exp_avg_sq", k.slot("max_exp_avg_sq").max(k.slot("exp_avg_sq")));
      }
      const v = k.slot(_hyperBoolean(h, "amsgrad") ? "max_exp_avg_sq" : "exp_avg_sq");
      const denom = k.let("denom", v.sqrt().div(k.u("bias_correction2_sqrt")).add(k.u("eps")));
      k.set("p", k.p.add(k.u("neg_step_size").mul(k.slot("exp_avg")).div(denom)));
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
      const b1 = s[0], omb1 = s[1], b2 = s[2], omb2 = s[3];
      const negStep = s[4], bc2s = s[5], eps = s[6];
      const m = slots[0], v = slots[1];
      if (_hyperBoolean(h, "amsgrad")) {
        const vmax = slots[2];
        for (let i = from; i < to; i++) {
          const gi = g[i];
          const mi = f(f(m[i] * b1) + f(gi * omb1));
          const vi = f(f(v[i] * b2) + f(f(gi * omb2) * gi));
          const wi = Math.max(vmax[i], vi); // NaN-propagating, like torch.maximum
          const denom = f(f(f(Math.sqrt(wi)) / bc2s) + eps);
          m[i] = mi;
          v[i] = vi;
          vmax[i] = wi;
          p[i] = f(p[i] + f(f(negStep * mi) / denom));
        }
      } else {
        for (let i = from; i < to; i++) {
          const gi = g[i];
          const mi = f(f(m[i] * b1) + f(gi * omb1));
          const vi = f(f(v[i] * b2) + f(f(gi * omb2) * gi));
          const denom = f(f(f(Math.sqrt(vi)) / bc2s) + eps);
          m[i] = mi;
          v[i] = vi;
          p[i] = f(p[i] + f(f(negStep * mi) / denom));
        }
      }
    },
  }));
}
