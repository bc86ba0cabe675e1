/**
 * RETURNN's TF `network` dict, as data: validation (every problem at once, before any work),
 * parameter creation with RETURNN's names, shapes and initialisers, the forward pass on padded
 * batches, and the losses marked into a {@linkcode RunCtx} (TF style: `cost:<layer>`,
 * `error:<layer>`), with each layer's `L2` as a constraint.
 *
 * @module
 */

import type { Tf, tfjs } from "./_tf.ts";
import type { SeqTensor } from "./seq.ts";
import type { DataKeySpec, ExternDataSpec } from "./extern_data.ts";
import type { DimInfo, Init, LayerDef, LayerOutput, ParamSpec } from "./layers/_layer.ts";
import { LAYER_CLASSES } from "./registry.ts";
import type { RunCtx } from "./run_ctx.ts";
import { _networkLosses, checkLoss, type LossPlan } from "./network_losses.ts";
import { Rng } from "../trainer/rng.ts";
import { deriveSeed } from "../trainer/rng.ts";
import { showValue } from "../_util/validate.ts";
import { didYouMeanSuffix } from "../_util/did_you_mean.ts";

/** Options every layer takes (RETURNN's `LayerBase` / `_ConcatInputLayer`). */
const COMMON = [
  "class",
  "from",
  "dropout",
  "dropout_noise_shape",
  "L2",
  "loss",
  "target",
  "loss_opts",
  "loss_scale",
  "is_output_layer",
  "trainable",
];

/** RETURNN layer classes newbob does not implement (named in the error instead of a guess). */
const KNOWN_UNSUPPORTED = [
  "pool",
  "reduce",
  "activation",
  "concat",
  "eval",
  "slice",
  "window",
  "merge_dims",
  "split_dims",
  "subnetwork",
  "gather",
  "dot",
  "transposed_conv",
  "rnn_cell",
  "choice",
  "decide",
  "length",
  "constant",
  "range",
];

/** One checked layer. */
interface Planned {
  readonly name: string;
  readonly def: LayerDef;
  readonly opts: Readonly<Record<string, unknown>>;
  /** Resolved `from`: layer names or `data:<key>`. */
  readonly from: readonly string[];
  readonly inputs: readonly DimInfo[];
  readonly out: DimInfo;
  readonly loss: LossPlan | null;
}

/** The result of {@linkcode checkNetwork}. */
export interface NetworkCheck {
  /** Every problem found, each naming the layer and option. Empty when the dict is fine. */
  readonly problems: string[];
  /** The layers that will be built, dependencies first (empty when there are problems). */
  readonly layers: readonly string[];
}

/**
 * Check a network dict against the data keys: unknown classes and options (with a
 * did-you-mean), wrong option types and values, unknown `from` references, cycles, dimension
 * mismatches, losses and targets. Every problem is reported, none stops the check.
 *
 * @param network The `network` config value.
 * @param externData The data keys (from `resolveExternData`).
 * @returns The problems and the build order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkNetwork } from "./network.ts";
 *
 * const data = { data: { dim: 9, sparse: false }, classes: { dim: 2, sparse: true } };
 * const r = checkNetwork({
 *   fw0: { class: "rec", unit: "nativelstm", n_out: 10, dropot: 0.1 },
 *   output: { class: "sofmax", loss: "ce", from: "fw1" },
 * }, data);
 * assert.equal(r.problems.length, 3);
 * assert.match(r.problems[0], /Did you mean 'dropout'/);
 * ```
 */
export function checkNetwork(network: unknown, externData: ExternDataSpec): NetworkCheck {
  const r = _plan(network, externData);
  return { problems: r.problems, layers: r.problems.length ? [] : r.order.map((p) => p.name) };
}

/**
 * The problems of a network dict (see {@linkcode checkNetwork}); the trainer's config check
 * calls this.
 *
 * @param network The `network` config value.
 * @param externData The data keys.
 * @returns The problems (empty: fine).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateNetwork } from "./network.ts";
 *
 * const data = { data: { dim: 3, sparse: false }, classes: { dim: 2, sparse: true } };
 * assert.deepEqual(validateNetwork({ output: { class: "softmax", loss: "ce" } }, data), []);
 * ```
 */
export function validateNetwork(network: unknown, externData: ExternDataSpec): string[] {
  return _plan(network, externData).problems;
}

function _plan(
  network: unknown,
  externData: ExternDataSpec,
): { problems: string[]; order: Planned[] } {
  const problems: string[] = [];
  if (!network || typeof network !== "object" || Array.isArray(network)) {
    problems.push(`'network' must be a dict of layers: current value is ${showValue(network)}`);
    return { problems, order: [] };
  }
  const dict = network as Record<string, unknown>;
  const names = Object.keys(dict);
  const refs = [
    ...names,
    ...Object.keys(externData).flatMap((
      k,
    ) => (k === "data" ? ["data", "data:data"] : [`data:${k}`])),
  ];
  const planned = new Map<string, Planned | null>();
  const visiting = new Set<string>();
  const order: Planned[] = [];

  const dataRef = (ref: string): DataKeySpec | null => {
    if (ref === "data") return externData.data ?? null;
    if (ref.startsWith("data:")) return externData[ref.slice(5)] ?? null;
    return null;
  };

  const visit = (name: string): Planned | null => {
    if (planned.has(name)) return planned.get(name)!;
    if (visiting.has(name)) {
      problems.push(`network: layer '${name}' depends on itself (a cycle through 'from')`);
      planned.set(name, null);
      return null;
    }
    visiting.add(name);
    const p = _planLayer(name, dict[name], externData, problems, refs, (ref) => {
      if (ref in dict && !ref.startsWith("data")) return visit(ref)?.out ?? null;
      const d = dataRef(ref);
      if (d) return d;
      if (ref in dict) return visit(ref)?.out ?? null;
      return undefined;
    });
    visiting.delete(name);
    planned.set(name, p);
    if (p) order.push(p);
    return p;
  };
  for (const name of names) visit(name);
  if (names.length === 0) {
    problems.push("network: the dict has no layers (add at least an 'output' layer)");
  } else if (
    !names.some((n) =>
      n === "output" || _hasLoss(dict[n]) || (dict[n] as Record<string, unknown>)?.is_output_layer
    )
  ) {
    problems.push(
      "network: no layer named 'output', none with a 'loss' and none with 'is_output_layer'",
    );
  }
  return { problems, order };
}

function _hasLoss(layer: unknown): boolean {
  return !!layer && typeof layer === "object" && (layer as Record<string, unknown>).loss != null;
}

function _planLayer(
  name: string,
  spec: unknown,
  externData: ExternDataSpec,
  problems: string[],
  refs: readonly string[],
  resolve: (ref: string) => DimInfo | null | undefined,
): Planned | null {
  const at = `network.${name}`;
  if (!spec || typeof spec !== "object" || Array.isArray(spec)) {
    problems.push(
      `${at} must be a dict like {"class": "linear", ...}: current value is ${showValue(spec)}`,
    );
    return null;
  }
  const opts = { ...(spec as Record<string, unknown>) };
  const cls = opts.class;
  const classes = Object.keys(LAYER_CLASSES);
  if (typeof cls !== "string") {
    problems.push(
      `${at}: 'class' is required (one of ${classes.join(", ")}): current value is ${
        showValue(cls)
      }`,
    );
    return null;
  }
  const def = LAYER_CLASSES[cls];
  if (!def) {
    problems.push(
      KNOWN_UNSUPPORTED.includes(cls)
        ? `${at}: class '${cls}' is not supported by newbob (supported: ${classes.join(", ")})`
        : `${at}: unknown class '${cls}' (supported: ${classes.join(", ")}).${
          didYouMeanSuffix(cls, classes)
        }`,
    );
    // Still report unknown references.
    const from = typeof opts.from === "string"
      ? [opts.from]
      : Array.isArray(opts.from)
      ? opts.from
      : [];
    for (const ref of from) {
      if (typeof ref === "string" && resolve(ref) === undefined) {
        problems.push(
          `${at}: 'from' refers to '${ref}', which is neither a layer nor a data key.${
            didYouMeanSuffix(ref, refs)
          }`,
        );
      }
    }
    return null;
  }
  const allowed = [...COMMON, ...def.options];
  let ok = true;
  for (const k of Object.keys(opts)) {
    if (!allowed.includes(k)) {
      problems.push(
        `${at}: unknown option '${k}' for class '${cls}'.${didYouMeanSuffix(k, allowed)}`,
      );
      ok = false;
    }
  }
  const problem = (m: string) => {
    problems.push(`${at}: ${m}`);
    ok = false;
  };
  // from
  let from: string[];
  if (cls === "source") {
    if (opts.from !== undefined) problem("'from' is not used by a source layer (set 'data_key')");
    const key = opts.data_key ?? "data";
    if (typeof key !== "string") {
      problem(`'data_key' must be a data key: current value is ${showValue(key)}`);
      from = [];
    } else from = [key === "data" ? "data" : `data:${key}`];
  } else if (opts.from === undefined) from = ["data"];
  else if (typeof opts.from === "string") from = [opts.from];
  else if (Array.isArray(opts.from) && opts.from.every((f) => typeof f === "string")) {
    from = opts.from;
  } else {
    problem(
      `'from' must be a layer name or a list of them: current value is ${showValue(opts.from)}`,
    );
    from = [];
  }
  const inputs: DimInfo[] = [];
  for (const ref of from) {
    const d = resolve(ref);
    if (d === undefined) {
      problem(
        `'from' refers to '${ref}', which is neither a layer nor a data key.${
          didYouMeanSuffix(ref, refs)
        }`,
      );
    } else if (d === null) ok = false; // its own problem is reported there
    else inputs.push(d);
  }
  // common options
  const dropout = opts.dropout;
  if (
    dropout !== undefined && dropout !== null &&
    (typeof dropout !== "number" || !(dropout >= 0 && dropout < 1))
  ) {
    problem(`'dropout' must be a rate in [0, 1): current value is ${showValue(dropout)}`);
  }
  if (opts.dropout_noise_shape !== undefined && opts.dropout_noise_shape !== null) {
    const msg = _checkNoiseShape(opts.dropout_noise_shape);
    if (msg) problem(msg);
  }
  for (const key of ["L2", "loss_scale"]) {
    const v = opts[key];
    if (v !== undefined && v !== null && (typeof v !== "number" || !Number.isFinite(v) || v < 0)) {
      problem(`'${key}' must be a non-negative number: current value is ${showValue(v)}`);
    }
  }
  for (const key of ["is_output_layer", "trainable"]) {
    if (opts[key] !== undefined && typeof opts[key] !== "boolean") {
      problem(`'${key}' must be true or false: current value is ${showValue(opts[key])}`);
    }
  }
  // inputs as the layer sees them
  let layerInputs: DimInfo[] = inputs;
  if (def.concatInputs && inputs.length > 1) {
    if (inputs.some((x) => x.sparse)) {
      problem(
        "'from' concatenates several inputs, but one is sparse (class indices); only dense inputs concatenate",
      );
      layerInputs = [];
    } else layerInputs = [{ dim: inputs.reduce((a, x) => a + x.dim, 0), sparse: false }];
  }
  if (dropout && layerInputs.some((x) => x.sparse)) {
    problem("'dropout' needs a dense input, but the input is sparse (RETURNN asserts it)");
  }
  if (def.concatInputs && cls !== "source" && from.length === 0 && ok) {
    problem("'from' is empty: this layer needs an input");
  }
  const loss = checkLoss(at, opts, externData, problems);
  // A linear/softmax output without n_out takes it from its target (RETURNN).
  if (
    (cls === "linear" || cls === "softmax") && opts.n_out === undefined &&
    loss?.outDim !== undefined
  ) {
    opts.n_out = loss.outDim;
  }
  if ((cls === "linear" || cls === "softmax") && opts.n_out === undefined && !opts.loss) {
    problem(`'n_out' is required (or a 'loss' with a 'target' to take it from)`);
  }
  const ctx = {
    name,
    inputs: layerInputs,
    problem,
  };
  const out = def.check(opts, ctx);
  if (!ok || !out || (opts.loss != null && !loss)) return null;
  if (loss && loss.outDim !== undefined && out.dim !== loss.outDim) {
    problems.push(
      `${at}: the loss '${loss.kind}' on target '${loss.target}' needs ${loss.outDim} outputs ` +
        `(${
          loss.kind === "ctc" ? "the target's classes + 1 for blank" : "the target's classes"
        }), but 'n_out' is ${out.dim}`,
    );
    return null;
  }
  return { name, def, opts, from, inputs: layerInputs, out, loss };
}

function _checkNoiseShape(v: unknown): string | null {
  if (typeof v !== "object" || Array.isArray(v) || v === null) {
    return `'dropout_noise_shape' must be a dict like {"*": null}: current value is ${
      showValue(v)
    }`;
  }
  for (const [k, x] of Object.entries(v)) {
    if (!["*", "B", "T", "F"].includes(k)) {
      return `'dropout_noise_shape' key '${k}' is not supported (use "*", "B", "T" or "F")`;
    }
    if (!(x === null || x === 1 || x === -1 || x === "x")) {
      return `'dropout_noise_shape.${k}' must be null/-1 (no broadcast) or 1/"x" (broadcast): current value is ${
        showValue(x)
      }`;
    }
  }
  return null;
}

/** One parameter of a built network. */
export interface NetworkParam {
  /** RETURNN's name, `<layer>/<param>` (`fw0/rec/W`, `output/b`). */
  readonly name: string;
  /** The variable holding it. */
  readonly variable: tfjs.Variable;
  /** Its shape. */
  readonly shape: readonly number[];
  /** Optimised (false: state such as batch-norm running statistics, kept in checkpoints). */
  readonly trainable: boolean;
}

/** Options of {@linkcode Network.forward} and {@linkcode Network.step}. */
export interface ForwardOptions {
  /** Training: dropout active, batch norm on batch statistics (and its running ones updated). */
  train: boolean;
  /** Seed of this step's random draws. @default a counter, so every step differs */
  seed?: number;
}

/** A network built from a dict. */
export interface Network {
  /** All parameters in creation order (layers in build order). */
  readonly params: readonly NetworkParam[];
  /** The trainable ones' names, for the optimizer and checkpoints. */
  readonly trainableNames: readonly string[];
  /** The trainable variables, in `trainableNames` order. */
  readonly trainableVariables: readonly tfjs.Variable[];
  /** Number of trainable values (RETURNN's "net params #"). */
  readonly numTrainableParams: number;
  /** The layers that have a loss, in RETURNN's order (sorted by name). */
  readonly lossLayers: readonly string[];
  /** The layers in build order. */
  readonly layers: readonly string[];
  /**
   * The data keys the network reads (inputs and loss targets), sorted: RETURNN's
   * `get_used_data_keys()`, the batches' `used_data_keys`.
   */
  readonly usedDataKeys: readonly string[];
  /** Forward pass: every built layer's output. */
  forward(
    data: Readonly<Record<string, SeqTensor>>,
    options: ForwardOptions,
  ): Map<string, LayerOutput>;
  /**
   * Forward pass plus the losses, errors and `L2` constraints marked into `ctx` (style `tf`).
   * The outputs are returned; `ctx.totalLoss()` is the objective.
   */
  step(
    ctx: RunCtx,
    data: Readonly<Record<string, SeqTensor>>,
    options: ForwardOptions,
  ): Map<string, LayerOutput>;
  /** Apply the state updates (batch-norm running statistics) queued by the last training step. */
  applyStateUpdates(): void;
  /** Free the parameters and queued updates. */
  dispose(): void;
}

/** Options of {@linkcode buildNetwork}. */
export interface BuildNetworkOptions {
  /** The data keys. */
  externData: ExternDataSpec;
  /** Seed of the initialisation (each parameter's draw derives from it and its name). @default 0 */
  seed?: number;
}

/**
 * Build a network dict: check it (throwing with every problem) and create its parameters.
 *
 * @param tf The TensorFlow.js namespace (the backend tensors live on).
 * @param network The `network` config value.
 * @param options The data keys and the seed.
 * @returns The network.
 * @throws {RangeError} With every problem of the dict, one per line.
 *
 * @example The 10-unit LSTM of RETURNN's 12AX demo has 822 parameters
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { buildNetwork } from "./network.ts";
 *
 * const net = buildNetwork(tf, {
 *   fw0: { class: "rec", unit: "nativelstm", dropout: 0.1, n_out: 10, from: "data" },
 *   output: { class: "softmax", loss: "ce", from: "fw0" },
 * }, { externData: { data: { dim: 9, sparse: false }, classes: { dim: 2, sparse: true } } });
 * assert.equal(net.numTrainableParams, 822);
 * assert.deepEqual(net.trainableNames, ["fw0/rec/W", "fw0/rec/W_re", "fw0/rec/b", "output/W", "output/b"]);
 * net.dispose();
 * ```
 */
export function buildNetwork(tf: Tf, network: unknown, options: BuildNetworkOptions): Network {
  const { problems, order } = _plan(network, options.externData);
  if (problems.length) {
    throw new RangeError(
      `Cannot build the network (${problems.length} problem${problems.length > 1 ? "s" : ""}):\n  ${
        problems.join("\n  ")
      }`,
    );
  }
  const seed = options.seed ?? 0;
  const params: NetworkParam[] = [];
  const byLayer = new Map<string, Record<string, tfjs.Variable>>();
  for (const p of order) {
    const own: Record<string, tfjs.Variable> = {};
    const trainable = p.opts.trainable !== false;
    for (const spec of p.def.params(p.opts, p.inputs, p.out)) {
      const name = `${p.name}/${spec.name}`;
      const values = _initValues(spec, deriveSeed(seed, _hash(name)));
      const v = tf.variable(tf.tensor(values, [...spec.shape]), spec.trainable && trainable);
      own[spec.name] = v;
      params.push({ name, variable: v, shape: spec.shape, trainable: spec.trainable && trainable });
    }
    byLayer.set(p.name, own);
  }
  const trainableParams = params.filter((p) => p.trainable);
  const lossLayers = order.filter((p) => p.loss).map((p) => p.name).sort();
  let counter = 0;
  let updates: { variable: tfjs.Variable; value: tfjs.Tensor }[] = [];

  const forward = (
    data: Readonly<Record<string, SeqTensor>>,
    o: ForwardOptions,
  ): Map<string, LayerOutput> => {
    const stepSeed = o.seed ?? deriveSeed(seed, 0x5eed, counter++);
    const outs = new Map<string, LayerOutput>();
    const get = (ref: string): SeqTensor => {
      const got = outs.get(ref) ??
        (ref === "data" ? data.data : ref.startsWith("data:") ? data[ref.slice(5)] : undefined);
      if (!got) {
        throw new RangeError(
          `Cannot run the network as the batch has no data key '${ref.replace(/^data:/, "")}' ` +
            `(it has ${Object.keys(data).join(", ")})`,
        );
      }
      return got;
    };
    order.forEach((p, i) => {
      const layerSeed = deriveSeed(stepSeed, i);
      let inputs = p.from.map(get);
      if (p.def.concatInputs && inputs.length > 1) {
        inputs = [{
          values: tf.concat(inputs.map((x) => x.values), 2),
          seqLens: inputs[0].seqLens,
          dim: p.inputs[0].dim,
          sparse: false,
        }];
      }
      const rate = (p.opts.dropout as number | undefined) ?? 0;
      if (o.train && rate > 0) {
        inputs = inputs.map((x) => ({
          ...x,
          values: _dropout(tf, x.values, rate, p.opts.dropout_noise_shape, layerSeed),
        }));
      }
      const own = byLayer.get(p.name)!;
      const out = p.def.forward(tf, p.opts, inputs, {
        train: o.train,
        seed: deriveSeed(layerSeed, 1),
        params: own,
        update: (name, value) => {
          if (o.train) updates.push({ variable: own[name], value: tf.keep(value) });
        },
      });
      outs.set(p.name, out);
    });
    return outs;
  };

  return {
    params,
    trainableNames: trainableParams.map((p) => p.name),
    trainableVariables: trainableParams.map((p) => p.variable),
    numTrainableParams: trainableParams.reduce((a, p) => a + p.variable.size, 0),
    lossLayers,
    layers: order.map((p) => p.name),
    usedDataKeys: [
      ...new Set(order.flatMap((p) => [
        ...p.from.filter((f) => f === "data" || f.startsWith("data:")).map((f) =>
          f === "data" ? "data" : f.slice(5)
        ),
        ...(p.loss ? [p.loss.target] : []),
      ])),
    ].sort(),
    forward,
    step(ctx, data, o) {
      if (ctx.style !== "tf") {
        throw new Error("Network.step needs a RunCtx with style 'tf' (TF engine scores)");
      }
      const outs = forward(data, o);
      _networkLosses(
        tf,
        ctx,
        order.filter((p) => p.loss).sort((a, b) => (a.name < b.name ? -1 : 1)).map((p) => ({
          name: p.name,
          loss: p.loss!,
          output: outs.get(p.name)!,
          target: data[p.loss!.target],
        })),
      );
      for (const p of order) {
        const l2 = p.opts.L2 as number | undefined;
        if (!l2) continue;
        const vs = Object.values(byLayer.get(p.name)!).filter((v) => v.trainable);
        if (vs.length) {
          ctx.addConstraint(
            tf.tidy(() => tf.mul(tf.addN(vs.map((v) => tf.sum(tf.square(v)))), l2) as tfjs.Scalar),
          );
        }
      }
      return outs;
    },
    applyStateUpdates() {
      for (const u of updates) {
        u.variable.assign(u.value);
        u.value.dispose();
      }
      updates = [];
    },
    dispose() {
      for (const u of updates) u.value.dispose();
      updates = [];
      for (const p of params) p.variable.dispose();
    },
  };
}

function _dropout(tf: Tf, x: tfjs.Tensor, rate: number, noise: unknown, seed: number): tfjs.Tensor {
  // RETURNN's default noise shape broadcasts over batch and time: one mask per feature.
  const [B, T, F] = x.shape as [number, number, number];
  const spec = (noise ?? {}) as Record<string, unknown>;
  const star = spec["*"];
  const full = (k: string, dflt: boolean) => {
    const v = k in spec ? spec[k] : star !== undefined ? star : undefined;
    if (v === undefined) return dflt;
    return v === null || v === -1;
  };
  const shape = [full("B", false) ? B : 1, full("T", false) ? T : 1, full("F", true) ? F : 1];
  return tf.dropout(x, rate, shape, seed);
}

/** A stable 32-bit hash of a parameter name (FNV-1a). */
function _hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * Initial values of a parameter, drawn on the host so every backend starts alike.
 *
 * @param spec The parameter.
 * @param seed The seed.
 * @returns The values.
 */
export function _initValues(
  spec: { shape: readonly number[]; init: Init },
  seed: number,
): Float32Array {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  const init = spec.init;
  if (init.kind === "constant") return out.fill(init.value);
  const rng = new Rng(seed);
  if (init.kind === "glorot_uniform") {
    const limit = Math.sqrt(6 / (init.fanIn + init.fanOut));
    for (let i = 0; i < n; i++) out[i] = rng.uniform(-limit, limit);
    return out;
  }
  // TensorFlow's glorot_normal: a normal truncated at 2 stddev, rescaled to the Glorot variance.
  const std = Math.sqrt(2 / (init.fanIn + init.fanOut)) / 0.87962566103423978;
  for (let i = 0; i < n; i++) {
    let z: number;
    do {
      z = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
    } while (Math.abs(z) > 2);
    out[i] = z * std;
  }
  return out;
}

export type { ParamSpec };
