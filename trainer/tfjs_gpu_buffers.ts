/**
 * Sharing TensorFlow.js webgpu tensors with newbob's optimizer as plain `GPUBuffer`s. Relies on
 * private parts of tfjs' `WebGPUBackend` (checked against tfjs 4.22): its `tensorMap` entry of a
 * tensor holds the buffer (`resource`) and an optional host cache (`values`), and it encodes ops
 * into its own command encoder that it submits only now and then.
 *
 * No runtime TensorFlow.js import: the functions take the `tf` namespace.
 *
 * @module
 */

import type * as tfjs from "@tensorflow/tfjs";
import type { Tf } from "./tfjs_backend.ts";

/** Private parts of tfjs' WebGPUBackend used here (tfjs 4.22). */
interface WebGpuInternals {
  device?: GPUDevice;
  tensorMap?: { get(dataId: object): { resource?: unknown; values?: unknown } | undefined };
  uploadToGPU?(dataId: object): void;
  endComputePassEncoder?(): void;
  submitQueue?(): void;
  commandEncoder?: GPUCommandEncoder | null;
}

function webgpu(tf: Tf): Required<WebGpuInternals> {
  const b = tf.engine().registry["webgpu"] as unknown as WebGpuInternals | undefined;
  if (
    !b?.tensorMap || typeof b.uploadToGPU !== "function" ||
    typeof b.submitQueue !== "function" || typeof b.endComputePassEncoder !== "function"
  ) {
    throw new Error(
      `Cannot share tfjs ${tf.version.tfjs} webgpu tensors as GPUBuffers: the webgpu backend is ` +
        "not initialised or its internals changed (checked against tfjs 4.22); call " +
        "loadTfjs('webgpu') first, or use backend 'cpu'/'wasm'",
    );
  }
  return b as Required<WebGpuInternals>;
}

/**
 * The `GPUBuffer` holding a webgpu tensor (uploading it first if it still lives on the host).
 * The buffer belongs to tfjs: it is valid while the tensor is alive, and the tensor keeps it
 * unless the tensor is re-assigned. Call {@linkcode flushTfjsCommands} before submitting work
 * that reads it.
 *
 * @param tf The TensorFlow.js namespace.
 * @param tensor A float32 or int32 tensor on the webgpu backend.
 * @returns The buffer (usage `STORAGE | COPY_SRC | COPY_DST`, size `4 * tensor.size`).
 * @throws {Error} If the tensor is not stored in a GPUBuffer (e.g. a texture).
 */
export function tensorGpuBuffer(tf: Tf, tensor: tfjs.Tensor): GPUBuffer {
  const b = webgpu(tf);
  const data = b.tensorMap.get(tensor.dataId);
  if (!data) {
    throw new Error(
      `Cannot share a tfjs tensor of shape [${tensor.shape}] as a GPUBuffer: it is not on the ` +
        "webgpu backend (or was disposed); create it while the webgpu backend is active",
    );
  }
  b.uploadToGPU(tensor.dataId);
  const resource = b.tensorMap.get(tensor.dataId)?.resource;
  if (!(resource instanceof GPUBuffer)) {
    throw new Error(
      `Cannot share a tfjs tensor of shape [${tensor.shape}] as a GPUBuffer: it is stored as ` +
        `${(resource as object | undefined)?.constructor?.name ?? "nothing"}; use backend ` +
        "'cpu' or 'wasm' for this model",
    );
  }
  return resource;
}

/**
 * Submit the commands tfjs has encoded but not yet submitted, so that work submitted afterwards
 * (the optimizer step, `queue.writeBuffer`) is ordered after them on the device queue.
 *
 * @param tf The TensorFlow.js namespace.
 */
export function flushTfjsCommands(tf: Tf): void {
  const b = webgpu(tf);
  b.endComputePassEncoder();
  if (b.commandEncoder) b.submitQueue();
}

/**
 * Forget tfjs' host copy of a webgpu tensor after its buffer was written behind tfjs' back, so
 * the next read returns the new values.
 *
 * @param tf The TensorFlow.js namespace.
 * @param tensor The tensor whose buffer changed.
 * @param expected The buffer the tensor must still use (throws if tfjs swapped it).
 * @param name The tensor's name for the error message.
 * @throws {Error} If the tensor no longer uses `expected` (it was assigned to).
 */
export function dropHostCopy(
  tf: Tf,
  tensor: tfjs.Tensor,
  expected?: GPUBuffer,
  name = "tensor",
): void {
  const data = webgpu(tf).tensorMap.get(tensor.dataId);
  if (expected && data?.resource !== expected) {
    throw new Error(
      `Variable '${name}' no longer uses the GPU buffer the optimizer updates (was it assigned ` +
        "to, or disposed?); on webgpu change parameters only through the optimizer or " +
        "setParameters",
    );
  }
  if (data) data.values = null;
}

/**
 * The device of the registered tfjs webgpu backend, if any.
 *
 * @param tf The TensorFlow.js namespace.
 * @returns The device, or `undefined` when the webgpu backend is not initialised.
 */
export function tfjsWebGpuDevice(tf: Tf): GPUDevice | undefined {
  return (tf.engine().registry["webgpu"] as unknown as WebGpuInternals | undefined)?.device;
}
