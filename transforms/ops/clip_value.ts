/**
 * Private: the home of `clipByValue`: its plan operation `clip_value`, its uniform, WGSL and CPU
 * reference (torch's `clamp_(-c, c)`: NaN stays NaN).
 *
 * @module
 */

import type { ClipValueTransform } from "../types.ts";
import type { ElementOpKind, TransformKind } from "./_op.ts";

/** The plan operation: clip every element to `[-clipValue, clipValue]`. */
export interface ClipValueOp {
  /** Discriminant. */
  readonly op: "clip_value";
  /** Bound c > 0. */
  readonly clipValue: number;
}

/**
 * `clip_value` transforms compile to one `clip_value` operation.
 *
 * @example Usage
 * ```ts
 * import { compilePlan } from "../plan.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(compilePlan([{ kind: "clip_value", clipValue: 2 }]).ops, [{ op: "clip_value", clipValue: 2 }]);
 * ```
 */
export const clipValueKind: TransformKind<ClipValueTransform> = {
  kind: "clip_value",
  compile(t, plan) {
    plan.ops.push({ op: "clip_value", clipValue: t.clipValue } as ClipValueOp);
  },
};

/**
 * The `clip_value` operation.
 *
 * @example Usage
 * ```ts
 * import { clipValueOp } from "./clip_value.ts";
 * import { deepEqual } from "node:assert/strict";
 * const g = new Float32Array([3, -0.5, NaN]);
 * clipValueOp.cpu({ op: "clip_value", clipValue: 1 }, {
 *   g, p: new Float32Array(3), tensor: 0, attempt: 1, stepValue: 1,
 *   tensorScale: () => 1, globalScale: () => 1,
 * });
 * deepEqual([...g], [1, -0.5, NaN]);
 * ```
 */
export const clipValueOp: ElementOpKind<ClipValueOp> = {
  op: "clip_value",
  needsTensor: false,
  uniforms: (_op, k) => [[`clip${k}`, "f32"]],
  uniformValues: (op, k) => ({ [`clip${k}`]: op.clipValue }),
  kernel(_op, k, b) {
    const c = b.e(`clip${k}`);
    b.set("g", b.g.max(c.neg()).min(c));
  },
  cpu(op, { g }) {
    const c = Math.fround(op.clipValue);
    for (let j = 0; j < g.length; j++) g[j] = Math.min(Math.max(g[j], -c), c);
  },
};
