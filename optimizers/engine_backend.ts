/**
 * Creating the backend half of a state: the `cpu` reference, `wasm`, or `webgpu`, whose WGSL and
 * binding errors surface here, at init, with one wait (never during steps).
 *
 * @module
 */

import { acquireGpu, type GpuContext, type GpuProvider, isSoftwareAdapter } from "../gpu/device.ts";
import { createCpuState } from "./engine_cpu.ts";
import type { BackendInit, BackendState } from "./engine_types.ts";
import { createWasmState, type WasmEngineOptions } from "./engine_wasm.ts";
import { createWebGpuState, type WebGpuEngineOptions } from "./engine_webgpu.ts";

/**
 * Where the optimizer runs: `cpu` (the float32 TypeScript reference), `wasm` (WebAssembly SIMD
 * kernels on a pool of Workers over shared memory, bitwise the reference), `webgpu` (one fused
 * WGSL kernel per group and step).
 */
export type Backend = "cpu" | "wasm" | "webgpu";

/**
 * The backends, in the order messages list them.
 *
 * @example Usage
 * ```ts
 * import { BACKENDS } from "./engine_backend.ts";
 * import { equal } from "node:assert/strict";
 * equal(BACKENDS.includes("cpu"), true);
 * ```
 */
export const BACKENDS: readonly Backend[] = Object.freeze(["cpu", "wasm", "webgpu"]);

/** What a backend needs beyond the state's contents. */
export interface BackendContext {
  /** The backend. */
  readonly backend: Backend;
  /** The GPU, for webgpu. */
  readonly gpu: GpuContext | null;
  /** WebGPU tuning. */
  readonly webgpu?: WebGpuEngineOptions;
  /** wasm threads and memory limits. */
  readonly wasm?: WasmEngineOptions;
}

/** How to find a GPU: a device to use, or an adapter provider. */
export interface GpuChoice {
  /** Use this device (e.g. TensorFlow.js's). */
  readonly device?: GPUDevice;
  /** Adapter provider, like `navigator.gpu`. */
  readonly gpu?: GpuProvider | null;
}

/**
 * The backend `"auto"` stands for: `webgpu` when a device is given or a hardware adapter exists,
 * otherwise `wasm`. A software adapter (llvmpipe, lavapipe, SwiftShader, WARP) does not count:
 * measured on 2 CPU cores (bench/README.md), wasm ran Adam at 16M parameters several times faster
 * than webgpu on lavapipe, and the wasm backend is bitwise the cpu reference.
 *
 * @example Usage
 * ```ts
 * import { autoBackend } from "./engine_backend.ts";
 * import { equal } from "node:assert/strict";
 * equal(await autoBackend({ gpu: { requestAdapter: () => Promise.resolve(null) } }), "wasm");
 * ```
 */
export async function autoBackend(choice: GpuChoice): Promise<Backend> {
  if (choice.device) return "webgpu";
  const provider = choice.gpu === undefined
    ? (globalThis.navigator as { gpu?: GpuProvider } | undefined)?.gpu
    : choice.gpu;
  const adapter = await provider?.requestAdapter().catch(() => null) ?? null;
  if (!adapter) return "wasm";
  const fallback = (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  return fallback || isSoftwareAdapter(adapter.info) ? "wasm" : "webgpu";
}

/**
 * Check a backend name.
 *
 * @throws {RangeError} for an unknown backend.
 * @example Usage
 * ```ts
 * import { checkBackend } from "./engine_backend.ts";
 * import { equal, throws } from "node:assert/strict";
 * equal(checkBackend("cpu"), "cpu");
 * throws(() => checkBackend("tpu"), /'backend' must be "cpu" or "wasm" or "webgpu": current value is tpu/);
 * ```
 */
export function checkBackend(backend: string): Backend {
  if (!(BACKENDS as readonly string[]).includes(backend)) {
    throw new RangeError(
      `Cannot create optimizer as 'backend' must be ${
        BACKENDS.map((b) => `"${b}"`).join(" or ")
      }: current value is ${backend}`,
    );
  }
  return backend as Backend;
}

/**
 * Acquire what a backend needs (the GPU for webgpu).
 *
 * @throws {GpuUnavailableError} on webgpu without an adapter.
 * @example Usage
 * ```ts
 * import { openBackend } from "./engine_backend.ts";
 * import { equal } from "node:assert/strict";
 * equal((await openBackend("cpu", {})).gpu, null);
 * ```
 */
export async function openBackend(
  backend: Backend,
  choice: GpuChoice,
  webgpu?: WebGpuEngineOptions,
  wasm?: WasmEngineOptions,
): Promise<BackendContext> {
  if (backend === "cpu") return { backend, gpu: null };
  if (backend === "wasm") return { backend, gpu: null, ...(wasm ? { wasm } : {}) };
  const gpu = await acquireGpu({
    ...(choice.device ? { device: choice.device } : {}),
    ...(choice.gpu !== undefined ? { provider: choice.gpu } : {}),
  });
  return { backend, gpu, ...(webgpu ? { webgpu } : {}) };
}

/**
 * Create the backend state of a new optimizer state.
 *
 * @throws {Error} when the device rejects the webgpu kernels (a bug; the message says to use the
 * cpu backend meanwhile).
 * @example Usage
 * ```ts
 * import { createBackendState, openBackend } from "./engine_backend.ts";
 * import { compilePlan } from "../transforms/plan.ts";
 * import { sgd } from "./sgd.ts";
 * import { deepEqual } from "node:assert/strict";
 * const hyper = sgd.resolve(sgd.defaults);
 * const state = await createBackendState(await openBackend("cpu", {}), {
 *   def: sgd, plan: compilePlan([]), params: [[new Float32Array([1])]],
 *   groups: [{ hyper, slots: [], slotInit: [], sizes: [1], tensorBase: 0 }],
 * });
 * deepEqual(await state.readParams(), [[new Float32Array([1])]]);
 * ```
 */
export async function createBackendState(
  ctx: BackendContext,
  init: BackendInit,
): Promise<BackendState> {
  if (ctx.backend === "cpu") return createCpuState(init);
  if (ctx.backend === "wasm") return createWasmState(init, ctx.wasm);
  const { device } = ctx.gpu!;
  device.pushErrorScope("validation");
  let made: BackendState | null = null;
  let thrown: unknown = null;
  try {
    made = createWebGpuState(ctx.gpu!, init, ctx.webgpu);
  } catch (e) {
    thrown = e;
  }
  const err = await device.popErrorScope();
  if (thrown) throw thrown;
  if (err) {
    made?.destroy();
    throw new Error(
      `Cannot create the webgpu optimizer '${init.def.name}' as the device rejected it: ` +
        `${err.message.trim()}. This is a bug in newbob or the definition's WGSL; ` +
        "use the cpu backend meanwhile",
    );
  }
  return made!;
}
