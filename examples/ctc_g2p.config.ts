/**
 * A CTC example on real data: grapheme-to-phoneme conversion on the CMU Pronouncing Dictionary
 * (`examples/g2p_data.ts`: 5093 training words, 622 dev words, letters in, ARPAbet phonemes
 * out). A bidirectional LSTM (2 x 128 units) and a ReLU layer with a softmax CTC output layer
 * (39 phonemes + the blank, last, as in RETURNN TF), trained with Adam and RETURNN's
 * `newbob_rel` on the dev label error rate. The trainer reports per epoch `train_score` /
 * `dev_score` (CTC loss per target label, as RETURNN TF normalises it) and `train_error` /
 * `dev_error`: the phoneme error rate (edit distance of the greedy decoding over the reference
 * phonemes; RETURNN TF decodes with a beam search, newbob greedily). The data dicts are RETURNN
 * `StaticDataset`s (`data`: a list of `{data, classes}` sequences).
 *
 * Run it: `deno task train examples/ctc_g2p.config.ts` (writes `out/ctc_g2p/`).
 *
 * @module
 */

import { G2P_FEATURES, g2pWords, PHONEMES } from "./g2p_data.ts";

const output_dim = { data: [G2P_FEATURES, 2], classes: [PHONEMES.length, 1] };

export default {
  task: "train",
  train: {
    class: "StaticDataset",
    data: g2pWords({ split: "train", count: 6000 }).seqs,
    output_dim,
  },
  dev: { class: "StaticDataset", data: g2pWords({ split: "dev", count: 1000 }).seqs, output_dim },
  extern_data: {
    data: { dim: G2P_FEATURES },
    classes: { dim: PHONEMES.length, sparse: true },
  },
  batching: "laplace:.200",
  batch_size: 1000,
  max_seqs: 50,

  network: {
    fw: { class: "rec", unit: "nativelstm2", n_out: 128, from: "data" },
    bw: { class: "rec", unit: "nativelstm2", n_out: 128, direction: -1, from: "data" },
    hidden: { class: "linear", activation: "relu", n_out: 128, from: ["fw", "bw"], dropout: 0.1 },
    output: { class: "softmax", loss: "ctc", from: "hidden" },
  },

  optimizer: { class: "adam", epsilon: 1e-8 },
  learning_rate: 0.005,
  learning_rate_control: "newbob_rel",
  learning_rate_control_error_measure: "dev_error",
  newbob_relative_error_threshold: -0.02,
  newbob_learning_rate_decay: 0.5,
  num_epochs: 12,
};
