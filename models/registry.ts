/**
 * RETURNN layer class names -> newbob's layer definitions (one file each under `layers/`).
 *
 * @module
 */

import type { LayerDef } from "./layers/_layer.ts";
import { linearLayer, softmaxLayer } from "./layers/linear.ts";
import { copyLayer, dropoutLayer } from "./layers/copy.ts";
import { recLayer } from "./layers/rec.ts";
import { convLayer } from "./layers/conv.ts";
import { batchNormLayer, layerNormLayer } from "./layers/norm.ts";
import { combineLayer } from "./layers/combine.ts";
import { selfAttentionLayer } from "./layers/self_attention.ts";
import { sourceLayer } from "./layers/source.ts";

/**
 * The supported layer classes by RETURNN class name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LAYER_CLASSES } from "./registry.ts";
 *
 * assert.equal(LAYER_CLASSES.softmax.className, "softmax");
 * assert.ok("self_attention" in LAYER_CLASSES);
 * ```
 */
export const LAYER_CLASSES: Readonly<Record<string, LayerDef>> = Object.freeze(
  Object.fromEntries(
    [
      linearLayer,
      softmaxLayer,
      recLayer,
      convLayer,
      copyLayer,
      dropoutLayer,
      layerNormLayer,
      batchNormLayer,
      combineLayer,
      selfAttentionLayer,
      sourceLayer,
    ].map((d) => [d.className, d]),
  ),
);
