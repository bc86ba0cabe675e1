/**
 * Two outputs on the handwritten digits: a shared hidden layer (64) with one softmax head for the
 * digit (`output`, 10 classes) and one for its parity (`parity`, 2 classes). The loss is the sum
 * of both heads' cross-entropies (RETURNN sums its output layers' losses), and the scores are
 * recorded per output as RETURNN's TF engine names them: `train_score_output`,
 * `train_score_parity`, `dev_score_output`, `dev_error_parity`, ... `newbob_rel` decides on
 * `dev_score_parity`. The learning-rate file is `out/digits_multi/learning_rates`.
 *
 * Run it: `deno task train examples/digits_multi.config.ts` (a few seconds on the cpu backend).
 *
 * @module
 */

import type { Config } from "../trainer/config_types.ts";

export default {
  data: { name: "digits", dev_fraction: 0.2, targets: { output: "digit", parity: "parity" } },
  model: { type: "mlp", hidden: [64], activation: "relu", outputs: { output: 10, parity: 2 } },
  num_epochs: 8,
  batch_size: 32,
  seed: 42,
  output_dir: "out/digits_multi",

  optimizer: { class: "adam", epsilon: 1e-8 },
  learning_rate: 0.004,
  learning_rates: [0.001, 0.002, 0.004],
  learning_rate_control: "newbob_rel",
  learning_rate_control_error_measure: "dev_score_parity",
  newbob_relative_error_threshold: -0.01,
  newbob_learning_rate_decay: 0.5,
  min_learning_rate: 1e-5,
} satisfies Config;
