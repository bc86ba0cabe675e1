/**
 * Private: the home of `weightDecay`: its plan operations `l2` (coupled: `g + rate·p` as one
 * fused multiply-add, like the optimizers' own coupled decay) and `p_scale` (decoupled
 * `p·(1 - lr·rate)`, constant `p·(1 - rate)`), their uniforms, WGSL and CPU references.
 *
 * @module
 */

import { fma } from "../../kernels/lane.ts";
import type { WeightDecayTransform } from "../types.ts";
import type { ElementOpKind, TransformKind } from "./_op.ts";

/** The plan operation of coupled decay: `g = g + rate·p` (one rounding). */
export interface L2Op {
  /** Discriminant. */
  readonly op: "l2";
  /** Rate. */
  readonly rate: number;
}

/** The plan operation of decoupled or constant decay: `p = p·factor`. */
export interface PScaleOp {
  /** Discriminant. */
  readonly op: "p_scale";
  /** Rate. */
  readonly rate: number;
  /** `factor = 1 - lr·rate` (decoupled) or `1 - rate` (constant). */
  readonly lrScaled: boolean;
}

/**
 * `weight_decay` transforms compile to `l2` or `p_scale` (none for a rate of 0).
 *
 * @example Usage
 * ```ts
 * import { compilePlan } from "../plan.ts";
 * import { deepEqual } from "node:assert/strict";
 * const plan = compilePlan([{ kind: "weight_decay", rate: 0.1, mode: "constant" }]);
 * deepEqual(plan.ops, [{ op: "p_scale", rate: 0.1, lrScaled: false }]);
 * ```
 */
export const weightDecayKind: TransformKind<WeightDecayTransform> = {
  kind: "weight_decay",
  compile(t, plan) {
    if (t.rate === 0) return;
    plan.ops.push(
      t.mode === "coupled"
        ? { op: "l2", rate: t.rate } as L2Op
        : { op: "p_scale", rate: t.rate, lrScaled: t.mode === "decoupled" } as PScaleOp,
    );
  },
};

/**
 * The `l2` operation.
 *
 * @example Usage
 * ```ts
 * import { l2Op } from "./weight_decay.ts";
 * import { equal } from "node:assert/strict";
 * const g = new Float32Array([1]);
 * l2Op.cpu({ op: "l2", rate: 0.5 }, {
 *   g, p: new Float32Array([4]), tensor: 0, attempt: 1, stepValue: 1,
 *   tensorScale: () => 1, globalScale: () => 1,
 * });
 * equal(g[0], 3);
 * ```
 */
export const l2Op: ElementOpKind<L2Op> = {
  op: "l2",
  needsTensor: false,
  uniforms: (_op, k) => [[`l2_${k}`, "f32"]],
  uniformValues: (op, k) => ({ [`l2_${k}`]: op.rate }),
  // One fused multiply-add, as the prologue's coupled weight decay.
  kernel: (_op, k, b) => b.set("g", fma(b.e(`l2_${k}`), b.p, b.g)),
  cpu(op, { g, p }) {
    // One fused multiply-add (float32 operands: the product is exact in float64).
    const r = Math.fround(op.rate);
    for (let j = 0; j < g.length; j++) g[j] = Math.fround(g[j] + r * p[j]);
  },
};

/**
 * The `p_scale` operation.
 *
 * @example Usage
 * ```ts
 * import { pScaleOp } from "./weight_decay.ts";
 * import { equal } from "node:assert/strict";
 * const op = { op: "p_scale" as const, rate: 0.1, lrScaled: true };
 * equal(pScaleOp.perStep!(op, 0.5), Math.fround(0.95));
 * ```
 */
export const pScaleOp: ElementOpKind<PScaleOp> = {
  op: "p_scale",
  needsTensor: false,
  uniforms: (_op, k) => [[`pscale${k}`, "f32"]],
  uniformValues: (_op, k, stepValue) => ({ [`pscale${k}`]: stepValue }),
  perStep: (op, lr) => Math.fround(op.lrScaled ? 1 - lr * op.rate : 1 - op.rate),
  kernel: (_op, k, b) => b.set("p", b.p.mul(b.e(`pscale${k}`))),
  cpu(_op, { p, stepValue }) {
    for (let j = 0; j < p.length; j++) p[j] = Math.fround(p[j] * stepValue);
  },
};
