/**
 * The embedded default job: a small MLP (64-64-10) on the handwritten-digits data (Alpaydin &
 * Kaynak 1998, UCI, CC BY 4.0; `examples/data/`), Adam, a learning-rate warm-up over the first
 * epochs via `learning_rates`, then RETURNN's `newbob_rel` control on the dev score: whenever the
 * dev score improves by less than 1 % relative, the rate is halved. The learning-rate file is
 * `out/digits/learning_rates`.
 *
 * Run it: `deno task demo:digits` (or `deno run ... cli.ts train`, which runs this job by default).
 *
 * @module
 */

import type { Config } from "../trainer/config_types.ts";

export default {
  data: { name: "digits", dev_fraction: 0.2 },
  model: { type: "mlp", hidden: [64], activation: "relu" },
  num_epochs: 20,
  batch_size: 32,
  seed: 42,
  output_dir: "out/digits",

  optimizer: { class: "adam", epsilon: 1e-8 },
  learning_rate: 0.004,
  // Warm-up: epochs 1-3 ramp up to the default learning rate.
  learning_rates: [0.001, 0.002, 0.004],
  learning_rate_control: "newbob_rel",
  learning_rate_control_error_measure: "dev_score",
  newbob_relative_error_threshold: -0.01,
  newbob_learning_rate_decay: 0.5,
  min_learning_rate: 1e-5,
} satisfies Config;
