/**
 * RETURNN's `source` layer: a data key (`data_key`, default `data`) as a layer, the same as
 * writing `"data:<key>"` in a `from` list.
 *
 * @module
 */

import type { LayerDef } from "./_layer.ts";

/**
 * The `source` layer class. The network resolves its `data_key` (it has no `from`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sourceLayer } from "./source.ts";
 *
 * assert.deepEqual(sourceLayer.options, ["data_key"]);
 * ```
 */
export const sourceLayer: LayerDef = {
  className: "source",
  options: ["data_key"],
  concatInputs: true,
  check: (_opts, ctx) => ctx.inputs[0] ?? null,
  params: () => [],
  forward: (_tf, _opts, inputs) => inputs[0],
};
