/**
 * Errors raised by the WebGPU layer that callers are meant to catch.
 *
 * @module
 */

/**
 * How to get a WebGPU adapter, shared by every "no GPU" message.
 *
 * @example Usage
 * ```ts
 * import { GPU_FIX_HINT } from "./errors.ts";
 * import { match } from "node:assert/strict";
 * match(GPU_FIX_HINT, /DENO_WEBGPU_BACKEND/);
 * ```
 */
export const GPU_FIX_HINT: string =
  "install Mesa's Vulkan driver (`apt-get install -y mesa-vulkan-drivers libvulkan1`), " +
  "set DENO_WEBGPU_BACKEND=vulkan (or gl), or choose the `cpu` backend (`--backend cpu`; a " +
  "training run resumes from its last checkpoint on any backend)";

/**
 * No WebGPU adapter (or no `navigator.gpu`) is available.
 *
 * @example Usage
 * ```ts
 * import { GPU_FIX_HINT, GpuUnavailableError } from "./errors.ts";
 * import { equal } from "node:assert/strict";
 * const e = new GpuUnavailableError("requestAdapter() returned null");
 * equal(e.message.includes(GPU_FIX_HINT), true);
 * ```
 */
export class GpuUnavailableError extends Error {
  /**
   * Create the error.
   * @param detail What was observed (e.g. `navigator.gpu is undefined`).
   */
  constructor(detail: string) {
    super(
      `Cannot use the webgpu backend as no WebGPU adapter was found (${detail}): ${GPU_FIX_HINT}`,
    );
    this.name = "GpuUnavailableError";
  }
}

/**
 * The GPU device was lost (driver reset, out of memory, `device.destroy()`); every later call on
 * GPU state throws this.
 *
 * @example Usage
 * ```ts
 * import { GpuDeviceLostError } from "./errors.ts";
 * import { equal, match } from "node:assert/strict";
 * const e = new GpuDeviceLostError("unknown", "driver reset");
 * match(e.message, /--backend cpu/);
 * equal(e.reason, "unknown");
 * ```
 */
export class GpuDeviceLostError extends Error {
  /** Why the device was lost (`GPUDeviceLostReason`). */
  readonly reason: string;
  /**
   * Create the error.
   * @param reason `GPUDeviceLostInfo.reason`.
   * @param detail `GPUDeviceLostInfo.message`.
   */
  constructor(reason: string, detail: string) {
    super(
      `The WebGPU device was lost (${reason}${detail ? `: ${detail}` : ""}); GPU optimizer state ` +
        "is gone: continue with `--backend cpu` or resume from the last checkpoint",
    );
    this.name = "GpuDeviceLostError";
    this.reason = reason;
  }
}
