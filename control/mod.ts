/**
 * Epoch-level learning-rate control with RETURNN's semantics, its epoch history and RETURNN's
 * learning-rate file.
 *
 * - {@linkcode createLearningRateControl}: `constant`, `newbob` / `newbob_rel` /
 *   `newbob_relative`, `newbob_abs`, `newbob_multi_epoch` (same decisions as RETURNN, float for
 *   float; the multi-epoch mean is numpy's pairwise sum) and torch's `reduce_on_plateau`
 *   ({@linkcode ReduceLROnPlateau} also standalone). Every key of RETURNN's table is read
 *   ({@linkcode resolveControlSettings}); unknown keys are ignored.
 * - Where RETURNN crashes (a zero score as divisor, decay and growth firing together) a
 *   {@linkcode LearningRateControlError} names the epoch, key, values and fix. JavaScript has no
 *   int/float split, so `learning_rate: 1` or a decay of `1` simply work.
 * - `relative_error_div_by_old` (the documented name, which RETURNN never reads) is honoured as
 *   an alias of `newbob_relative_error_div_by_old`; different values for both are an error.
 * - Pretraining follows RETURNN's TF engine ({@linkcode LearningRateControl.epochStartLearningRate}
 *   with `pretrain_epochs`, `pretrain_learning_rate`, `use_learning_rate_control_always`); with
 *   no pretraining (the default) this is the Torch engine's behaviour.
 * - The file ({@linkcode parseLearningRateFile}, {@linkcode formatLearningRateFile}): every form
 *   RETURNN writes or reads is parsed by a real literal parser (never evaluated; errors carry
 *   line and column), and the text written is RETURNN's byte for byte, with one normalisation:
 *   a numpy float `np.float64(x)` is written as plain `x` (line breaking still counts RETURNN's
 *   longer text). Meta numbers are written as ints when integral, except
 *   `effective_learning_rate`, which RETURNN's engines store as a float. The parser and the
 *   formatter work on strings (everything here loads in a browser); with a file, the control
 *   loads it when created and saves it atomically (Deno).
 * - {@linkcode plotEpochsSvg} draws the history (the CLI's `lr` command replays a file).
 *
 * @example Usage
 * ```ts
 * import { createLearningRateControl } from "./mod.ts";
 * import { equal } from "node:assert/strict";
 *
 * const control = await createLearningRateControl({ learning_rate_control: "newbob", learning_rate: 0.01 });
 * equal(control.learningRateForEpoch(1), 0.01);
 * control.setEpochError(1, { dev_score: 1.2, train_score: { "cost:output": 1.5 } });
 * equal(control.errorKey(1), "dev_score");
 * ```
 *
 * @module
 */

export * from "./config.ts";
export * from "./error_key.ts";
export * from "./epoch_view.ts";
export * from "./errors.ts";
export * from "./learning_rate_control.ts";
export * from "./lr_file.ts";
export * from "./reduce_on_plateau.ts";
export * from "./plot_svg.ts";
// A score read from a RETURNN file may be a numpy float (its Python type is kept for writing it
// back). The Python-literal parser and reprs are internals of the file format.
export { PyFloat } from "./py_value.ts";
