/**
 * WebGPU device acquisition and the per-device context every GPU component shares: pipeline
 * cache, batched submits, readback on request, device-loss tracking and work counters.
 *
 * @module
 */

import { GpuDeviceLostError, GpuUnavailableError } from "./errors.ts";
import { createPipelineCache, type PipelineCache } from "./pipeline_cache.ts";

/** Something with `requestAdapter`, like `navigator.gpu` (inject a fake one in tests). */
export interface GpuProvider {
  /** Same as `GPU.requestAdapter`. */
  requestAdapter(options?: GPURequestAdapterOptions): Promise<GPUAdapter | null>;
}

/** Options of {@linkcode acquireGpu}. */
export interface AcquireGpuOptions {
  /** Use this device (e.g. the one TensorFlow.js uses) instead of requesting one. */
  device?: GPUDevice;
  /** Adapter provider. @default {navigator.gpu} */
  provider?: GpuProvider | null;
  /** Adapter power preference. @default {"high-performance"} */
  powerPreference?: GPUPowerPreference;
}

/** Work counters of one context (for tests and benchmarks: count, don't time). */
export interface GpuStats {
  /** `queue.submit` calls. */
  submits: number;
  /** Compute dispatches encoded. */
  dispatches: number;
  /** Host waits on the GPU (`mapAsync`, `onSubmittedWorkDone`). */
  awaits: number;
  /** `queue.writeBuffer` calls. */
  writes: number;
  /** Buffers created. */
  buffers: number;
}

/** A device plus everything shared by the components that use it. */
export interface GpuContext {
  /** The device. */
  readonly device: GPUDevice;
  /** Adapter description (`"unknown"` for a device passed in). */
  readonly description: string;
  /**
   * Whether the adapter runs on the CPU (Mesa llvmpipe/lavapipe, SwiftShader, WARP): kernels
   * then prefer consecutive work per invocation instead of coalesced strides.
   */
  readonly software: boolean;
  /** Pipeline cache of this device. */
  readonly pipelines: PipelineCache;
  /** Work counters. */
  readonly stats: GpuStats;
  /** Whether this context created the device (and may destroy it). */
  readonly ownsDevice: boolean;
  /** Throw {@linkcode GpuDeviceLostError} when the device is lost. */
  assertAlive(): void;
  /** Create a buffer (counted). */
  createBuffer(size: number, usage: number, label: string): GPUBuffer;
  /** `queue.writeBuffer` (counted). */
  write(buffer: GPUBuffer, offset: number, data: ArrayBufferView): void;
  /** Submit command buffers in one `queue.submit` (counted; never waits). */
  submit(...commands: GPUCommandBuffer[]): void;
  /** Count one encoded dispatch. */
  countDispatch(n?: number): void;
  /**
   * Copy byte ranges of GPU buffers into one staging buffer and map it: one submit and one wait
   * in total. Sources need `COPY_SRC` usage; offsets and sizes must be multiples of 4.
   */
  read(ranges: readonly { buffer: GPUBuffer; offset: number; size: number }[]): Promise<
    ArrayBuffer[]
  >;
  /** Wait until submitted work is done (counted). */
  sync(): Promise<void>;
}

const contexts = new WeakMap<GPUDevice, GpuContext>();

/**
 * Acquire a WebGPU device with the adapter's storage-binding and buffer-size limits, or wrap
 * an existing device. Contexts are cached per device.
 *
 * @throws {GpuUnavailableError} when there is no adapter; the message names the fix.
 * @example Usage
 * ```ts
 * import { acquireGpu } from "./device.ts";
 * import { GpuUnavailableError } from "./errors.ts";
 * import { rejects } from "node:assert/strict";
 * // Without an adapter the error names the fix (with one: `gpu.device`, `gpu.read`, ...).
 * const none = { requestAdapter: () => Promise.resolve(null) };
 * await rejects(acquireGpu({ provider: none }), GpuUnavailableError);
 * ```
 */
export async function acquireGpu(options: AcquireGpuOptions = {}): Promise<GpuContext> {
  if (options.device) {
    return contexts.get(options.device) ?? wrapDevice(options.device, "unknown", false);
  }
  if (options.provider === undefined && options.powerPreference === undefined) {
    // One shared default device per process (re-acquired after a loss).
    const ctx = await (shared ??= requestContext(options).catch((e) => {
      shared = null;
      throw e;
    }));
    try {
      ctx.assertAlive();
      return ctx;
    } catch {
      shared = null;
      return await acquireGpu(options);
    }
  }
  return await requestContext(options);
}

let shared: Promise<GpuContext> | null = null;

async function requestContext(options: AcquireGpuOptions): Promise<GpuContext> {
  const provider = options.provider === undefined
    ? (globalThis.navigator as { gpu?: GpuProvider } | undefined)?.gpu
    : options.provider;
  if (!provider) throw new GpuUnavailableError("navigator.gpu is undefined");
  let adapter: GPUAdapter | null;
  try {
    adapter = await provider.requestAdapter({
      powerPreference: options.powerPreference ?? "high-performance",
    });
  } catch (e) {
    throw new GpuUnavailableError(`requestAdapter() failed: ${(e as Error).message}`);
  }
  if (!adapter) throw new GpuUnavailableError("requestAdapter() returned null");
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    label: "newbob",
    requiredLimits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
    },
  });
  const info = adapter.info;
  // Browsers leave the description empty (SwiftShader: vendor "google", architecture
  // "swiftshader").
  const name = info?.description ||
    [info?.vendor, info?.architecture].filter((s) => s).join(" ") || "unknown";
  return wrapDevice(device, name, true);
}

/**
 * Whether an adapter runs on the CPU (Mesa llvmpipe/lavapipe/softpipe, SwiftShader, WARP): its
 * info says `isFallbackAdapter`, or its description, device or architecture names one of them
 * (browsers report SwiftShader as architecture `swiftshader`).
 *
 * @param info The adapter's (or a device's `adapterInfo`) info.
 * @param alsoMatch More text to look in (e.g. a description known from elsewhere).
 * @returns Whether it is a software adapter.
 *
 * @example Usage
 * ```ts
 * import { isSoftwareAdapter } from "./device.ts";
 * import { equal } from "node:assert/strict";
 * const info = { description: "llvmpipe (LLVM 15.0.6, 256 bits)" } as GPUAdapterInfo;
 * equal(isSoftwareAdapter(info), true);
 * ```
 */
export function isSoftwareAdapter(info: GPUAdapterInfo | undefined, alsoMatch = ""): boolean {
  if ((info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter === true) {
    return true;
  }
  return /llvmpipe|lavapipe|softpipe|swiftshader|microsoft basic|warp/i.test(
    `${info?.description ?? ""} ${info?.device ?? ""} ${info?.architecture ?? ""} ${alsoMatch}`,
  );
}

function wrapDevice(device: GPUDevice, description: string, ownsDevice: boolean): GpuContext {
  const info = (device as { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  const software = isSoftwareAdapter(info, description);
  let lost: GPUDeviceLostInfo | null = null;
  device.lost.then((info) => {
    lost = info;
  });
  // Errors of work that was never awaited (out of memory, validation) surface on the next read.
  let uncaptured: string | null = null;
  device.addEventListener?.("uncapturederror", (ev) => {
    uncaptured ??= (ev as GPUUncapturedErrorEvent).error?.message ?? "unknown GPU error";
  });
  const stats: GpuStats = { submits: 0, dispatches: 0, awaits: 0, writes: 0, buffers: 0 };
  const assertAlive = () => {
    if (lost) throw new GpuDeviceLostError(lost.reason, lost.message);
  };
  const ctx: GpuContext = {
    device,
    description,
    software,
    pipelines: createPipelineCache(device),
    stats,
    ownsDevice,
    assertAlive,
    createBuffer(size, usage, label) {
      assertAlive();
      stats.buffers++;
      return device.createBuffer({ size: Math.max(16, Math.ceil(size / 16) * 16), usage, label });
    },
    write(buffer, offset, data) {
      stats.writes++;
      device.queue.writeBuffer(
        buffer,
        offset,
        data.buffer as ArrayBuffer,
        data.byteOffset,
        data.byteLength,
      );
    },
    submit(...commands) {
      assertAlive();
      stats.submits++;
      device.queue.submit(commands);
    },
    countDispatch(n = 1) {
      stats.dispatches += n;
    },
    async read(ranges) {
      assertAlive();
      if (uncaptured) {
        const msg = uncaptured;
        uncaptured = null;
        throw new Error(
          `Cannot read GPU results as earlier GPU work failed: ${msg.trim()}. Results since ` +
            "then are invalid: resume from the last checkpoint (or use the cpu backend)",
        );
      }
      let total = 0;
      const at = ranges.map((r) => {
        const o = total;
        total += Math.ceil(r.size / 4) * 4;
        return o;
      });
      if (total === 0) return ranges.map(() => new ArrayBuffer(0));
      const staging = device.createBuffer({
        size: Math.ceil(total / 16) * 16,
        usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ,
        label: "newbob readback",
      });
      stats.buffers++;
      try {
        const enc = device.createCommandEncoder({ label: "newbob readback" });
        ranges.forEach((r, i) => {
          if (r.size > 0) enc.copyBufferToBuffer(r.buffer, r.offset, staging, at[i], r.size);
        });
        ctx.submit(enc.finish());
        stats.awaits++;
        await staging.mapAsync(GPUMapMode.READ);
        assertAlive();
        const mapped = staging.getMappedRange();
        const out = ranges.map((r, i) => mapped.slice(at[i], at[i] + r.size));
        staging.unmap();
        return out;
      } catch (e) {
        assertAlive();
        throw e;
      } finally {
        staging.destroy();
      }
    },
    async sync() {
      assertAlive();
      stats.awaits++;
      await device.queue.onSubmittedWorkDone();
      assertAlive();
    },
  };
  contexts.set(device, ctx);
  return ctx;
}
