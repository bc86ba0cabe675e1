/**
 * Turning the errors a lost WebGPU device causes (TensorFlow.js and WebGPU raise bare
 * `OperationError`s such as "Buffer with '' label is invalid") into one clear
 * {@linkcode GpuDeviceLostError} that says how to continue.
 *
 * @module
 */

import { GpuDeviceLostError } from "../gpu/errors.ts";

/**
 * The error to report for `error`, raised while training on `device`: a
 * {@linkcode GpuDeviceLostError} (with `error` as its cause) when the device turns out to be
 * lost, else `error` itself.
 *
 * @param error The error raised.
 * @param device The device the run used (none on `cpu`/`wasm`).
 * @param waitMs How long to wait for `device.lost` to settle. @default {200}
 * @returns The error to throw.
 *
 * @example Usage
 * ```ts
 * import { explainDeviceLoss } from "./device_loss.ts";
 * import { equal } from "node:assert/strict";
 *
 * const e = new Error("x");
 * equal(await explainDeviceLoss(e, undefined), e); // no device: nothing to explain
 * ```
 */
export async function explainDeviceLoss(
  error: unknown,
  device: GPUDevice | null | undefined,
  waitMs = 200,
): Promise<unknown> {
  if (!device || error instanceof GpuDeviceLostError) return error;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const info = await Promise.race([
    device.lost,
    new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), waitMs)),
  ]);
  clearTimeout(timer);
  if (info === null) return error;
  const lost = new GpuDeviceLostError(info.reason, info.message);
  Object.defineProperty(lost, "cause", { value: error, configurable: true, writable: true });
  return lost;
}
