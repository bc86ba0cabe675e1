/**
 * RETURNN's PyTorch-style model functions for TypeScript configs: `get_model({epoch, step,
 * tf})` returns a TensorFlow.js model and `train_step({model, extern_data, run_ctx, tf})` marks
 * its losses with `run_ctx.markAsLoss`. Also the one gradient step both config styles use.
 *
 * @module
 */

import type { Tf, tfjs } from "./_tf.ts";
import type { SeqTensor } from "./seq.ts";
import { type LossStyle, RunCtx } from "./run_ctx.ts";
import { showValue } from "../_util/validate.ts";

/** What `get_model` receives. */
export interface GetModelArgs {
  /** The epoch the model is made for (1-based). */
  readonly epoch: number;
  /** The global train step. */
  readonly step: number;
  /** The TensorFlow.js namespace, on the chosen backend. */
  readonly tf: Tf;
}

/** What `train_step` receives. */
export interface TrainStepArgs<M = unknown> {
  /** What `get_model` returned. */
  readonly model: M;
  /** The batch: one padded tensor with lengths per data key (`extern_data.data.values`, `.seqLens`). */
  readonly extern_data: Readonly<Record<string, SeqTensor>>;
  /** Mark losses here: `run_ctx.markAsLoss("ce", loss)`. */
  readonly run_ctx: RunCtx;
  /** The TensorFlow.js namespace. */
  readonly tf: Tf;
  /** Whether this is a training step (false: evaluation on dev/eval data). */
  readonly train: boolean;
}

/** The config functions. */
export interface ModelFunctions<M = unknown> {
  /** Make the model (RETURNN's `get_model`). */
  get_model(args: GetModelArgs): M | Promise<M>;
  /** Mark the losses of one batch (RETURNN's `train_step`). */
  train_step(args: TrainStepArgs<M>): void;
}

/**
 * Check the model functions of a config: `get_model` and `train_step` must both be functions
 * (or both absent), and a `network` dict excludes them.
 *
 * @param config The config.
 * @returns The problems (empty: fine).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateModelFunctions } from "./function_model.ts";
 *
 * assert.deepEqual(validateModelFunctions({ get_model: () => null, train_step: () => {} }), []);
 * assert.equal(validateModelFunctions({ get_model: () => null }).length, 1);
 * ```
 */
export function validateModelFunctions(config: Readonly<Record<string, unknown>>): string[] {
  const problems: string[] = [];
  const has = (k: string) => config[k] !== undefined && config[k] !== null;
  for (const k of ["get_model", "train_step"]) {
    if (has(k) && typeof config[k] !== "function") {
      problems.push(`'${k}' must be a function: current value is ${showValue(config[k])}`);
    }
  }
  if (has("get_model") !== has("train_step")) {
    problems.push(
      `'${
        has("get_model") ? "train_step" : "get_model"
      }' is missing: a model-function config needs ` +
        "both get_model({epoch, step, tf}) and train_step({model, extern_data, run_ctx, tf})",
    );
  }
  if (has("network") && (has("get_model") || has("train_step"))) {
    problems.push(
      "'network' and 'get_model'/'train_step' both given: use one way to define the model",
    );
  }
  return problems;
}

/** A model's trainable parameters with stable names. */
export interface ModelParameters {
  /** Stable names, for checkpoints and the optimizer. */
  readonly names: string[];
  /** The variables, in `names` order. */
  readonly variables: tfjs.Variable[];
}

/**
 * The trainable parameters of what `get_model` returned: a `tf.LayersModel` (its
 * `trainableWeights`, named like `conv1/kernel`: name your layers for names that stay the
 * same from run to run), `{params: {name: tf.Variable}}`, `{variables, names?}` or an array
 * of `tf.Variable`s (named by their `name`).
 *
 * @param model The model.
 * @returns Names and variables in a fixed order.
 * @throws {TypeError} If the model is none of these, or two parameters share a name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { modelParameters } from "./function_model.ts";
 *
 * const p = modelParameters({ params: { w: tf.variable(tf.zeros([2])) } });
 * assert.deepEqual(p.names, ["w"]);
 * ```
 */
export function modelParameters(model: unknown): ModelParameters {
  const m = model as Record<string, unknown> | null;
  let names: string[];
  let variables: tfjs.Variable[];
  if (m && Array.isArray(m.trainableWeights) && typeof m.apply === "function") {
    const ws = m.trainableWeights as {
      originalName?: string;
      name: string;
      read(): tfjs.Variable;
    }[];
    names = ws.map((w) => w.originalName ?? w.name);
    variables = ws.map((w) => w.read());
  } else if (m && m.params && typeof m.params === "object" && !Array.isArray(m.params)) {
    const entries = Object.entries(m.params as Record<string, tfjs.Variable>);
    names = entries.map(([k]) => k);
    variables = entries.map(([, v]) => v);
  } else if (m && Array.isArray(m.variables)) {
    variables = m.variables as tfjs.Variable[];
    names = Array.isArray(m.names) ? (m.names as string[]) : variables.map((v) => v.name);
  } else if (Array.isArray(model)) {
    variables = model as tfjs.Variable[];
    names = variables.map((v) => v.name);
  } else {
    throw new TypeError(
      "Cannot find the model's parameters: get_model must return a tf.LayersModel, " +
        "{params: {name: tf.Variable}}, {variables, names?} or an array of tf.Variables: current " +
        `value is ${showValue(model)}`,
    );
  }
  if (names.length !== variables.length || new Set(names).size !== names.length) {
    throw new TypeError(
      `Cannot use the model's parameters: their names must be unique: ${names.join(", ")}`,
    );
  }
  return { names, variables };
}

/** What {@linkcode stepGradients} returns. */
export interface StepResult {
  /** The step's marked losses (dispose it after reading or accumulating them). */
  readonly ctx: RunCtx;
  /** The objective (`ctx.totalLoss()`). */
  readonly loss: tfjs.Scalar;
  /** One gradient per variable, in order (zeros for variables the loss does not reach). */
  readonly grads: tfjs.Tensor[];
}

/**
 * One training step's objective and gradients: runs `mark(ctx)` (a `train_step` call or
 * `network.step`) under `tf.variableGrads` and differentiates `ctx.totalLoss()`.
 *
 * @param tf The TensorFlow.js namespace.
 * @param variables The variables to differentiate for.
 * @param mark Marks the losses into the context.
 * @param style `"torch"` (train_step configs) or `"tf"` (network dicts).
 * @returns The context, the loss and the gradients.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { stepGradients } from "./function_model.ts";
 *
 * const w = tf.variable(tf.tensor1d([1, 2]));
 * const r = stepGradients(tf, [w], (ctx) => ctx.markAsLoss("l2", tf.square(w)));
 * assert.deepEqual(Array.from(r.grads[0].dataSync()), [2, 4]);
 * r.ctx.dispose();
 * ```
 */
export function stepGradients(
  tf: Tf,
  variables: readonly tfjs.Variable[],
  mark: (ctx: RunCtx) => void,
  style: LossStyle = "torch",
): StepResult {
  const ctx = new RunCtx(tf, { style });
  const { value, grads } = tf.variableGrads(() => {
    mark(ctx);
    return ctx.totalLoss();
  }, [...variables]);
  return {
    ctx,
    loss: value,
    grads: variables.map((v) => grads[v.name] ?? tf.zerosLike(v)),
  };
}
