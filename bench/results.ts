/**
 * Result records shared by the benchmark's runners and its report.
 *
 * @module
 */

import type { Summary } from "./_stats.ts";

/** Parameters per second of one implementation on one optimizer and shape. */
export interface RateResult {
  /** Optimizer case id (`adam`, ...). */
  readonly optimizer: string;
  /** Shape case name (`16M`, `16M x150`). */
  readonly shape: string;
  /** Implementation, e.g. `newbob webgpu`, `tfjs wasm`, `torch cpu`. */
  readonly impl: string;
  /** Parameter updates per second (median, min, max), or null when not measured. */
  readonly rate: Summary | null;
  /** Parameter updates per CPU-second of this process (in-process backends only). */
  readonly cpuRate?: Summary;
  /** Why there is no figure, or how it was measured differently. */
  readonly note?: string;
  /** Queue submits per step (newbob webgpu). */
  readonly submitsPerStep?: number;
  /** Compute dispatches per step (newbob webgpu). */
  readonly dispatchesPerStep?: number;
}

/** A measured memory bandwidth. */
export interface BandwidthResult {
  /** Where: `webgpu <adapter>` or `cpu`. */
  readonly where: string;
  /** Kernel: `copy` or `triad`, with its shape. */
  readonly kernel: string;
  /** Bytes per second (median, min, max). */
  readonly bytesPerSecond: Summary;
  /**
   * `read`: a read-only stream, not a roofline (the floor of a pass that only reads, such as a
   * global norm's). @default {"roofline"}
   */
  readonly role?: "roofline" | "read";
  /** Arrays walked side by side (the wasm in-place kernel's best variant). */
  readonly streams?: number;
}

/**
 * The `impl` of the in-place kernel's turns in a case's round-robin (`bench/main.ts`): its rate is
 * the bandwidth in that case's parameters per second, measured seconds apart from the case's own
 * repetitions, so its share of the roofline does not depend on when the roofline was measured.
 *
 * @example Usage
 * ```ts
 * import { ROOFLINE_IMPL } from "./results.ts";
 * import { match } from "node:assert/strict";
 * match(ROOFLINE_IMPL, /roofline/);
 * ```
 */
export const ROOFLINE_IMPL = "roofline (in-place, in turn)";

/**
 * The `impl` of the trainer run whose optimizer runs on the TypeScript reference engine.
 *
 * @example Usage
 * ```ts
 * import { REFERENCE_ENGINE_IMPL } from "./results.ts";
 * import { match } from "node:assert/strict";
 * match(REFERENCE_ENGINE_IMPL, /TypeScript reference/);
 * ```
 */
export const REFERENCE_ENGINE_IMPL = "newbob train (optimizer on the TypeScript reference)";

/** End-to-end training of the demo. */
export interface EndToEndResult {
  /** `newbob` (the trainer) or `tfjs model.fit`. */
  readonly impl: string;
  /** TensorFlow.js backend of the model. */
  readonly backend: string;
  /** Seconds per epoch (median, min, max over epochs after the first). */
  readonly epochSeconds: Summary | null;
  /** Final dev accuracy (0..1). */
  readonly devAccuracy: number | null;
  /**
   * newbob: microseconds per updater step (the optimizer step, the parameters read back,
   * checked and handed to tfjs) in the same runs.
   */
  readonly updaterStepMicros?: Summary;
  /** Epochs run. */
  readonly epochs: number;
  /** Notes. */
  readonly note?: string;
}
