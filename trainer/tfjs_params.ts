/**
 * A model's trainable `tf.Variable`s as the optimizer engine sees them, shared by every tfjs
 * model of the trainer (the digits MLP, network dicts, `get_model` models): host copies on
 * `cpu`/`wasm`, the variables' own GPU buffers on `webgpu` (updated in place by newbob's fused
 * kernels, no copy through the host), and one mini-batch's gradients handed over the same way.
 *
 * @module
 */

import type { tfjs } from "../models/_tf.ts";
import type { BackendName, StepGradients } from "./model_types.ts";
import type { Tf } from "./tfjs_backend.ts";
import { dropHostCopy, flushTfjsCommands, tensorGpuBuffer } from "./tfjs_gpu_buffers.ts";

/** Unread mini-batch losses kept alive after `dispose()` (oldest released beyond this). */
const MAX_PENDING_LOSSES = 1024;

/**
 * The trainable variables of one model on one backend.
 *
 * @example On the cpu backend the parameters are host copies
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadTfjs } from "./tfjs_backend.ts";
 * import { TfjsParameters } from "./tfjs_params.ts";
 *
 * const { tf } = await loadTfjs("cpu");
 * const v = tf.variable(tf.tensor1d([1, 2]));
 * const p = new TfjsParameters(tf, "cpu", null, ["w"], [v]);
 * assert.deepEqual(await p.parameters(), [new Float32Array([1, 2])]);
 * p.parametersUpdated([new Float32Array([3, 4])]);
 * assert.deepEqual(Array.from(v.dataSync()), [3, 4]);
 * v.dispose();
 * ```
 */
export class TfjsParameters {
  #buffers: GPUBuffer[] | null = null;
  readonly #pendingLosses = new Set<tfjs.Tensor>();

  /**
   * Wrap the variables.
   *
   * @param tf The TensorFlow.js namespace.
   * @param backend The backend the variables live on.
   * @param device The WebGPU device (`webgpu`), else null.
   * @param names Stable names, in order.
   * @param variables The variables, in `names` order.
   */
  constructor(
    readonly tf: Tf,
    readonly backend: BackendName,
    readonly device: GPUDevice | null,
    readonly names: readonly string[],
    readonly variables: readonly tfjs.Variable[],
  ) {}

  /**
   * Make this model's backend the active one. tfjs has one global backend; running ops of a
   * webgpu model on another backend would move its variables off the shared buffers.
   * `tf.setBackend` takes effect synchronously for an initialised backend.
   *
   * @throws {Error} If the backend was removed or re-registered on another device.
   */
  use(): void {
    const engine = this.tf.engine();
    const instance = engine.registry[this.backend] as { device?: GPUDevice } | undefined;
    if (!instance || (this.backend === "webgpu" && instance.device !== this.device)) {
      throw new Error(
        `Cannot run the tfjs model on backend ${this.backend}: that backend was removed or ` +
          "re-registered on another GPUDevice since the model was created; create the model again",
      );
    }
    if (engine.backendName !== this.backend) void this.tf.setBackend(this.backend);
  }

  /**
   * The parameters for the optimizer's `init`: host copies, or on `webgpu` the variables' own
   * buffers (from then on updated in place).
   *
   * @returns One array or buffer per variable.
   */
  parameters(): Promise<Float32Array[] | GPUBuffer[]> {
    this.use();
    if (this.backend !== "webgpu") {
      return Promise.resolve(this.variables.map((v) => Float32Array.from(v.dataSync())));
    }
    this.#buffers = this.variables.map((v) => tensorGpuBuffer(this.tf, v));
    flushTfjsCommands(this.tf);
    return Promise.resolve(this.#buffers.slice());
  }

  /**
   * The optimizer changed the parameters: assign the new host values (`cpu`/`wasm`), or on
   * `webgpu` forget tfjs' stale host copies of the buffers written in place.
   *
   * @param values The new values (`cpu`/`wasm` only).
   * @throws {Error} On `webgpu` before `parameters()` gave the buffers out.
   * @throws {TypeError} On `cpu`/`wasm` without values.
   */
  parametersUpdated(values?: readonly Float32Array[]): void {
    this.use();
    if (this.backend === "webgpu") {
      if (!this.#buffers) {
        throw new Error(
          "Cannot take in-place updates: call parameters() and give its buffers to the " +
            "optimizer's init first",
        );
      }
      this.syncHost();
      return;
    }
    if (!values) {
      throw new TypeError(
        `Cannot update parameters on backend ${this.backend}: pass the new host values`,
      );
    }
    this.#assign(values);
  }

  /**
   * Overwrite all parameters (resuming from a checkpoint).
   *
   * @param values One array per variable.
   * @throws {RangeError} If the number or sizes do not fit.
   */
  setParameters(values: readonly Float32Array[]): Promise<void> {
    this.use();
    this.#checkSizes(values);
    if (this.backend !== "webgpu") {
      this.#assign(values);
      return Promise.resolve();
    }
    const buffers = this.#buffers ?? this.variables.map((v) => tensorGpuBuffer(this.tf, v));
    this.#buffers = buffers;
    flushTfjsCommands(this.tf);
    values.forEach((x, i) =>
      this.device!.queue.writeBuffer(
        buffers[i],
        0,
        x.buffer as ArrayBuffer,
        x.byteOffset,
        x.byteLength,
      )
    );
    this.syncHost();
    return Promise.resolve();
  }

  /** On `webgpu` after in-place writes: drop tfjs' host copies, so reads see the buffers. */
  syncHost(): void {
    if (this.backend !== "webgpu" || !this.#buffers) return;
    this.variables.forEach((v, i) => dropHostCopy(this.tf, v, this.#buffers![i], this.names[i]));
  }

  /**
   * Current values read back to the host (a device sync on `webgpu`).
   *
   * @returns One array per variable.
   */
  async read(): Promise<Float32Array[]> {
    this.use();
    this.syncHost();
    return await Promise.all(
      this.variables.map(async (v) => Float32Array.from(await v.data() as Float32Array)),
    );
  }

  /**
   * Hand one mini-batch's gradients to the optimizer: host arrays on `cpu`/`wasm` (the tensors
   * are read and freed now), GPU buffers on `webgpu` (valid until `dispose()`; the loss stays
   * on the device until it is read).
   *
   * @param grads One gradient per variable, in order.
   * @param value The loss (a scalar), or a vector `[total, per output...]`.
   * @param split The per-output losses from the read values. @default none
   * @returns The step's gradients.
   */
  gradients(
    grads: readonly tfjs.Tensor[],
    value: tfjs.Tensor,
    split: (d: Float32Array) => readonly number[] = () => [],
  ): StepGradients {
    const { tf } = this;
    if (this.backend !== "webgpu") {
      const host = grads.map((g) => Float32Array.from(g.dataSync()));
      const d = Float32Array.from(value.dataSync());
      tf.dispose([value, ...grads]);
      return {
        grads: host,
        loss: () => Promise.resolve(d[0]),
        outputLosses: () => Promise.resolve(split(d)),
        dispose: () => {},
      };
    }
    const buffers = grads.map((g) => tensorGpuBuffer(tf, g));
    flushTfjsCommands(tf);
    const pending = this.#pendingLosses;
    pending.add(value);
    if (pending.size > MAX_PENDING_LOSSES) {
      const oldest = pending.values().next().value!;
      pending.delete(oldest);
      oldest.dispose();
    }
    let read: Promise<Float32Array> | null = null;
    const readAll = (): Promise<Float32Array> => {
      if (read) return read;
      if (value.isDisposed) {
        return Promise.reject(
          new Error(
            `Cannot read this batch loss: more than ${MAX_PENDING_LOSSES} unread losses were ` +
              "kept, or the model was disposed; read loss() sooner",
          ),
        );
      }
      read = value.data().then((d) => {
        pending.delete(value);
        value.dispose();
        return d as Float32Array;
      });
      return read;
    };
    let released = false;
    return {
      grads: buffers,
      loss: () => readAll().then((d) => d[0]),
      outputLosses: () => readAll().then(split),
      dispose: () => {
        if (released) return;
        released = true;
        tf.dispose([...grads]);
      },
    };
  }

  /** Free the unread losses (the variables belong to the model). */
  dispose(): void {
    this.tf.dispose([...this.#pendingLosses]);
    this.#pendingLosses.clear();
  }

  #checkSizes(values: readonly Float32Array[]): void {
    if (values.length !== this.variables.length) {
      throw new RangeError(
        `Cannot set parameters: got ${values.length} arrays for ${this.variables.length} ` +
          "variables",
      );
    }
    this.variables.forEach((v, i) => {
      if (values[i].length !== v.size) {
        throw new RangeError(
          `Cannot set parameter '${this.names[i]}' of shape [${v.shape}] (${v.size} values) ` +
            `from ${values[i].length} values`,
        );
      }
    });
  }

  #assign(values: readonly Float32Array[]): void {
    this.#checkSizes(values);
    const { tf } = this;
    this.variables.forEach((v, i) => {
      const t = tf.tensor(values[i].slice(), v.shape, "float32");
      v.assign(t);
      t.dispose();
    });
  }
}
