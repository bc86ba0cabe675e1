/**
 * The shape every optimizer algorithm has: one small definition object holding the math twice,
 * once as a kernel description (a {@linkcode LaneProgram}, from which the WGSL and WebAssembly
 * kernels are generated) and once as a hand-written CPU reference over `Float32Array`s, the
 * independent oracle both generated kernels are tested against.
 *
 * The engine (`optimizers/engine.ts`) owns everything shared: storage, the element loop, the
 * gradient prologue (`maximize`, coupled or decoupled `weight_decay`, fused transforms),
 * dispatch, state export and import. A definition only states its algorithm.
 *
 * @module
 */

import type { LaneProgram } from "../kernels/lane.ts";

/** A hyperparameter value as it appears in a config's `optimizer` dict (PyTorch names). */
export type HyperValue = number | boolean | readonly number[];

/** Resolved hyperparameters of one optimizer: every key present, every value validated. */
export type Hyper = Readonly<Record<string, HyperValue>>;

/**
 * How the shared prologue applies `weight_decay` for this algorithm.
 *
 * - `"coupled"`: PyTorch's L2 term, `g = g + weight_decay * p` (after `maximize` negation).
 * - `"decoupled"`: AdamW style, `p = p * (1 - lr * weight_decay)` before the update.
 * - `"none"`: the algorithm has no `weight_decay` hyperparameter (rprop).
 */
export type WeightDecayMode = "coupled" | "decoupled" | "none";

/**
 * Scalar optimizer state kept on the host in float64 (PyTorch keeps it in Python floats or 0-d
 * tensors). `step` is the 1-based count of the step being taken once `scalars` is called.
 */
export interface HostState {
  /** Number of update steps taken (PyTorch's `state['step']`). */
  step: number;
  /** Algorithm-specific scalars, e.g. NAdam's `mu_product`, ASGD's `eta` and `mu`. */
  [key: string]: number;
}

/**
 * One optimizer algorithm. All per-element math is float32: the CPU reference rounds every
 * intermediate with `Math.fround`, so it is an exact IEEE float32 evaluation in the same order as
 * the WGSL body.
 */
export interface OptimizerDef {
  /** Canonical lower-case PyTorch class name, e.g. `"adam"`. */
  readonly name: string;
  /** Other accepted class names (lower case), e.g. RETURNN/TF aliases like `"momentum"`. */
  readonly aliases: readonly string[];
  /** PyTorch defaults of every hyperparameter except `lr` (`eps`, `betas`, `weight_decay`...). */
  readonly defaults: Hyper;
  /** How the engine applies `weight_decay` for this algorithm. */
  readonly weightDecay: WeightDecayMode;
  /**
   * Validate user-given hyperparameters (already merged over `defaults`) and return them.
   * Throws `RangeError`/`TypeError` naming the key, the bad value and the valid range.
   */
  resolve(merged: Readonly<Record<string, unknown>>): Hyper;
  /** Names of the per-element state tensors, PyTorch `state_dict` names (`exp_avg`, ...). */
  slots(h: Hyper): readonly string[];
  /** Value each slot is filled with at initialisation and after a state reset. */
  slotInit(h: Hyper, slot: string): number;
  /** Initial host scalars besides `step` (e.g. `{ mu_product: 1 }`); `{}` if none. */
  hostInit(h: Hyper): Record<string, number>;
  /** Names of the per-step scalars (`u.<name>` in WGSL, index in `cpu`'s `s`), in order. */
  uniforms(h: Hyper): readonly string[];
  /**
   * Compute this step's scalars in float64 on the host, in `uniforms(h)` order, and advance
   * algorithm-specific host state. The engine has already incremented `host.step`.
   */
  scalars(h: Hyper, host: HostState, lr: number): number[];
  /**
   * The update of one element as a kernel description: reads and writes `p` and each slot
   * (variables named as `slots(h)`), reads `g` (the gradient after the prologue) and the
   * uniforms `u(name)` of `uniforms(h)`. The engine loads and stores p and the slots around it
   * and renders it as WGSL (`vec4<f32>`) and WebAssembly SIMD (`f32x4`). It must compute what
   * `cpu` computes, operation for operation.
   */
  kernel(h: Hyper): LaneProgram;
  /** `kernel(h)` rendered as WGSL statements (for inspection; derived from `kernel`). */
  wgsl(h: Hyper): string;
  /**
   * CPU reference: update elements `[from, to)` in place. `s` holds `scalars(...)` already
   * rounded to float32, in `uniforms(h)` order; `g` is the gradient after the prologue.
   */
  cpu(
    h: Hyper,
    s: Float32Array,
    p: Float32Array,
    g: Float32Array,
    slots: readonly Float32Array[],
    from: number,
    to: number,
  ): void;
}
