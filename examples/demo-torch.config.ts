/**
 * The model of RETURNN's `demos/demo-torch.config` as a newbob config: three 1-D convolutions
 * (9 -> 50 -> 100 -> 2 features, filter 5, "same" padding, ReLU) trained on the 12AX task with
 * frame-wise cross-entropy (`ce`) and the frame error rate (`fer`) as RETURNN's PyTorch engine
 * records them (`train_loss_ce`, `dev_loss_fer`), Adam at 0.01 and newbob control with
 * `learning_rate_decay` 0.9. 28402 parameters. RETURNN's CI requires a dev frame error below
 * 0.02 after 5 epochs.
 *
 * Changed from RETURNN's file where PyTorch code must become TensorFlow.js code: the model is a
 * `tf.sequential` of `conv1d` layers (frames stay [B, T, F], no permutes), and the losses are
 * marked on the padded batch with its lengths instead of `pack_padded_sequence` (the same
 * frames count). No `forward_step` (newbob does not run inference here), no `model` or
 * `learning_rate_file` paths under /tmp (newbob writes into the output folder), no
 * `torch_log_memory_usage`, and no `backend = "torch"` (newbob's `backend` picks the tfjs
 * backend: `cpu`, `wasm` or `webgpu`).
 *
 * @module
 */

import type { LayersModel, Tensor3D } from "@tensorflow/tfjs";
import { crossEntropyPerFrame, frameErrors } from "../models/mod.ts";
import type { GetModelArgs, TrainStepArgs } from "../models/mod.ts";

const num_inputs = 9;
const num_outputs = 2;

/** The model: three 1-D convolutions over time (RETURNN's `Model` of the demo). */
function get_model({ tf }: GetModelArgs): LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv1d({
        name: "conv1",
        inputShape: [null, num_inputs],
        filters: 50,
        kernelSize: 5,
        padding: "same",
        activation: "relu",
      }),
      tf.layers.conv1d({
        name: "conv2",
        filters: 100,
        kernelSize: 5,
        padding: "same",
        activation: "relu",
      }),
      tf.layers.conv1d({ name: "conv3", filters: num_outputs, kernelSize: 5, padding: "same" }),
    ],
  });
}

/** Losses of one batch: frame-wise CE and frame errors over the real frames. */
function train_step({ model, extern_data, run_ctx, tf, train }: TrainStepArgs<LayersModel>): void {
  const data = extern_data.data;
  const targets = extern_data.classes;
  const logits = model.apply(data.values, { training: train }) as Tensor3D; // [B, T, 2]
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
