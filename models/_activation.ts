/**
 * RETURNN's activation names (`get_activation_function`) as TensorFlow.js functions.
 *
 * @module
 */

import type { Tf, tfjs } from "./_tf.ts";
import { didYouMeanSuffix } from "../_util/did_you_mean.ts";

/** An activation function. */
export type Activation = (tf: Tf, x: tfjs.Tensor) => tfjs.Tensor;

/** The supported activations, by RETURNN name. */
export const ACTIVATIONS: Readonly<Record<string, Activation>> = {
  identity: (_tf, x) => x,
  linear: (_tf, x) => x,
  relu: (tf, x) => tf.relu(x),
  tanh: (tf, x) => tf.tanh(x),
  sigmoid: (tf, x) => tf.sigmoid(x),
  softmax: (tf, x) => tf.softmax(x),
  log_softmax: (tf, x) => tf.logSoftmax(x),
  elu: (tf, x) => tf.elu(x),
  selu: (tf, x) => tf.selu(x),
  softplus: (tf, x) => tf.softplus(x),
  // TensorFlow's exact gelu: x * Phi(x) with the error function.
  gelu: (tf, x) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))),
  swish: (tf, x) => tf.mul(x, tf.sigmoid(x)),
  silu: (tf, x) => tf.mul(x, tf.sigmoid(x)),
  abs: (tf, x) => tf.abs(x),
  square: (tf, x) => tf.square(x),
  exp: (tf, x) => tf.exp(x),
  log: (tf, x) => tf.log(x),
};

/**
 * Check an `activation` option: null/undefined (none) or a supported name. RETURNN also allows
 * `"a+b"` chains (`"relu+square"`), applied left to right.
 *
 * @param value The option's value.
 * @returns A problem text, or null when fine.
 */
export function _checkActivation(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") {
    return `'activation' must be a string like "relu" or null: current value is ${typeof value}`;
  }
  for (const part of value.split("+")) {
    if (!(part in ACTIVATIONS)) {
      return `'activation' "${part}" is not supported: use one of ${
        Object.keys(ACTIVATIONS).join(", ")
      }.` +
        didYouMeanSuffix(part, Object.keys(ACTIVATIONS));
    }
  }
  return null;
}

/**
 * Apply an activation (already checked).
 *
 * @param tf The TensorFlow.js namespace.
 * @param name The activation, or null for none.
 * @param x The input.
 * @returns The activated tensor.
 */
export function _applyActivation(
  tf: Tf,
  name: string | null | undefined,
  x: tfjs.Tensor,
): tfjs.Tensor {
  if (!name) return x;
  let y = x;
  for (const part of name.split("+")) y = ACTIVATIONS[part](tf, y);
  return y;
}
