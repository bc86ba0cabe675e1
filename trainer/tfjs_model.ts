/**
 * TensorFlow.js models as {@linkcode TrainModel}s: a built-in MLP, a user-built `LayersModel`,
 * or a set of `tf.Variable`s with a loss. Gradients come from `tf.variableGrads`; on `webgpu`
 * they stay in GPU buffers of the device shared with newbob's optimizer, and the optimizer
 * updates the model's own variable buffers in place.
 *
 * @module
 */

import type * as tfjs from "@tensorflow/tfjs";
import {
  type BackendName,
  type Batch,
  type EvalResult,
  MLP_DEFAULTS,
  type StepGradients,
  type TrainModel,
} from "./model_types.ts";
import { loadTfjs, type LoadTfjsOptions, type Tf } from "./tfjs_backend.ts";
import { Rng } from "./rng.ts";
import { TfjsParameters } from "./tfjs_params.ts";

/** A multi-layer perceptron classifier built by newbob. */
export interface MlpSpec {
  /** Discriminant. */
  kind: "mlp";
  /** Features per input row. */
  inputDim: number;
  /** Sizes of the hidden layers (may be empty: softmax regression). */
  hidden: number[];
  /** Number of classes (size of the output logits); not used with `outputs`. */
  numClasses?: number;
  /**
   * Several softmax heads on the shared hidden layers: classes per output name, e.g.
   * `{ output: 10, parity: 2 }`. Heads are `head_<name>/kernel`, `head_<name>/bias`; the loss
   * is the sum of the heads' mean cross-entropies (RETURNN sums its output layers' losses).
   * @default one head of `numClasses` (`dense_<n>/...`), named `output`
   */
  outputs?: Readonly<Record<string, number>>;
  /** Hidden activation. @default "relu" */
  activation?: "relu" | "tanh";
}

/** A set of `tf.Variable`s with a forward function and/or a loss. */
export interface VariablesSpec {
  /** The trainable variables, in the order the optimizer sees them. */
  variables: tfjs.Variable[];
  /** Stable names for checkpoints. @default each variable's `name` */
  names?: string[];
  /**
   * Logits `[rows, classes]` of a batch `x` (`[rows, inputDim]`). With it the loss is the mean
   * softmax cross-entropy and `evaluate` reports the error rate.
   */
  logits?: (x: tfjs.Tensor2D) => tfjs.Tensor2D;
  /**
   * A custom scalar loss of a batch (labels `y` are int32). Takes precedence over `logits` for
   * training; `evaluate` reports its batch-size-weighted mean as the score.
   */
  loss?: (x: tfjs.Tensor2D, y: tfjs.Tensor1D) => tfjs.Scalar;
}

/** What {@linkcode createTfjsModel} accepts. */
export type TfjsModelSpec = MlpSpec | tfjs.LayersModel | VariablesSpec;

/** Options of {@linkcode createTfjsModel}. */
export interface CreateTfjsModelOptions extends LoadTfjsOptions {
  /** The backend to compute on. @default "cpu" */
  backend?: BackendName;
  /** Seed of the MLP initialisation (ignored for the other spec forms). @default 0 */
  seed?: number;
}

/** A {@linkcode TrainModel} backed by TensorFlow.js, with access to the tfjs objects. */
export interface TfjsTrainModel extends TrainModel {
  /** The TensorFlow.js namespace the model lives in. */
  readonly tf: Tf;
  /** The trainable variables, in `names` order. */
  readonly variables: readonly tfjs.Variable[];
  /** The backend description from {@linkcode loadTfjs}. */
  readonly message: string;
  /** The device the model computes on (`webgpu`; null otherwise): give it to the optimizer. */
  readonly device: GPUDevice | null;
  /** Current parameter values read back to the host (a device sync on `webgpu`). */
  read(): Promise<Float32Array[]>;
}

/**
 * Create a trainable TensorFlow.js classifier on a backend.
 *
 * - `{kind: "mlp", ...}`: dense layers `dense_<i>/kernel` (Glorot-uniform from `seed`, drawn on
 *   the host so every backend starts from the same values) and `dense_<i>/bias` (zeros).
 * - `{kind: "mlp", ..., outputs: {output: 10, parity: 2}}`: shared hidden layers `dense_<i>`,
 *   one softmax head `head_<name>` per output.
 * - a `tf.LayersModel`: its trainable weights; outputs are taken as logits unless the last layer
 *   has a softmax activation (then as probabilities). With several outputs, each output layer
 *   is one output named after the layer (its own softmax check); labels come per output name
 *   (`Batch.targets`).
 * - `{variables, logits?, loss?}`: your variables and functions.
 *
 * The training loss is the mean softmax cross-entropy of the batch (RETURNN's `score`); with
 * several outputs the sum of the outputs' ones (`outputLosses()` gives each).
 * On `webgpu`, `parameters()` returns the variables' own GPU buffers and the optimizer writes
 * them in place: do not `assign` to the variables afterwards (use `setParameters`). A variable
 * created from a tensor shares that tensor's buffer; dispose such tensors first.
 *
 * @param spec The model.
 * @param options Backend, device and seed.
 * @returns The model.
 * @throws {TypeError} If the spec is not one of the three forms, or is inconsistent.
 * @throws {RangeError} If MLP sizes are not positive integers.
 *
 * @example One gradient step by hand on the cpu backend
 * ```ts
 * import assert from "node:assert/strict";
 * import { createTfjsModel } from "./tfjs_model.ts";
 *
 * const model = await createTfjsModel(
 *   { kind: "mlp", inputDim: 2, hidden: [4], numClasses: 2 },
 *   { backend: "cpu", seed: 1 },
 * );
 * assert.deepEqual(model.names, ["dense_0/kernel", "dense_0/bias", "dense_1/kernel", "dense_1/bias"]);
 * const batch = { x: new Float32Array([0, 1, 1, 0]), y: new Int32Array([0, 1]), size: 2 };
 * const g = model.gradients(batch);
 * assert.ok((await g.loss()) > 0);
 * g.dispose();
 * model.dispose();
 * ```
 */
export async function createTfjsModel(
  spec: TfjsModelSpec,
  options: CreateTfjsModelOptions = {},
): Promise<TfjsTrainModel> {
  const backend = options.backend ?? "cpu";
  const loaded = await loadTfjs(backend, options);
  const { tf } = loaded;
  const built = build(tf, spec, options.seed ?? 0);
  return new TfjsModel(tf, backend, loaded.message, loaded.device ?? null, built);
}

/** Name of the one output of a single-output model (`cost:output` in score dicts). */
const OUTPUT = "output";

interface Built {
  names: string[];
  variables: tfjs.Variable[];
  /** Output names (`["output"]` for one output). */
  outputs: string[];
  /**
   * Per-row log-probabilities of the batch, one per output, or null when only a custom loss
   * exists.
   */
  logProbs: ((x: tfjs.Tensor2D, training: boolean) => tfjs.Tensor2D[]) | null;
  customLoss: ((x: tfjs.Tensor2D, y: tfjs.Tensor1D) => tfjs.Scalar) | null;
  /** Shape of the model input without the batch dimension, or null to use `[inputDim]`. */
  inputShape: number[] | null;
  /** Classes per output (null: unknown). */
  numClasses: (number | null)[];
  /** Variables created here (disposed with the model). */
  owned: boolean;
  layersModel: tfjs.LayersModel | null;
}

function isLayersModel(spec: unknown): spec is tfjs.LayersModel {
  const s = spec as { trainableWeights?: unknown; apply?: unknown; layers?: unknown };
  return Array.isArray(s?.trainableWeights) && typeof s.apply === "function" &&
    Array.isArray(s.layers);
}

function build(tf: Tf, spec: TfjsModelSpec, seed: number): Built {
  if ((spec as MlpSpec)?.kind === "mlp") return buildMlp(tf, spec as MlpSpec, seed);
  if (isLayersModel(spec)) return buildLayers(tf, spec);
  const v = spec as VariablesSpec;
  if (Array.isArray(v?.variables)) return buildVariables(tf, v);
  throw new TypeError(
    "Cannot create a tfjs model: the spec must be {kind: 'mlp', inputDim, hidden, numClasses}, " +
      "a tf.LayersModel, or {variables, logits?, loss?}",
  );
}

function checkPositiveInt(name: string, value: unknown): void {
  if (!Number.isInteger(value) || (value as number) <= 0) {
    throw new RangeError(
      `Cannot create the MLP as '${name}' must be a positive integer: current value is ${value}`,
    );
  }
}

function buildMlp(tf: Tf, spec: MlpSpec, seed: number): Built {
  checkPositiveInt("inputDim", spec.inputDim);
  if (spec.outputs === undefined) checkPositiveInt("numClasses", spec.numClasses);
  else checkOutputs(spec.outputs);
  if (!Array.isArray(spec.hidden)) {
    throw new TypeError(
      `Cannot create the MLP as 'hidden' must be an array of layer sizes: current value is ` +
        `${spec.hidden}`,
    );
  }
  spec.hidden.forEach((h, i) => checkPositiveInt(`hidden[${i}]`, h));
  const activation = spec.activation ?? MLP_DEFAULTS.activation;
  if (activation !== "relu" && activation !== "tanh") {
    throw new RangeError(
      `Cannot create the MLP as 'activation' must be 'relu' or 'tanh': current value is ` +
        `'${activation}'`,
    );
  }
  if (spec.outputs !== undefined) return buildMultiHeadMlp(tf, spec, spec.outputs, seed);
  const sizes = [spec.inputDim, ...spec.hidden, spec.numClasses!];
  const rng = new Rng(seed);
  const names: string[] = [];
  const variables: tfjs.Variable[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const [fanIn, fanOut] = [sizes[i], sizes[i + 1]];
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const w = new Float32Array(fanIn * fanOut);
    for (let k = 0; k < w.length; k++) w[k] = rng.uniform(-limit, limit);
    names.push(`dense_${i}/kernel`, `dense_${i}/bias`);
    variables.push(
      tf.tidy(() => tf.variable(tf.tensor2d(w, [fanIn, fanOut]), true)),
      tf.tidy(() => tf.variable(tf.zeros([fanOut]), true)),
    );
  }
  const act = activation === "relu" ? tf.relu : tf.tanh;
  const logits = (x: tfjs.Tensor2D): tfjs.Tensor2D => {
    let h: tfjs.Tensor2D = x;
    for (let i = 0; i < variables.length; i += 2) {
      h = tf.add(tf.matMul(h, variables[i] as tfjs.Tensor2D), variables[i + 1]);
      if (i + 2 < variables.length) h = act(h);
    }
    return h;
  };
  return {
    names,
    variables,
    outputs: [OUTPUT],
    logProbs: (x) => [tf.logSoftmax(logits(x))],
    customLoss: null,
    inputShape: [spec.inputDim],
    numClasses: [spec.numClasses!],
    owned: true,
    layersModel: null,
  };
}

/** Output names become score keys (`dev_score_<name>`): no `:` or `/`, not empty. */
const OUTPUT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkOutputs(outputs: Readonly<Record<string, number>>): void {
  const entries = typeof outputs === "object" && outputs !== null ? Object.entries(outputs) : [];
  if (entries.length === 0) {
    throw new TypeError(
      "Cannot create the MLP as 'outputs' must map output names to class counts, like " +
        `{ output: 10, parity: 2 }: current value is ${JSON.stringify(outputs)}`,
    );
  }
  for (const [name, k] of entries) {
    if (!OUTPUT_NAME.test(name)) {
      throw new TypeError(
        `Cannot create the MLP as output name ${JSON.stringify(name)} must be letters, digits ` +
          "and '_' (it names score keys like dev_score_<name>)",
      );
    }
    checkPositiveInt(`outputs.${name}`, k);
  }
}

/** Glorot-uniform `[fanIn, fanOut]` kernel and zero bias from the host RNG. */
function denseLayer(tf: Tf, rng: Rng, fanIn: number, fanOut: number): tfjs.Variable[] {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const w = new Float32Array(fanIn * fanOut);
  for (let k = 0; k < w.length; k++) w[k] = rng.uniform(-limit, limit);
  return [
    tf.tidy(() => tf.variable(tf.tensor2d(w, [fanIn, fanOut]), true)),
    tf.tidy(() => tf.variable(tf.zeros([fanOut]), true)),
  ];
}

function buildMultiHeadMlp(
  tf: Tf,
  spec: MlpSpec,
  outputs: Readonly<Record<string, number>>,
  seed: number,
): Built {
  const rng = new Rng(seed);
  const names: string[] = [];
  const variables: tfjs.Variable[] = [];
  const trunk = [spec.inputDim, ...spec.hidden];
  for (let i = 0; i + 1 < trunk.length; i++) {
    names.push(`dense_${i}/kernel`, `dense_${i}/bias`);
    variables.push(...denseLayer(tf, rng, trunk[i], trunk[i + 1]));
  }
  const numTrunk = variables.length;
  const heads = Object.entries(outputs);
  for (const [name, k] of heads) {
    names.push(`head_${name}/kernel`, `head_${name}/bias`);
    variables.push(...denseLayer(tf, rng, trunk[trunk.length - 1], k));
  }
  const act = (spec.activation ?? "relu") === "relu" ? tf.relu : tf.tanh;
  const logProbs = (x: tfjs.Tensor2D): tfjs.Tensor2D[] => {
    let h: tfjs.Tensor2D = x;
    for (let i = 0; i < numTrunk; i += 2) {
      h = act(tf.add(tf.matMul(h, variables[i] as tfjs.Tensor2D), variables[i + 1]));
    }
    return heads.map((_, j) => {
      const [w, b] = [variables[numTrunk + 2 * j], variables[numTrunk + 2 * j + 1]];
      return tf.logSoftmax(tf.add(tf.matMul(h, w as tfjs.Tensor2D), b));
    });
  };
  return {
    names,
    variables,
    outputs: heads.map(([name]) => name),
    logProbs,
    customLoss: null,
    inputShape: [spec.inputDim],
    numClasses: heads.map(([, k]) => k),
    owned: true,
    layersModel: null,
  };
}

function buildLayers(tf: Tf, model: tfjs.LayersModel): Built {
  const weights = model.trainableWeights;
  if (weights.length === 0) {
    throw new TypeError(
      `Cannot train LayersModel '${model.name}': it has no trainable weights (build it with an ` +
        "input shape, and check 'trainable')",
    );
  }
  const inShape = model.inputs[0].shape.slice(1);
  const isSoftmax = (layer: { getConfig(): unknown }) =>
    (layer.getConfig() as { activation?: unknown }).activation === "softmax";
  const toLogProbs = (out: tfjs.Tensor2D, softmax: boolean) =>
    softmax ? tf.log(tf.clipByValue(out, 1e-7, 1)) : tf.logSoftmax(out);
  const classesOf = (t: tfjs.SymbolicTensor) => t.shape[t.shape.length - 1] ?? null;
  const common = {
    names: weights.map((w) => w.name),
    variables: weights.map((w) => w.read() as tfjs.Variable),
    customLoss: null,
    inputShape: inShape.every((d) => typeof d === "number") ? inShape as number[] : null,
    owned: false,
    layersModel: model,
  };
  if (model.outputs.length > 1) {
    const outputs = model.outputNames.slice();
    const bad = outputs.find((n) => !OUTPUT_NAME.test(n));
    if (bad !== undefined || new Set(outputs).size !== outputs.length) {
      throw new TypeError(
        `Cannot train LayersModel '${model.name}': its output layer names (${
          outputs.join(", ")
        }) ` +
          "name the score keys (dev_score_<name>) and must be unique letters, digits and '_'; " +
          "give the output layers such names",
      );
    }
    const softmax = model.outputLayers.map(isSoftmax);
    return {
      ...common,
      outputs,
      logProbs: (x, training) =>
        (model.apply(x, { training }) as tfjs.Tensor2D[]).map((o, i) => toLogProbs(o, softmax[i])),
      numClasses: model.outputs.map(classesOf),
    };
  }
  const softmaxOutput = isSoftmax(model.layers[model.layers.length - 1]);
  return {
    ...common,
    outputs: [OUTPUT],
    logProbs: (x, training) => [
      toLogProbs(model.apply(x, { training }) as tfjs.Tensor2D, softmaxOutput),
    ],
    numClasses: [classesOf(model.outputs[0])],
  };
}

function buildVariables(tf: Tf, spec: VariablesSpec): Built {
  const { variables } = spec;
  if (variables.length === 0) {
    throw new TypeError("Cannot create a tfjs model from 'variables': the list is empty");
  }
  if (!spec.logits && !spec.loss) {
    throw new TypeError(
      "Cannot create a tfjs model from 'variables': give 'logits' (cross-entropy loss) or 'loss'",
    );
  }
  const names = spec.names ?? variables.map((v) => v.name);
  if (names.length !== variables.length || new Set(names).size !== names.length) {
    throw new TypeError(
      `Cannot create a tfjs model from 'variables': 'names' must be ${variables.length} unique ` +
        `strings, got ${JSON.stringify(names)}`,
    );
  }
  variables.forEach((v, i) => {
    if (v.dtype !== "float32") {
      throw new TypeError(
        `Cannot train variable '${names[i]}': dtype must be float32, got ${v.dtype}`,
      );
    }
  });
  const logits = spec.logits;
  return {
    names,
    variables,
    outputs: [OUTPUT],
    logProbs: logits ? (x) => [tf.logSoftmax(logits(x))] : null,
    customLoss: spec.loss ?? null,
    inputShape: null,
    numClasses: [null],
    owned: false,
    layersModel: null,
  };
}

class TfjsModel implements TfjsTrainModel {
  readonly names: readonly string[];
  readonly shapes: readonly (readonly number[])[];
  readonly variables: readonly tfjs.Variable[];
  readonly outputs: readonly string[];
  readonly #params: TfjsParameters;
  #disposed = false;

  constructor(
    readonly tf: Tf,
    readonly backend: BackendName,
    readonly message: string,
    readonly device: GPUDevice | null,
    readonly built: Built,
  ) {
    this.names = built.names;
    this.variables = built.variables;
    this.outputs = built.outputs;
    this.shapes = built.variables.map((v) => v.shape.slice());
    this.#params = new TfjsParameters(tf, backend, device, built.names, built.variables);
  }

  #assertAlive(what: string): void {
    if (this.#disposed) {
      throw new Error(`Cannot ${what}: the tfjs model was disposed; create a new one`);
    }
  }

  #use(): void {
    this.#params.use();
  }

  #input(x: Float32Array, size: number): tfjs.Tensor2D {
    const shape = this.built.inputShape;
    if (shape) {
      const per = shape.reduce((a, b) => a * b, 1);
      if (x.length !== size * per) {
        throw new RangeError(
          `Cannot feed a batch of ${size} rows with ${x.length} values: the model expects ` +
            `${per} values per row`,
        );
      }
      return this.tf.tensor<tfjs.Rank>(x, [size, ...shape]) as tfjs.Tensor2D;
    }
    if (size <= 0 || x.length % size !== 0) {
      throw new RangeError(
        `Cannot feed a batch of ${size} rows with ${x.length} values: not a whole number per row`,
      );
    }
    return this.tf.tensor2d(x, [size, x.length / size]);
  }

  /** The checked labels of each output: `y` for one output, `targets[name]` for several. */
  #labels(
    y: Int32Array,
    targets: Readonly<Record<string, Int32Array>> | undefined,
    size: number,
  ): Int32Array[] {
    const outputs = this.outputs;
    const labels = outputs.length === 1 ? [y] : outputs.map((name) => {
      const t = targets?.[name];
      if (t === undefined) {
        throw new RangeError(
          `Cannot use the batch: the model has the outputs ${outputs.join(", ")} but no labels ` +
            `for '${name}' (have: ${Object.keys(targets ?? {}).join(", ") || "none"}); give ` +
            "labels per output name (Batch.targets, data targets)",
        );
      }
      return t;
    });
    labels.forEach((l, i) => {
      const of = outputs.length === 1 ? "" : ` for output '${outputs[i]}'`;
      if (l.length !== size) {
        throw new RangeError(`Cannot use a batch of ${size} rows with ${l.length} labels${of}`);
      }
      const k = this.built.numClasses[i];
      if (k !== null) {
        for (const c of l) {
          if (!(c >= 0 && c < k)) {
            throw new RangeError(
              `Cannot use label ${c}${of}: the ${of ? "output" : "model"} has ${k} classes ` +
                `(0..${k - 1})`,
            );
          }
        }
      }
    });
    return labels;
  }

  /** Mean loss of a batch (a scalar) of a one-output model. */
  #loss(x: tfjs.Tensor2D, y: tfjs.Tensor1D, training: boolean): tfjs.Scalar {
    if (this.built.customLoss) return this.built.customLoss(x, y);
    return this.#outputLosses(x, [y], training)[0];
  }

  /** Mean cross-entropy of each output (scalars, in `outputs` order). */
  #outputLosses(x: tfjs.Tensor2D, ys: tfjs.Tensor1D[], training: boolean): tfjs.Scalar[] {
    const { tf } = this;
    return this.built.logProbs!(x, training).map((logp, i) => {
      const picked = tf.sum(tf.mul(logp, tf.oneHot(ys[i], logp.shape[1])), 1);
      return tf.neg(tf.mean(picked));
    });
  }

  parameters(): Promise<Float32Array[] | GPUBuffer[]> {
    this.#assertAlive("read parameters");
    return this.#params.parameters();
  }

  gradients(batch: Batch): StepGradients {
    this.#assertAlive("compute gradients");
    this.#use();
    const { tf } = this;
    const labels = this.#labels(batch.y, batch.targets, batch.size);
    const vars = this.variables as tfjs.Variable[];
    const multi = this.outputs.length > 1;
    // One output: the scalar loss. Several: [total, loss of each output] (one read for all).
    const [value, ...grads] = tf.tidy(() => {
      const x = this.#input(batch.x, batch.size);
      const ys = labels.map((l) => tf.tensor1d(l, "int32"));
      if (!multi) {
        const r = tf.variableGrads(() => this.#loss(x, ys[0], true), vars);
        return [r.value, ...vars.map((v) => r.grads[v.name] ?? tf.zerosLike(v))];
      }
      let parts: tfjs.Scalar[] = [];
      const r = tf.variableGrads(() => {
        // Kept: the forward pass's tidy would dispose them; disposed below.
        parts = this.#outputLosses(x, ys, true).map((t) => tf.keep(t));
        return tf.addN(parts) as tfjs.Scalar;
      }, vars);
      const all = tf.stack([r.value, ...parts]);
      tf.dispose(parts);
      return [all, ...vars.map((v) => r.grads[v.name] ?? tf.zerosLike(v))];
    }) as [tfjs.Tensor, ...tfjs.Tensor[]];
    const split = (d: Float32Array) => multi ? Array.from(d.subarray(1)) : [d[0]];
    return this.#params.gradients(grads, value, split);
  }

  parametersUpdated(values?: readonly Float32Array[]): void {
    this.#assertAlive("update parameters");
    this.#params.parametersUpdated(values);
  }

  setParameters(values: readonly Float32Array[]): Promise<void> {
    this.#assertAlive("set parameters");
    return this.#params.setParameters(values);
  }

  read(): Promise<Float32Array[]> {
    this.#assertAlive("read parameters");
    return this.#params.read();
  }

  async evaluate(
    x: Float32Array,
    y: Int32Array,
    batchSize: number,
    targets?: Readonly<Record<string, Int32Array>>,
  ): Promise<EvalResult> {
    this.#assertAlive("evaluate");
    this.#use();
    const { tf } = this;
    const count = y.length;
    if (!Number.isInteger(batchSize) || batchSize <= 0) {
      throw new RangeError(
        `Cannot evaluate as 'batchSize' must be a positive integer: current value is ${batchSize}`,
      );
    }
    if (count === 0) return { score: NaN, error: NaN, count: 0 };
    if (x.length % count !== 0) {
      throw new RangeError(
        `Cannot evaluate ${count} labels with ${x.length} feature values: not a whole number per row`,
      );
    }
    const labels = this.#labels(y, targets, count);
    this.#params.syncHost();
    const per = x.length / count;
    if (this.outputs.length > 1) return await this.#evaluateOutputs(x, labels, batchSize, per);
    const parts: tfjs.Tensor[] = [];
    for (let start = 0; start < count; start += batchSize) {
      const size = Math.min(batchSize, count - start);
      parts.push(tf.tidy(() => {
        const xb = this.#input(x.subarray(start * per, (start + size) * per), size);
        const yb = tf.tensor1d(y.subarray(start, start + size), "int32");
        if (this.built.customLoss || !this.built.logProbs) {
          const l = tf.mul(this.built.customLoss!(xb, yb), size);
          return tf.stack([l, tf.scalar(NaN)]);
        }
        const [logp] = this.built.logProbs(xb, false);
        const nll = tf.neg(tf.sum(tf.mul(logp, tf.oneHot(yb, logp.shape[1]))));
        const wrong = tf.sum(tf.cast(tf.notEqual(tf.argMax(logp, 1), yb), "float32"));
        return tf.stack([nll, wrong]);
      }));
    }
    const sums = tf.tidy(() => tf.sum(tf.stack(parts), 0));
    tf.dispose(parts);
    const [nll, wrong] = await sums.data();
    sums.dispose();
    const [score, error] = [nll / count, wrong / count];
    return { score, error, count, outputs: { [this.outputs[0]]: { score, error } } };
  }

  /** `evaluate` of a model with several outputs: per-output sums in one read. */
  async #evaluateOutputs(
    x: Float32Array,
    labels: Int32Array[],
    batchSize: number,
    per: number,
  ): Promise<EvalResult> {
    const { tf } = this;
    const count = labels[0].length;
    const parts: tfjs.Tensor[] = [];
    for (let start = 0; start < count; start += batchSize) {
      const size = Math.min(batchSize, count - start);
      parts.push(tf.tidy(() => {
        const xb = this.#input(x.subarray(start * per, (start + size) * per), size);
        const sums = this.built.logProbs!(xb, false).flatMap((logp, i) => {
          const yb = tf.tensor1d(labels[i].subarray(start, start + size), "int32");
          return [
            tf.neg(tf.sum(tf.mul(logp, tf.oneHot(yb, logp.shape[1])))),
            tf.sum(tf.cast(tf.notEqual(tf.argMax(logp, 1), yb), "float32")),
          ];
        });
        return tf.stack(sums);
      }));
    }
    const total = tf.tidy(() => tf.sum(tf.stack(parts), 0));
    tf.dispose(parts);
    const d = await total.data();
    total.dispose();
    const outputs: Record<string, { score: number; error: number }> = {};
    let score = 0;
    this.outputs.forEach((name, i) => {
      outputs[name] = { score: d[2 * i] / count, error: d[2 * i + 1] / count };
      score += outputs[name].score;
    });
    return { score, error: outputs[this.outputs[0]].error, count, outputs };
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#params.dispose();
    if (this.built.owned) this.tf.dispose(this.variables as tfjs.Variable[]);
  }
}
