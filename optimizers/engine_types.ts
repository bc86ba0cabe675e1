/**
 * Internal types shared by the engine and its two backends (`cpu`, `webgpu`).
 *
 * @module
 */

import type { TransformPlan } from "../transforms/plan.ts";
import type { Hyper, OptimizerDef } from "./types.ts";

/** A parameter tensor or gradient: host array or GPU buffer (`STORAGE | COPY_SRC | COPY_DST`). */
export type TensorInput = Float32Array | GPUBuffer;

/** Static description of one parameter group, as the backends see it. */
export interface GroupSetup {
  /** Resolved hyperparameters of the group (its own `weight_decay`). */
  readonly hyper: Hyper;
  /** Slot names. */
  readonly slots: readonly string[];
  /** Initial value of each slot. */
  readonly slotInit: readonly number[];
  /** Element count of each tensor. */
  readonly sizes: readonly number[];
  /** Global index of the group's first tensor. */
  readonly tensorBase: number;
}

/** Per-group values of one step, already rounded to float32. */
export interface GroupStep {
  /** Definition uniforms (`def.scalars`). */
  readonly scalars: Float32Array;
  /** Learning rate of the group. */
  readonly lr: number;
  /** Weight decay of the group. */
  readonly wd: number;
  /** `fround(1 - lr·wd)` for decoupled decay. */
  readonly decay: number;
  /**
   * Per plan operation: its per-step value for this group (`ElementOpKind.perStep`, e.g. a
   * `p_scale` factor `fround(1 - lr·rate)`), 1 for operations without one.
   */
  readonly opValues: readonly number[];
}

/** What one call of `step` asks the backend to do. */
export interface StepCommand {
  /** Whether an update is taken (false: accumulate only). */
  readonly update: boolean;
  /** Whether this micro-step starts an accumulation window (overwrites the accumulator). */
  readonly accumFirst: boolean;
  /** 1-based update attempt (noise counter, abort step); valid when `update`. */
  readonly attempt: number;
  /** Whether this update is the first of a new epoch (resets the invalid counter). */
  readonly epochStart: boolean;
  /** Per group. */
  readonly groups: readonly GroupStep[];
}

/** Skip and norm status kept by a backend. */
export interface BackendStatus {
  /** Global norm of each reduction from the last update (NaN if none). */
  readonly norms: readonly number[];
  /** Consecutive invalid updates. */
  readonly consec: number;
  /** Update attempt that aborted (0 if none). */
  readonly abort: number;
  /** Updates skipped so far. */
  readonly skipped: number;
}

/** Backend half of one optimizer state. */
export interface BackendState {
  /** Run one step; returns whether the update was skipped when known now (cpu), else undefined. */
  step(grads: readonly (readonly TensorInput[])[], cmd: StepCommand): boolean | undefined;
  /** Parameters per group. */
  readParams(): Promise<Float32Array[][]>;
  /** Slots as `[group][slot][tensor]`, accumulators as `[group][tensor]` (null without). */
  readSlots(): Promise<{ slots: Float32Array[][][]; accum: Float32Array[][] | null }>;
  /** Overwrite slots and accumulators (same shapes as `readSlots`). */
  writeSlots(slots: Float32Array[][][], accum: Float32Array[][] | null): void;
  /** Skip and norm status (synchronises on webgpu). */
  readStatus(): Promise<BackendStatus>;
  /** Overwrite the invalid-step counters. */
  writeStatus(consec: number, skipped: number): void;
  /** A status whose abort is already known without waiting (webgpu's periodic check). */
  pollAbort(): number;
  /** Start a non-blocking abort check (webgpu); no-op on cpu. */
  checkSoon(): void;
  /**
   * Per group and tensor, an array the caller may write a step's gradient into so that `step`
   * copies nothing (pass the same array as the gradient); null where the backend has none.
   */
  gradientViews?(): (Float32Array | null)[][];
  /** Free GPU memory (and the wasm backend's memories and workers). */
  destroy(): void;
}

/** Everything a backend needs to create state. */
export interface BackendInit {
  readonly def: OptimizerDef;
  readonly plan: TransformPlan;
  readonly groups: readonly GroupSetup[];
  /** Initial parameters per group. */
  readonly params: readonly (readonly TensorInput[])[];
}
