/**
 * Loading TensorFlow.js on a chosen backend. `webgpu` runs on newbob's own `GPUDevice` (from
 * `gpu/`), so the optimizer kernels and the model share buffers without host copies.
 *
 * TensorFlow.js is imported dynamically inside {@linkcode loadTfjs}: importing this module does
 * not download or load TensorFlow.js.
 *
 * @module
 */

import type { BackendName } from "./model_types.ts";
import { acquireGpu, isSoftwareAdapter } from "../gpu/mod.ts";
import { useFastWasmMatMul } from "../models/fused/wasm_matmul.ts";

/** The TensorFlow.js namespace (`@tensorflow/tfjs`). */
export type Tf = typeof import("@tensorflow/tfjs");

/** TensorFlow.js' `tf.LayersModel` (a type: naming it loads nothing). */
export type TfjsLayersModel = InstanceType<Tf["LayersModel"]>;

/** TensorFlow.js' `tf.Optimizer`, as `model.compile` takes it. */
export type TfjsOptimizer = InstanceType<Tf["Optimizer"]>;

/** What {@linkcode loadTfjs} returns. */
export interface LoadedTfjs {
  /** The TensorFlow.js namespace, with `backend` active. */
  readonly tf: Tf;
  /** The active backend. */
  readonly backend: BackendName;
  /** What was chosen, e.g. `tfjs 4.22.0 backend webgpu on llvmpipe (shared GPUDevice)`. */
  readonly message: string;
  /** The device TensorFlow.js computes on (`webgpu` only). */
  readonly device?: GPUDevice;
}

/** Options of {@linkcode loadTfjs}. */
export interface LoadTfjsOptions {
  /**
   * The device for `webgpu` (share it with the optimizer).
   * @default the process-wide device of `acquireGpu()` from `gpu/`
   */
  device?: GPUDevice;
  /**
   * Folder (path or URL ending in `/`) holding `tfjs-backend-wasm*.wasm`, for `wasm`.
   * @default the package's own `dist/` folder in `node_modules` (needs read permission there)
   */
  wasmPaths?: string;
}

const BACKENDS: readonly BackendName[] = ["cpu", "wasm", "webgpu"];

let tfPromise: Promise<Tf> | null = null;
let webgpuDevice: GPUDevice | null = null;
let wasmPathsSet: string | null = null;
const descriptions = new WeakMap<GPUDevice, string>();

/** Import `@tensorflow/tfjs` once and silence its "install tfjs-node" notice. */
async function importTf(): Promise<Tf> {
  tfPromise ??= (async () => {
    const tf = await import("@tensorflow/tfjs");
    // The cpu backend prints a long notice on its first write under Node-compatible
    // runtimes (Deno included); tfjs-node does not apply to Deno.
    const cpu = tf.findBackend("cpu") as { firstUse?: boolean } | null;
    if (cpu) cpu.firstUse = false;
    return tf;
  })();
  return await tfPromise;
}

/**
 * Make TensorFlow.js ready on a backend and return its namespace. Idempotent: calling it again
 * with the same backend (and device) only re-activates that backend.
 *
 * On `webgpu` the backend is (re-)registered under the name `webgpu` on the given device, so
 * every tensor lives in buffers of that device. Registering a different device later removes
 * the earlier webgpu backend and its tensors.
 *
 * @param backend `cpu`, `wasm` or `webgpu`.
 * @param options The device for `webgpu`, the `.wasm` folder for `wasm`.
 * @returns The namespace, the backend and a one-line description of the choice.
 * @throws {RangeError} If `backend` is not one of `cpu`, `wasm`, `webgpu`.
 * @throws {Error} If the backend cannot be initialised (the message names the cause and fix).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadTfjs } from "./tfjs_backend.ts";
 *
 * const { tf, message } = await loadTfjs("cpu");
 * assert.equal(tf.getBackend(), "cpu");
 * assert.match(message, /backend cpu/);
 * ```
 */
export async function loadTfjs(
  backend: BackendName,
  options: LoadTfjsOptions = {},
): Promise<LoadedTfjs> {
  if (!BACKENDS.includes(backend)) {
    throw new RangeError(
      `Cannot load TensorFlow.js as 'backend' must be one of ${BACKENDS.join(", ")}: ` +
        `current value is '${backend}'`,
    );
  }
  const tf = await importTf();
  const version = tf.version.tfjs;
  if (backend === "cpu") {
    await activate(tf, "cpu", "");
    return { tf, backend, message: `tfjs ${version} backend cpu (plain JavaScript kernels)` };
  }
  if (backend === "wasm") {
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    if (options.wasmPaths !== undefined && options.wasmPaths !== wasmPathsSet) {
      if (tf.findBackendFactory("wasm") && tf.engine().registry["wasm"]) {
        throw new Error(
          `Cannot set 'wasmPaths' to '${options.wasmPaths}': the wasm backend is already ` +
            `initialised${wasmPathsSet ? ` from '${wasmPathsSet}'` : ""}; pass wasmPaths on the ` +
            "first loadTfjs('wasm') call",
        );
      }
      wasm.setWasmPaths(options.wasmPaths);
      wasmPathsSet = options.wasmPaths;
    }
    await activate(
      tf,
      "wasm",
      "check that node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm exists and is readable " +
        "(run `deno install`, grant --allow-read for it) or pass 'wasmPaths'",
    );
    // XNNPACK's fast path for matMul gradients (transposed operands), see models/fused.
    useFastWasmMatMul(tf);
    const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
    const threads = await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT");
    return {
      tf,
      backend,
      message: `tfjs ${version} backend wasm (${simd ? "SIMD" : "no SIMD"}, ${
        threads ? "multi-threaded" : "single-threaded"
      })`,
    };
  }
  // webgpu
  let device = options.device;
  if (!device) {
    const gpu = await acquireGpu();
    device = gpu.device;
    if (gpu.description !== "unknown") descriptions.set(device, gpu.description);
  }
  const { WebGPUBackend } = await import("@tensorflow/tfjs-backend-webgpu");
  if (webgpuDevice !== device) {
    if (tf.findBackendFactory("webgpu")) tf.removeBackend("webgpu");
    const d = device;
    tf.registerBackend("webgpu", () => new WebGPUBackend(d));
    webgpuDevice = device;
  }
  await activate(
    tf,
    "webgpu",
    "check that the device is alive and has the adapter's storage limits, or use backend 'cpu'",
  );
  const on = descriptions.get(device) ?? (device.label || "the given device");
  return {
    tf,
    backend,
    device,
    message: `tfjs ${version} backend webgpu on ${on} (shared GPUDevice)`,
  };
}

async function activate(tf: Tf, name: BackendName, fix: string): Promise<void> {
  if (tf.getBackend() === name) return;
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
  } catch (e) {
    throw new Error(
      `Cannot initialise the TensorFlow.js ${name} backend: ${(e as Error).message}; ${fix}`,
    );
  }
  if (!ok) {
    throw new Error(
      `Cannot initialise the TensorFlow.js ${name} backend (tf.setBackend returned false; ` +
        `see the warning above); ${fix}`,
    );
  }
}

/** Adapter descriptions of software renderers (a GPU emulated on the CPU). */

/**
 * Choose the backend that trains small models fastest: `webgpu` when a hardware WebGPU adapter
 * exists, otherwise `wasm` (SIMD). Measured on a 2-core CPU-only machine (digits MLP
 * 64-128-10, batch 32, Adam, seconds per epoch of 1438 rows): wasm 0.04-0.07, cpu 0.10-0.24,
 * webgpu on llvmpipe 0.6-1.5, so a software-emulated adapter (llvmpipe, lavapipe, SwiftShader,
 * WARP, or any adapter reporting `isFallbackAdapter`) does not count. Run
 * `bench/tfjs_timing.ts` to measure a machine; set `backend` explicitly to override.
 * Falls back to `cpu` when the wasm backend cannot be initialised (e.g. its `.wasm` files are
 * not readable); choosing `wasm` initialises it.
 *
 * @param provider Where to look for an adapter. @default {navigator.gpu}
 * @returns `webgpu`, `wasm` or `cpu`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultBackend } from "./tfjs_backend.ts";
 *
 * assert.ok(["cpu", "wasm", "webgpu"].includes(await defaultBackend()));
 * ```
 */
export async function defaultBackend(
  provider?: { requestAdapter(): Promise<GPUAdapter | null> } | null,
): Promise<BackendName> {
  const gpu = provider === undefined
    ? (globalThis.navigator as { gpu?: GPU } | undefined)?.gpu
    : provider;
  const adapter = await gpu?.requestAdapter().catch(() => null) ?? null;
  const fallback = (adapter as { isFallbackAdapter?: boolean } | null)?.isFallbackAdapter === true;
  if (adapter && !fallback && !isSoftwareAdapter(adapter.info)) return "webgpu";
  try {
    await loadTfjs("wasm");
    return "wasm";
  } catch {
    return "cpu";
  }
}
