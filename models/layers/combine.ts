/**
 * RETURNN's `combine` layer: its inputs (same shape) added or multiplied element-wise, with an
 * optional `activation`.
 *
 * @module
 */

import type { Tf, tfjs } from "../_tf.ts";
import { _applyActivation, _checkActivation } from "../_activation.ts";
import { maskPadding, type SeqTensor } from "../seq.ts";
import { showValue } from "../../_util/validate.ts";
import { didYouMeanSuffix } from "../../_util/did_you_mean.ts";
import {
  _posInt,
  type CheckContext,
  type DimInfo,
  type LayerDef,
  type LayerOutput,
} from "./_layer.ts";

const KINDS = ["add", "mul", "sub", "truediv", "maximum", "minimum", "average"];

/**
 * The `combine` layer class.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { combineLayer } from "./combine.ts";
 *
 * assert.equal(combineLayer.concatInputs, false);
 * ```
 */
export const combineLayer: LayerDef = {
  className: "combine",
  options: ["kind", "activation", "n_out"],
  concatInputs: false,
  check(opts, ctx: CheckContext): DimInfo | null {
    const kind = opts.kind;
    if (kind === undefined) ctx.problem(`'kind' is required: one of ${KINDS.join(", ")}`);
    else if (typeof kind !== "string" || !KINDS.includes(kind)) {
      ctx.problem(
        `'kind' must be one of ${KINDS.join(", ")}: current value is ${showValue(kind)}.` +
          (typeof kind === "string" ? didYouMeanSuffix(kind, KINDS) : ""),
      );
    }
    const a = _checkActivation(opts.activation);
    if (a) ctx.problem(a);
    const nOut = _posInt(opts, "n_out", ctx, false);
    if (ctx.inputs.length === 0) return null;
    const dims = new Set(ctx.inputs.map((x) => x.dim));
    if (ctx.inputs.some((x) => x.sparse)) {
      ctx.problem("combine needs dense inputs, but one input is sparse");
      return null;
    }
    if (dims.size > 1) {
      ctx.problem(
        `its inputs must have the same features: they have ${
          ctx.inputs.map((x) => x.dim).join(", ")
        }`,
      );
      return null;
    }
    const dim = ctx.inputs[0].dim;
    if (nOut !== null && nOut !== dim) {
      ctx.problem(`'n_out' is ${nOut} but the inputs have ${dim} features`);
    }
    return { dim, sparse: false };
  },
  params: () => [],
  forward(tf: Tf, opts, inputs: readonly SeqTensor[]): LayerOutput {
    const xs = inputs.map((x) => x.values);
    const op: Record<string, (a: tfjs.Tensor, b: tfjs.Tensor) => tfjs.Tensor> = {
      add: (a, b) => tf.add(a, b),
      mul: (a, b) => tf.mul(a, b),
      sub: (a, b) => tf.sub(a, b),
      truediv: (a, b) => tf.div(a, b),
      maximum: (a, b) => tf.maximum(a, b),
      minimum: (a, b) => tf.minimum(a, b),
      average: (a, b) => tf.add(a, b),
    };
    let y = xs.slice(1).reduce(op[opts.kind as string], xs[0]);
    if (opts.kind === "average") y = tf.div(y, xs.length);
    // Lengths: RETURNN requires the same time axis; the first input's lengths are kept.
    const seqLens = inputs[0].seqLens;
    const values = maskPadding(
      tf,
      _applyActivation(tf, (opts.activation ?? null) as string | null, y),
      seqLens,
    );
    return { values, seqLens, dim: inputs[0].dim, sparse: false };
  },
};
