/**
 * Epoch-level learning-rate control with RETURNN's semantics (`constant`, `newbob`,
 * `newbob_abs`, `newbob_multi_epoch`) and torch's `ReduceLROnPlateau`, the epoch history and
 * RETURNN's learning-rate file (read and written byte for byte, atomically).
 *
 * @example Usage
 * ```ts
 * import { createLearningRateControl } from "./mod.ts";
 * const control = await createLearningRateControl({ learning_rate_control: "newbob", learning_rate: 0.01 });
 * const lr = control.learningRateForEpoch(1);
 * control.setEpochError(1, { dev_score: 1.2, train_score: { "cost:output": 1.5 } });
 * console.assert(lr === 0.01 && control.errorKey(1) === "dev_score");
 * ```
 *
 * @module
 */

export * from "./atomic_write.ts";
export * from "./better_repr.ts";
export * from "./config.ts";
export * from "./error_key.ts";
export * from "./epoch_view.ts";
export * from "./errors.ts";
export * from "./learning_rate_control.ts";
export * from "./lr_file.ts";
export * from "./numpy_mean.ts";
export * from "./py_float_repr.ts";
export * from "./py_literal.ts";
export * from "./py_str_repr.ts";
export * from "./py_value.ts";
export * from "./reduce_on_plateau.ts";
export * from "./lr_command.ts";
export * from "./plot_svg.ts";
