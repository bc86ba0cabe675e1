/**
 * WebGPU plumbing: device acquisition (or an existing device), a pipeline cache, batched
 * submits, readback on request, device-loss errors and an adapter report.
 *
 * @example Usage
 * ```ts ignore
 * import { acquireGpu, formatGpuInfo, gpuInfo } from "./mod.ts";
 * console.log(formatGpuInfo(await gpuInfo()));
 * const gpu = await acquireGpu();
 * console.log(gpu.device.limits.maxStorageBufferBindingSize);
 * ```
 *
 * @module
 */

export * from "./errors.ts";
export * from "./device.ts";
export * from "./pipeline_cache.ts";
export * from "./info.ts";
export * from "./subnormals.ts";
