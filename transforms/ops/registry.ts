/**
 * Private: the registry of gradient transforms: every transform kind (how it compiles into a
 * plan) and every element-wise operation (its uniforms, kernel code and CPU reference), found by
 * name. Adding a transform is its factory, its data type in `../types.ts`, its home in this
 * folder and one line here.
 *
 * @module
 */

import type { GradientTransform } from "../types.ts";
import type { ElementOpKind, TransformKind } from "./_op.ts";
import { accumulateKind } from "./accumulate.ts";
import { clipGlobalNormKind, globalScaleOp } from "./clip_global_norm.ts";
import { clipNormKind, tensorScaleOp } from "./clip_norm.ts";
import { clipValueKind, clipValueOp } from "./clip_value.ts";
import { noiseKind, noiseOp } from "./noise.ts";
import { skipInvalidKind } from "./skip_invalid.ts";
import { l2Op, pScaleOp, weightDecayKind } from "./weight_decay.ts";

/**
 * Every transform kind, by `kind`.
 *
 * @example Usage
 * ```ts
 * import { TRANSFORM_KINDS } from "./registry.ts";
 * import { equal } from "node:assert/strict";
 * equal(TRANSFORM_KINDS.has("clip_global_norm"), true);
 * ```
 */
export const TRANSFORM_KINDS: ReadonlyMap<string, TransformKind> = new Map(
  ([
    clipValueKind,
    clipNormKind,
    clipGlobalNormKind,
    noiseKind,
    weightDecayKind,
    accumulateKind,
    skipInvalidKind,
  ] as TransformKind<GradientTransform>[]).map((k) => [k.kind, k]),
);

/** Every element-wise operation, by `op`. */
const ELEMENT_OPS: ReadonlyMap<string, ElementOpKind> = new Map(
  ([clipValueOp, noiseOp, l2Op, pScaleOp, tensorScaleOp, globalScaleOp] as ElementOpKind[])
    .map((o) => [o.op, o]),
);

/**
 * The operation named `op`.
 *
 * @throws {RangeError} for an operation no module defines.
 * @example Usage
 * ```ts
 * import { elementOp } from "./registry.ts";
 * import { equal, throws } from "node:assert/strict";
 * equal(elementOp("noise").needsTensor, true);
 * throws(() => elementOp("sharpen"), /no transform module defines it/);
 * ```
 */
export function elementOp(op: string): ElementOpKind {
  const kind = ELEMENT_OPS.get(op);
  if (!kind) {
    throw new RangeError(
      `Cannot run the plan operation '${op}' as no transform module defines it: known ` +
        `operations are ${[...ELEMENT_OPS.keys()].join(", ")}`,
    );
  }
  return kind;
}
