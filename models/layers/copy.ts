/**
 * RETURNN's `copy` layer (its `from` list concatenated in the feature dimension) and
 * `dropout` (a copy whose `dropout` option applies in training).
 *
 * @module
 */

import type { Tf } from "../_tf.ts";
import type { SeqTensor } from "../seq.ts";
import {
  _posInt,
  type CheckContext,
  type DimInfo,
  type LayerDef,
  type LayerOutput,
} from "./_layer.ts";

function _copyDef(className: string): LayerDef {
  return {
    className,
    options: ["n_out"],
    concatInputs: true,
    check(opts, ctx: CheckContext): DimInfo | null {
      const x = ctx.inputs[0];
      const nOut = _posInt(opts, "n_out", ctx, false);
      if (!x) return null;
      if (nOut !== null && nOut !== x.dim) {
        ctx.problem(`'n_out' is ${nOut} but the input has ${x.dim} features (a copy keeps them)`);
      }
      return x;
    },
    params: () => [],
    forward(_tf: Tf, _opts, inputs: readonly SeqTensor[]): LayerOutput {
      return inputs[0];
    },
  };
}

/**
 * The `copy` layer class.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { copyLayer } from "./copy.ts";
 *
 * assert.equal(copyLayer.className, "copy");
 * ```
 */
export const copyLayer: LayerDef = _copyDef("copy");

/**
 * The `dropout` layer class (RETURNN's `DropoutLayer` is a `copy`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dropoutLayer } from "./copy.ts";
 *
 * assert.equal(dropoutLayer.className, "dropout");
 * ```
 */
export const dropoutLayer: LayerDef = _copyDef("dropout");
