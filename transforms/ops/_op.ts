/**
 * Private: the shape of one gradient transform's home. A transform kind compiles its data
 * (`clipByValue(1)` → `{ kind: "clip_value", ... }`) into the plan: element-wise operations,
 * reductions, accumulation, skipping. An element-wise operation carries everything the engine's
 * backends need for it: its engine uniforms, its per-step value, its WGSL and its CPU reference.
 *
 * @module
 */

import type { LaneBuilder } from "../../kernels/lane.ts";
import type { GradientTransform, NormType } from "../types.ts";

/** A uniform field: name and scalar type. */
export type UniformField = readonly [name: string, type: "f32" | "u32"];

/** A norm pass: the norm of the gradient after the first `at` operations. */
export interface Reduction {
  /** Per-tensor (`clip_norm`) or over all tensors. */
  readonly scope: "tensor" | "global";
  /** Number of element-wise operations applied to the raw gradient before the norm is taken. */
  readonly at: number;
  /** Norm type. */
  readonly normType: NormType;
  /** Clip bound (Infinity for a norm that is only measured). */
  readonly maxNorm: number;
  /** Coefficient style: torch `min(c/(N+1e-6),1)`, tf `c/max(N,c)`. */
  readonly style: "torch" | "tf";
}

/** The plan under construction, as a transform kind sees it. */
export interface PlanBuilder {
  /** Element-wise operations so far. */
  readonly ops: { readonly op: string }[];
  /** Reductions so far. */
  readonly reductions: Reduction[];
  /** Accumulation, once set. */
  accumulate: { readonly steps: number; readonly window: "global" | "epoch" } | null;
  /** Invalid-gradient skipping, once set. */
  skip:
    | { readonly allowed: number; readonly checkInterval: number; readonly reduction: number }
    | null;
  /** Index of the last torch-style global L2 clip (-1 if none). */
  lastGlobalL2: number;
  /** Index of the last global clip (-1 if none). */
  lastGlobal: number;
  /** Position of this transform in the chain. */
  readonly position: number;
  /** Add a measure-only global L2 norm of the gradients processed so far; returns its index. */
  measureNorm(): number;
}

/** One transform kind: how its data compiles into the plan. */
export interface TransformKind<T extends GradientTransform = GradientTransform> {
  /** The transform's `kind`. */
  readonly kind: T["kind"];
  /** Append what `t` does to the plan. */
  compile(t: T, plan: PlanBuilder): void;
}

/** What an operation's CPU reference gets for one tensor. */
export interface CpuOpArgs {
  /** The gradient (working copy), changed in place. */
  readonly g: Float32Array;
  /** The parameter (working copy), changed in place. */
  readonly p: Float32Array;
  /** Global index of the tensor (noise keys). */
  readonly tensor: number;
  /** 1-based update attempt (noise keys). */
  readonly attempt: number;
  /** The operation's per-step value for the tensor's group (see `perStep`). */
  readonly stepValue: number;
  /** Per-tensor scale of reduction `r` for this tensor. */
  tensorScale(r: number): number;
  /** Global clip coefficient of reduction `r`. */
  globalScale(r: number): number;
}

/**
 * One element-wise operation of a plan. Its kernel description reads and writes the variables
 * `g` (the gradient) and `p`, the engine uniforms of its `uniforms` (`k.e(name)`), and with
 * `needsTensor` the tensor and element indices and the valid lanes; it is rendered as WGSL and as
 * WebAssembly with the engine's kernels.
 */
export interface ElementOpKind<O extends { readonly op: string } = { readonly op: string }> {
  /** The operation's `op`. */
  readonly op: O["op"];
  /** Whether its kernel code needs `t`, `e0` and `valid`. */
  readonly needsTensor: boolean;
  /** Engine uniform fields of operation `k` of the plan (names unique per `k`). */
  uniforms(op: O, k: number): UniformField[];
  /** Values of those fields, by name; `stepValue` is the op's per-step value of the group. */
  uniformValues(op: O, k: number, stepValue: number): Record<string, number>;
  /** The per-step value for a group with learning rate `lr` (float32), if the op has one. */
  perStep?(op: O, lr: number): number;
  /** Append the kernel description of operation `k` of the plan to `b`. */
  kernel(op: O, k: number, b: LaneBuilder): void;
  /** The CPU reference on one tensor (exact float32 rounding). */
  cpu(op: O, args: CpuOpArgs): void;
}
