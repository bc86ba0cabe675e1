/**
 * Moving a model's GPU tensors to and from one host `Float32Array` in one batched copy each way
 * (for the all-reduce on `webgpu`): every tensor's buffer is copied into its offset of one
 * staging buffer in a single command buffer and mapped once, never per tensor. The host array
 * has the arena layout of `arena.ts` (the optimizer engine's), padding zero.
 *
 * @module
 */

import type { ArenaLayout } from "./arena.ts";

/** Batched transfers between GPU tensors and a host arena (reuses its staging buffers). */
export interface ArenaTransfer {
  /** The layout both sides use. */
  readonly layout: ArenaLayout;
  /**
   * Copy every tensor's buffer into one host arena: one submit, one `mapAsync`.
   * @param buffers One buffer per tensor (at least `sizes[i] * 4` bytes; `COPY_SRC`).
   * @param out Arena to fill. @default {a new one}
   */
  read(buffers: readonly GPUBuffer[], out?: Float32Array): Promise<Float32Array>;
  /**
   * Write a host arena back into the tensors' buffers: one `writeBuffer`, one submit of the
   * copies (buffers need `COPY_DST`). Does not wait for the GPU.
   */
  write(flat: Float32Array, buffers: readonly GPUBuffer[]): void;
  /** Free the staging buffers. */
  destroy(): void;
}

/**
 * Create the batched transfer for a layout on a device.
 *
 * @param device The GPU device holding the tensors.
 * @param layout The arena layout (`flatLayout(sizes)`).
 * @returns The transfer object.
 *
 * @example Usage
 * ```ts ignore
 * import { createArenaTransfer } from "./gpu_arena.ts";
 * import { flatLayout } from "./arena.ts";
 * const t = createArenaTransfer(device, flatLayout(sizes));
 * const flat = await t.read(gradBuffers); // one copy of the whole model
 * await comm.allReduce(flat, "avg");
 * t.write(flat, gradBuffers);
 * ```
 */
export function createArenaTransfer(device: GPUDevice, layout: ArenaLayout): ArenaTransfer {
  const bytes = layout.length * 4;
  const readback = device.createBuffer({
    label: "newbob distributed arena readback",
    size: bytes,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const upload = device.createBuffer({
    label: "newbob distributed arena upload",
    size: bytes,
    usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
  let busy = false;
  const check = (buffers: readonly GPUBuffer[]) => {
    if (buffers.length !== layout.sizes.length) {
      throw new RangeError(
        `Cannot transfer the arena as it holds ${layout.sizes.length} tensors: got ` +
          `${buffers.length} buffers`,
      );
    }
    buffers.forEach((b, i) => {
      if (b.size < layout.sizes[i] * 4) {
        throw new RangeError(
          `Cannot transfer the arena as buffer ${i} has ${b.size} bytes but tensor ${i} needs ` +
            `${layout.sizes[i] * 4}`,
        );
      }
    });
  };
  return {
    layout,
    async read(buffers, out) {
      check(buffers);
      if (busy) {
        throw new Error("Cannot read the arena while the previous read is in flight: await it");
      }
      const flat = out ?? new Float32Array(layout.length);
      if (flat.length < layout.length) {
        throw new RangeError(
          `Cannot read the arena into ${flat.length} floats: it needs ${layout.length}`,
        );
      }
      busy = true;
      try {
        const enc = device.createCommandEncoder({ label: "newbob distributed arena gather" });
        buffers.forEach((b, i) => {
          const n = layout.sizes[i] * 4;
          if (n > 0) enc.copyBufferToBuffer(b, 0, readback, layout.offsets[i] * 4, n);
        });
        device.queue.submit([enc.finish()]);
        await readback.mapAsync(GPUMapMode.READ);
        flat.set(new Float32Array(readback.getMappedRange(), 0, layout.length));
        readback.unmap();
      } finally {
        busy = false;
      }
      return flat;
    },
    write(flat, buffers) {
      check(buffers);
      if (flat.length < layout.length) {
        throw new RangeError(
          `Cannot write the arena from ${flat.length} floats: it needs ${layout.length}`,
        );
      }
      device.queue.writeBuffer(upload, 0, flat as Float32Array<ArrayBuffer>, 0, layout.length);
      const enc = device.createCommandEncoder({ label: "newbob distributed arena scatter" });
      buffers.forEach((b, i) => {
        const n = layout.sizes[i] * 4;
        if (n > 0) enc.copyBufferToBuffer(upload, layout.offsets[i] * 4, b, 0, n);
      });
      device.queue.submit([enc.finish()]);
    },
    destroy() {
      readback.destroy();
      upload.destroy();
    },
  };
}
