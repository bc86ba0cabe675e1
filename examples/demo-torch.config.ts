/**
 * The model of RETURNN's `demos/demo-torch.config` as a newbob config: three 1-D convolutions
 * (9 -> 50 -> 100 -> 2 features, filter 5, "same" padding, ReLU) trained on the 12AX task with
 * frame-wise cross-entropy (`ce`) and the frame error rate (`fer`) as RETURNN's PyTorch engine
 * records them (`train_loss_ce`, `dev_loss_fer`), Adam at 0.01 and newbob control with
 * `learning_rate_decay` 0.9. 28402 parameters, initialised as PyTorch's `nn.Conv1d` does
 * (uniform in +-1/sqrt(fan_in)). RETURNN's CI requires a dev frame error below 0.02 after 5
 * epochs.
 *
 * Changed from RETURNN's file where PyTorch code must become TensorFlow.js code: the model is
 * its parameters (`{params: {name: tf.Variable}}`) and `train_step` applies newbob's `conv1d`
 * (frames stay [B, T, F], no permutes; tfjs's own `conv1d` has no filter gradient on `wasm`
 * and is slow on `cpu`); the losses are marked on the padded batch with its lengths instead of
 * `pack_padded_sequence` (the same frames count). One difference in the numbers: `conv1d` zeroes
 * each layer's output past each sequence's end, so a short sequence's last frames never see
 * what a PyTorch conv computes on the padding of the batch (its result does not depend on the
 * batch partners). No `forward_step` (newbob does not run inference here), no `model` or
 * `learning_rate_file` paths under /tmp (newbob writes into the output folder), no
 * `torch_log_memory_usage`, and no `backend = "torch"` (newbob's `backend` picks the tfjs
 * backend: `cpu`, `wasm` or `webgpu`).
 *
 * @module
 */

import type { Tensor3D, Variable } from "@tensorflow/tfjs";
import { conv1d, crossEntropyPerFrame, frameErrors } from "../models/mod.ts";
import type { GetModelArgs, TrainStepArgs } from "../models/mod.ts";

const num_inputs = 9;
const num_outputs = 2;

/** The model's parameters: filter and bias of each convolution. */
interface Model {
  readonly params: Readonly<Record<string, Variable>>;
}

/** Three 1-D convolutions over time (RETURNN's `Model` of the demo), initialised as PyTorch. */
function get_model({ tf }: GetModelArgs): Model {
  const conv = (name: string, nIn: number, nOut: number, seed: number) => {
    const b = 1 / Math.sqrt(nIn * 5); // PyTorch's default: uniform in +-1/sqrt(fan_in)
    return {
      [`${name}/W`]: tf.variable(tf.randomUniform([5, nIn, nOut], -b, b, "float32", seed)),
      [`${name}/b`]: tf.variable(tf.randomUniform([nOut], -b, b, "float32", seed + 1)),
    };
  };
  return {
    params: {
      ...conv("conv1", num_inputs, 50, 1),
      ...conv("conv2", 50, 100, 3),
      ...conv("conv3", 100, num_outputs, 5),
    },
  };
}

/** Losses of one batch: frame-wise CE and frame errors over the real frames. */
function train_step({ model, extern_data, run_ctx, tf }: TrainStepArgs<Model>): void {
  const p = model.params;
  const layer = (x: typeof extern_data.data, name: string, relu: boolean) =>
    conv1d(tf, x, p[`${name}/W`] as Tensor3D, p[`${name}/b`], {
      padding: "same",
      activation: relu ? "relu" : null,
    });
  const data = extern_data.data;
  const targets = extern_data.classes;
  const logits = layer(layer(layer(data, "conv1", true), "conv2", true), "conv3", false).values;
  const frames = { seqLens: data.seqLens };
  run_ctx.markAsLoss("ce", { values: crossEntropyPerFrame(tf, logits, targets.values), ...frames });
  run_ctx.markAsLoss("fer", { values: frameErrors(tf, logits, targets.values), ...frames }, {
    asError: true,
  });
}

export default {
  task: "train",
  train: { class: "Task12AXDataset", num_seqs: 1000 },
  dev: { class: "Task12AXDataset", num_seqs: 100, fixed_random_seed: 1 },

  num_inputs,
  num_outputs,
  extern_data: {
    data: { dim: num_inputs },
    classes: { dim: num_outputs, sparse: true, available_for_inference: false },
  },
  model_outputs: { output: { dim: num_outputs } },

  batching: "random",
  batch_size: 5000,
  max_seqs: 10,

  get_model,
  train_step,

  // training
  optimizer: { class: "adam" },
  learning_rate: 0.01,
  learning_rate_control: "newbob",
  learning_rate_decay: 0.9,
  newbob_relative_error_threshold: 0.0,
  num_epochs: 5,

  // log
  log_verbosity: 5,
};
