/**
 * RETURNN's `demos/demo-tf-native-lstm.12ax.config` as a newbob config: a 10-unit LSTM on the
 * 12AX task, Adam at 0.01, 5 epochs, the TF-style `network` dict (pure data: the same dict
 * works in a JSON config). RETURNN's example output: `net params #: 822`; its CI requires a
 * dev frame error below 0.015 after 5 epochs.
 *
 * Changed from RETURNN's file only where Python differs: no `import os`/`demo_name` printing,
 * no `use_tensorflow` (newbob is the engine), and no `model` checkpoint prefix (newbob writes
 * its checkpoint into the output folder; `model` is newbob's model-spec key).
 *
 * @module
 */

export default {
  task: "train",
  train: { class: "Task12AXDataset", num_seqs: 1000 },
  dev: { class: "Task12AXDataset", num_seqs: 100, fixed_random_seed: 1 },

  num_inputs: 9,
  num_outputs: 2,
  batching: "random",
  batch_size: 5000,
  max_seqs: 10,
  chunking: "200:200",

  network: {
    fw0: { class: "rec", unit: "nativelstm", dropout: 0.1, n_out: 10, from: "data" },
    output: { class: "softmax", loss: "ce", from: "fw0" },
  },

  // training
  optimizer: { class: "adam" },
  learning_rate: 0.01,
  num_epochs: 5,

  // log
  log_verbosity: 3,
};
