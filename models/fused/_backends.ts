/**
 * What newbob's fused kernels use of TensorFlow.js' backends (structural types: nothing of
 * the backend packages is imported) and the helpers shared by the LSTM and CTC kernels.
 *
 * @module
 */

import type { Tf } from "../_tf.ts";
import type { WebGpuProgram } from "./lstm_wgsl.ts";

/** A kernel's view of a tensor. */
export type Info = { dataId: object; shape: number[]; dtype: string };

/** What a kernel function gets. */
export interface KernelArgs {
  inputs: Record<string, Info>;
  backend: unknown;
  attrs: Record<string, unknown>;
}

/** A kernel function. */
export type KernelFn = (a: KernelArgs) => Info[];

/** The cpu backend: tensors are typed arrays. */
export interface CpuBackend {
  data: { get(id: object): { values: Float32Array | Int32Array } };
  makeTensorInfo(shape: number[], dtype: string, values: Float32Array): Info;
}

/** The wasm backend: tensors live in the Emscripten module's memory. */
export interface WasmBackend {
  wasm: {
    asm?: { memory?: WebAssembly.Memory };
    wasmMemory?: WebAssembly.Memory;
    _malloc(bytes: number): number;
    _free(p: number): void;
  };
  dataIdMap: { get(id: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: string): Info;
}

/** The webgpu backend: programs run on its queue over its buffers. */
export interface WebGpuBackend {
  runWebGPUProgram(
    program: WebGpuProgram,
    inputs: Info[],
    dtype: string,
    uniforms?: { type: string; data: number[] }[],
    output?: Info,
  ): Info;
  disposeData(id: object): boolean;
}

/** The wasm backend's memory, or null if this tfjs build does not expose it. */
export function wasmMemory(be: WasmBackend): WebAssembly.Memory | null {
  return be.wasm.asm?.memory ?? be.wasm.wasmMemory ?? null;
}

/** A typed view of a wasm-backend tensor (valid until the memory grows). */
export function wasmView<T extends Float32Array | Int32Array>(
  be: WasmBackend,
  t: Info,
  make: new (b: ArrayBuffer, off: number, len: number) => T,
): T {
  const size = t.shape.reduce((a, b) => a * b, 1);
  return new make(
    wasmMemory(be)!.buffer as ArrayBuffer,
    be.dataIdMap.get(t.dataId).memoryOffset,
    size,
  );
}

/** The elements of `shape`. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Register a forward/backward kernel pair for the active backend (if `kernels` has it) and
 * the forward's gradient (once).
 *
 * @param tf The TensorFlow.js namespace.
 * @param names The forward's and the backward's kernel names.
 * @param kernels Per backend name, the two kernel functions.
 * @param gradient The forward's gradient config (without `kernelName`).
 * @returns Whether the active backend can run the pair.
 */
export function registerPair(
  tf: Tf,
  names: readonly [string, string],
  kernels: Readonly<Record<string, readonly [KernelFn, KernelFn]>>,
  gradient: Omit<Parameters<Tf["registerGradient"]>[0], "kernelName">,
): boolean {
  const backend = tf.getBackend();
  const k = kernels[backend];
  if (!k) return false;
  if (backend === "wasm" && !wasmMemory(tf.backend() as unknown as WasmBackend)) return false;
  if (!tf.getKernel(names[0], backend)) {
    tf.registerKernel({ kernelName: names[0], backendName: backend, kernelFunc: k[0] as never });
    tf.registerKernel({ kernelName: names[1], backendName: backend, kernelFunc: k[1] as never });
  }
  if (!tf.getGradient(names[0])) tf.registerGradient({ kernelName: names[0], ...gradient });
  return true;
}
