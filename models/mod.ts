/**
 * Sequence models and losses: RETURNN's TF `network` dict as data (validated before any work,
 * built with RETURNN's parameter names and initialisation), RETURNN's PyTorch-style
 * `get_model` / `train_step` functions with `run_ctx.markAsLoss`, frame-wise cross-entropy,
 * CTC (log space, hand-written gradient), greedy decoding and label error rate, and epoch
 * scores normalised and named as RETURNN's engines write them. Everything runs on padded
 * batches with their sequence lengths. The LSTM recursion and the CTC loss run as fused kernels
 * (one call per batch forward, one backward) on tfjs' cpu, wasm and webgpu backends
 * (`docs/fused_kernels.md`).
 *
 * @example CTC loss and its gradient
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { ctcLoss } from "./mod.ts";
 *
 * const logits = tf.randomNormal([2, 5, 4]);
 * const targets = tf.tensor2d([[1, 2], [3, -1]], [2, 2], "int32");
 * const loss = ctcLoss(tf, logits, targets, [5, 3], [2, 1], { blank: 0, zeroInfinity: false });
 * const grad = tf.grad((x) => tf.sum(ctcLoss(tf, x, targets, [5, 3], [2, 1])))(logits);
 * assert.deepEqual(loss.shape, [2]);
 * assert.deepEqual(grad.shape, [2, 5, 4]);
 * ```
 *
 * @module
 */

export * from "./seq.ts";
export * from "./extern_data.ts";
export * from "./network.ts";
export * from "./registry.ts";
export * from "./run_ctx.ts";
export * from "./scores.ts";
export * from "./lstm_cell.ts";
export { fusedLstm, type FusedLstmArgs, registerFusedLstm } from "./fused/lstm_op.ts";
export {
  fusedLstmThreads,
  type FusedLstmThreadsOptions,
  LSTM_POOL_MIN_WORK,
  setFusedLstmThreads,
} from "./fused/lstm_pool.ts";
export { registerFusedCtc } from "./fused/ctc_op.ts";
export { useFastWasmMatMul } from "./fused/wasm_matmul.ts";
export * from "./function_model.ts";
export * from "./losses/ctc.ts";
export * from "./losses/ctc_decode.ts";
export * from "./losses/edit_distance.ts";
export * from "./losses/cross_entropy.ts";
export { conv1d, type Conv1dOptions, convOutputLength } from "./layers/conv.ts";
export { LSTM_UNITS } from "./layers/rec.ts";
export { ACTIVATIONS } from "./_activation.ts";
export type {
  CheckContext,
  DimInfo,
  ForwardContext,
  Init,
  LayerDef,
  LayerOutput,
  ParamSpec,
} from "./layers/_layer.ts";
export type { Activation } from "./_activation.ts";
export type { Lengths, Tf, tfjs } from "./_tf.ts";
