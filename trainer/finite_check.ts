/**
 * The check on parameters read back from the optimizer: no NaN or infinity may reach a
 * checkpoint (or the next step) unnoticed. The error names the first non-finite tensor.
 *
 * @module
 */

/**
 * A parameter tensor holds NaN or ±infinity: training diverged (or bad gradients were applied)
 * and nothing from this point on is saved.
 *
 * @example Usage
 * ```ts
 * import { NonFiniteParameterError } from "./finite_check.ts";
 * import { equal, match } from "node:assert/strict";
 *
 * const e = new NonFiniteParameterError("dense/kernel", 3, NaN, "after update step 7");
 * equal(e.tensor, "dense/kernel");
 * match(e.message, /resume/);
 * ```
 */
export class NonFiniteParameterError extends Error {
  /** Name of the first non-finite tensor. */
  readonly tensor: string;
  /** Index of its first non-finite element. */
  readonly index: number;
  /** The value found there (NaN, Infinity or -Infinity). */
  readonly value: number;
  /**
   * @param tensor Name of the tensor.
   * @param index Element index.
   * @param value The non-finite value.
   * @param when When it was read back (e.g. `"after update step 7 (epoch 2)"`).
   */
  constructor(tensor: string, index: number, value: number, when: string) {
    super(
      `Parameter '${tensor}' holds ${value} at element ${index} ${when}: training diverged, so ` +
        "nothing from this point on is saved (the last checkpoint is kept). Lower the learning " +
        "rate, clip gradients ('gradient_clip_global_norm'), or set " +
        "'num_allowed_consec_invalid_gradient_steps' to skip bad steps, then run the same " +
        "command again to resume from the last checkpoint",
    );
    this.name = "NonFiniteParameterError";
    this.tensor = tensor;
    this.index = index;
    this.value = value;
  }
}

/**
 * Throw when any parameter value is NaN or infinite, naming the first such tensor.
 *
 * @param names Tensor names, in `values` order.
 * @param values Parameter values read back from the optimizer.
 * @param when When they were read, for the message.
 * @throws {NonFiniteParameterError} On the first non-finite value.
 *
 * @example Usage
 * ```ts
 * import { assertFiniteParameters, NonFiniteParameterError } from "./finite_check.ts";
 * import { throws } from "node:assert/strict";
 * assertFiniteParameters(["w"], [new Float32Array([1, 2])], "now");
 * throws(() => assertFiniteParameters(["w", "b"], [new Float32Array(2), new Float32Array([0, NaN])], "now"), NonFiniteParameterError);
 * ```
 */
export function assertFiniteParameters(
  names: readonly string[],
  values: readonly Float32Array[],
  when: string,
): void {
  for (let t = 0; t < values.length; t++) {
    const v = values[t];
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (x - x !== 0) throw new NonFiniteParameterError(names[t] ?? `#${t}`, i, x, when);
    }
  }
}
