/**
 * Wiring of the training loop to newbob's real pieces: the digits data, the TensorFlow.js model
 * (loaded dynamically, so importing this module does not load TensorFlow.js), the fused
 * optimizer engine with its gradient transforms, the schedules' `dynamic_learning_rate`, the
 * learning-rate control and its plot.
 *
 * @module
 */

import type { TrainSettings } from "./config.ts";
import type { EpochControl, TrainDeps, Updater, UpdaterState } from "./train_deps.ts";
import { MLP_DEFAULTS, type ParamModel } from "./model_types.ts";
import { loadDigits } from "./digits.ts";
import { assertFiniteParameters } from "./finite_check.ts";
import { deriveSeed } from "./rng.ts";
import {
  createOptimizer,
  findOptimizer,
  InvalidGradientError,
  type SavedOptimizerState,
} from "../optimizers/mod.ts";
import { chain, type GradientTransform, transformsFromConfig } from "../transforms/mod.ts";
import { dynamicLearningRate } from "../schedules/dynamic_learning_rate.ts";
import { createLearningRateControl } from "../control/learning_rate_control.ts";
import { plotEpochsSvg } from "../control/plot_svg.ts";
import { writeFileAtomic } from "../_util/atomic_write.ts";
import { openDataConfig } from "../datasets/data_config.ts";

/**
 * The gradient transforms a config asks for, built by `transformsFromConfig` in the spec's
 * Torch order: accumulation, noise, value clip, per-tensor norm clip, global-norm clip, skipping
 * invalid steps. `gradient_transform_style` picks the global-norm rule (PyTorch's by default:
 * norm of the processed gradients, `c/(N + 1e-6)`; `"tf"`: raw step norm, `c/max(N, c)`), and
 * `accum_grad_window` the accumulation window (RETURNN TF's global-step window by default).
 *
 * @param s The settings.
 * @returns The transforms for the optimizer engine.
 *
 * @example Usage
 * ```ts
 * import { transformsOf } from "./wiring.ts";
 * import { resolveConfig } from "./config.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const s = resolveConfig({ gradient_clip: 1, accum_grad_multiple_step: 2 });
 * deepEqual(transformsOf(s).map((t) => t.kind), ["accumulate", "clip_value"]);
 * ```
 */
export function transformsOf(s: TrainSettings): GradientTransform[] {
  return transformsFromConfig({
    accum_grad_multiple_step: s.accumGradMultipleStep,
    gradient_noise: s.gradientNoise,
    gradient_clip: s.gradientClip,
    gradient_clip_norm: s.gradientClipNorm,
    gradient_clip_global_norm: s.gradientClipGlobalNorm,
    num_allowed_consec_invalid_gradient_steps: s.numAllowedConsecInvalidGradientSteps,
  }, {
    style: s.gradientTransformStyle,
    window: s.accumGradWindow,
    seed: deriveSeed(s.seed, 0x6e6f6973),
    checkInterval: s.logEverySteps,
  });
}

/**
 * The optimizer dict with RETURNN TF's `momentum` injected when the class takes a momentum and
 * the dict sets none.
 */
function optimizerDict(s: TrainSettings): Record<string, unknown> {
  const dict = { ...s.optimizer };
  if (s.momentum !== undefined && s.momentum !== 0 && !("momentum" in dict)) {
    const def = findOptimizer(String(dict.class));
    if ("momentum" in def.defaults) dict.momentum = s.momentum;
  }
  return dict;
}

/**
 * An {@linkcode InvalidGradientError} of the engine (which names its update step) with the
 * trainer's place of the abort: the mini-batch (`global_train_step`, 0-based, as RETURNN counts)
 * and the epoch. On `cpu` the abort happens at that mini-batch; on `webgpu` it is detected there
 * (the check is deferred).
 *
 * @example Usage
 * ```ts
 * import { InvalidGradientAtStepError } from "./wiring.ts";
 * import { InvalidGradientError } from "../optimizers/mod.ts";
 * import { equal, match, ok } from "node:assert/strict";
 *
 * const e = new InvalidGradientAtStepError(new InvalidGradientError(6, 2), {
 *   globalTrainStep: 5,
 *   epoch: 2,
 *   detected: false,
 * });
 * ok(e instanceof InvalidGradientError);
 * equal(e.globalTrainStep, 5);
 * match(e.message, /^Aborting training as update step 6 \(mini-batch global_train_step 5, epoch 2\)/);
 * ```
 */
export class InvalidGradientAtStepError extends InvalidGradientError {
  /** The mini-batch of the abort (0-based, across epochs). */
  readonly globalTrainStep: number;
  /** The epoch of the abort. */
  readonly epoch: number;
  /** Whether the abort was detected at this mini-batch after the step (a deferred check). */
  readonly detected: boolean;

  /**
   * Add the place of the abort to the engine's error (kept as `cause`).
   *
   * @param error The engine's error.
   * @param at The mini-batch, the epoch, and whether the check was deferred.
   */
  constructor(
    error: InvalidGradientError,
    at: { globalTrainStep: number; epoch: number; detected: boolean },
  ) {
    super(
      error.step,
      error.allowed,
      ` (${at.detected ? "detected at " : ""}mini-batch global_train_step ${at.globalTrainStep}, ` +
        `epoch ${at.epoch})`,
    );
    this.globalTrainStep = at.globalTrainStep;
    this.epoch = at.epoch;
    this.detected = at.detected;
    this.cause = error;
  }
}

/** Options of {@linkcode createEngineUpdater}. */
export interface EngineUpdaterOptions {
  /**
   * The optimizer engine for models on the host (tfjs `cpu`/`wasm`): `wasm` (WebAssembly SIMD on
   * the worker pool) or `cpu` (the TypeScript reference, bitwise the same results, ~10x slower:
   * for debugging and comparisons). Models on webgpu always use the webgpu engine.
   * @default {"wasm"}
   */
  readonly hostEngine?: "wasm" | "cpu";
}

/**
 * Bind the optimizer engine to a model's parameters as an {@linkcode Updater}.
 *
 * @param s The settings.
 * @param model The model.
 * @param options Which engine runs the optimizer of a host model.
 * @returns The updater.
 */
export async function createEngineUpdater(
  s: TrainSettings,
  model: ParamModel,
  options: EngineUpdaterOptions = {},
): Promise<Updater> {
  // tfjs on webgpu: the engine shares its GPUDevice; on cpu/wasm: the engine's wasm backend
  // (WebAssembly SIMD on the worker pool, bitwise the cpu reference, ~10x faster).
  const backend = model.backend === "webgpu" ? "webgpu" : (options.hostEngine ?? "wasm");
  const device = model.device ?? undefined;
  const opt = await createOptimizer(chain(...transformsOf(s), optimizerDict(s)), {
    backend,
    ...(device ? { device } : {}),
    ...(s.optimizerEpsilon !== undefined ? { optimizerEpsilon: s.optimizerEpsilon } : {}),
  });
  const params = await model.parameters();
  const sizes = model.shapes.map((sh) => sh.reduce((a, b) => a * b, 1));
  const state = await opt.init(params, { names: model.names, sizes });
  let epoch = 1;
  const host = backend !== "webgpu";
  // Every read-back is checked: no NaN/Inf reaches the model or a checkpoint unnoticed.
  const readChecked = async (when: string) => {
    const values = await opt.read(state);
    assertFiniteParameters(model.names, values, when);
    return values;
  };
  return {
    async step(grads, learningRate, globalTrainStep) {
      try {
        await opt.step(state, grads, { learningRate, epoch, globalStep: globalTrainStep });
      } catch (e) {
        if (!(e instanceof InvalidGradientError)) throw e;
        throw new InvalidGradientAtStepError(e, { globalTrainStep, epoch, detected: !host });
      }
      if (host) {
        model.parametersUpdated(
          await readChecked(`after update step ${globalTrainStep + 1} (epoch ${epoch})`),
        );
      } else model.parametersUpdated();
    },
    startEpoch(e) {
      epoch = e;
    },
    async reset() {
      await opt.resetState(state);
    },
    parameters: () => readChecked(`when read back in epoch ${epoch}`),
    async exportState(): Promise<UpdaterState> {
      const saved = await opt.exportState(state);
      return { arrays: saved.arrays, meta: saved.config };
    },
    async importState(saved) {
      await opt.importState(state, {
        config: saved.meta,
        arrays: { ...saved.arrays },
      } as SavedOptimizerState);
      if (host) model.parametersUpdated(await opt.read(state));
    },
    dispose() {
      opt.dispose(state);
    },
  };
}

/**
 * Wrap the learning-rate control for the loop.
 *
 * @param config Control keys (RETURNN names).
 * @param file The learning-rate file.
 * @returns The control.
 */
export async function createEpochControl(
  config: Readonly<Record<string, unknown>>,
  file: string,
): Promise<EpochControl & { epochs(): unknown }> {
  const control = await createLearningRateControl({ ...config }, { file });
  return {
    epochStartLearningRate: (e) => control.epochStartLearningRate(e),
    setEpochMeta(e, meta) {
      Object.assign(control.epochMeta(e), meta);
    },
    setEpochError: (e, scores) => control.setEpochError(e, scores),
    explain: (e) => control.explain(e).text,
    save: () => control.save(),
    epochs: () => control.epochs(),
  };
}

/**
 * The real pieces.
 *
 * @returns Everything the loop needs.
 */
export function defaultDeps(): Promise<TrainDeps> {
  return Promise.resolve({
    async defaultBackend() {
      const { defaultBackend } = await import("./tfjs_backend.ts");
      return await defaultBackend();
    },
    loadData: (spec, { seed }) =>
      loadDigits({
        seed,
        ...(typeof spec.dev_fraction === "number" ? { devFraction: spec.dev_fraction } : {}),
        ...(spec.targets !== undefined ? { targets: spec.targets } : {}),
      }),
    async createModel(spec, o) {
      const { createTfjsModel } = await import("./tfjs_model.ts");
      return await createTfjsModel({
        kind: "mlp",
        inputDim: o.inputDim,
        numClasses: o.numClasses,
        hidden: [...((spec.hidden as number[] | undefined) ?? MLP_DEFAULTS.hidden)],
        activation: (spec.activation as "relu" | "tanh" | undefined) ?? MLP_DEFAULTS.activation,
        // Several heads only when the config asks for them (one head keeps dense_<n>/...).
        ...(spec.outputs !== undefined ? { outputs: { ...(o.outputs ?? spec.outputs) } } : {}),
      }, { backend: o.backend, seed: o.seed });
    },
    createUpdater: createEngineUpdater,
    async createSequenceModel(spec, o) {
      const { createTfjsSequenceModel } = await import("./tfjs_seq_model.ts");
      return await createTfjsSequenceModel(spec, o);
    },
    openDatasets: (data) => openDataConfig(data),
    createControl: (config, { file }) => createEpochControl(config, file),
    dynamicLearningRate: (setting) => dynamicLearningRate(setting),
    async plot(path, history) {
      const svg = plotEpochsSvg(
        history.map((h) => ({
          epoch: h.epoch,
          learningRate: h.learningRate,
          // Every key of the learning-rate file (train_score_parity, ... with several outputs).
          error: h.scores ?? {
            train_score: h.trainScore,
            train_error: h.trainError,
            dev_score: h.devScore,
            dev_error: h.devError,
          },
        })),
        { title: "newbob: learning rate and scores per epoch" },
      );
      await writeFileAtomic(path, new TextEncoder().encode(svg), ".tmp", "the plot");
    },
  });
}
