/**
 * A CTC example: a bidirectional LSTM (2 x 32 units) with a softmax CTC output layer (blank
 * last, as RETURNN TF) on the toy phone-recognition data of `ctc_toy_data.ts` (5 labels, noisy
 * prototype frames with variable durations). The trainer reports per epoch `train_score` /
 * `dev_score` (CTC loss per target label, as RETURNN TF normalises it) and `dev_error` (label
 * error rate: edit distance of the greedy decoding over the reference labels). The data
 * dicts are RETURNN `StaticDataset`s (`data`: a list of `{data, classes}` sequences).
 *
 * @module
 */

import { CTC_TOY_FEATURES, CTC_TOY_LABELS, ctcToyUtterances } from "./ctc_toy_data.ts";

export default {
  task: "train",
  train: {
    class: "StaticDataset",
    data: ctcToyUtterances(500, 1),
    output_dim: { data: [CTC_TOY_FEATURES, 2], classes: [CTC_TOY_LABELS, 1] },
  },
  dev: {
    class: "StaticDataset",
    data: ctcToyUtterances(100, 2),
    output_dim: { data: [CTC_TOY_FEATURES, 2], classes: [CTC_TOY_LABELS, 1] },
  },
  extern_data: {
    data: { dim: CTC_TOY_FEATURES },
    classes: { dim: CTC_TOY_LABELS, sparse: true },
  },
  batch_size: 2000,
  max_seqs: 20,

  network: {
    fw: { class: "rec", unit: "nativelstm2", n_out: 32, from: "data" },
    bw: { class: "rec", unit: "nativelstm2", n_out: 32, direction: -1, from: "data" },
    output: { class: "softmax", loss: "ctc", from: ["fw", "bw"] },
  },

  optimizer: { class: "adam" },
  learning_rate: 0.01,
  learning_rate_control: "newbob_rel",
  num_epochs: 10,
};
