/**
 * WebGPU plumbing: device acquisition (or an existing device), a pipeline cache, batched
 * submits, readback on request, device-loss errors and an adapter report.
 *
 * @example Usage
 * ```ts
 * import { formatGpuInfo, gpuInfo } from "./mod.ts";
 * import { match } from "node:assert/strict";
 * // A report of the adapter (or of how to get one); `acquireGpu()` opens the device.
 * match(formatGpuInfo(await gpuInfo()), /^WebGPU/);
 * ```
 *
 * @module
 */

export * from "./errors.ts";
export * from "./device.ts";
export * from "./pipeline_cache.ts";
export * from "./info.ts";
export * from "./subnormals.ts";
