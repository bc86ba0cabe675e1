/**
 * The fused LSTM as a TensorFlow.js op: two kernels (`NewbobLstmForward`,
 * `NewbobLstmBackward`) registered for the `cpu`, `wasm` and `webgpu` backends, and the
 * forward's gradient registered with tfjs' tape, so `tf.grad`, `tf.variableGrads` and
 * optimizers see one op per LSTM layer and direction.
 *
 * Why registered kernels and not `tf.customGrad`: a kernel gets the backend's own storage of
 * its inputs. On `cpu` that is the typed arrays (copied into the kernel's WebAssembly memory,
 * no readback); on `wasm` the tensors already live in the tfjs module's memory, so the
 * kernel's WebAssembly instance imports that very memory and reads and writes the tensors in
 * place (no copy at all); on `webgpu` the WGSL programs run on tfjs' command queue over the
 * tensors' buffers (no readback, no await). A `customGrad` body would have to call
 * `dataSync()` to reach the values: a blocking GPU readback on `webgpu`.
 *
 * On `cpu` and `wasm`, a call with enough work runs on the engine's worker pool instead (its
 * inputs copied into a shared memory, the batch split into ranges; bitwise the same results):
 * see `lstm_pool.ts` for the rule and `setFusedLstmThreads` for the threads.
 *
 * The forward returns the outputs and a backend-private workspace (cell states and gates)
 * that the gradient keeps; the backward returns `dZ` (the gradient of the pre-activations,
 * which is the gradient of the input `x`) and the previous outputs `hPrev`, so that
 * `dW_re = hPrev^T dZ` is one `tf.matMul` over all frames (tfjs' own GEMM, threaded where the
 * backend is).
 *
 * @module
 */

import type { Lengths, Tf, tfjs } from "../_tf.ts";
import { _checkLengths } from "../_tf.ts";
import {
  gateOffsets,
  lstmBackwardScratchBytes,
  lstmForwardScratchBytes,
  type LstmLayout,
  lstmWorkspaceFloats,
  runLstmBackward,
  runLstmForward,
} from "./lstm_wasm.ts";
import {
  copyRangeProgram,
  lstmBackwardIters,
  lstmBackwardProgram,
  lstmForwardIters,
  lstmForwardProgram,
  lstmUniforms,
  runStepChunks,
} from "./lstm_wgsl.ts";
import {
  type CpuBackend,
  type Info,
  type KernelArgs,
  type KernelFn,
  registerPair,
  type WasmBackend,
  wasmMemory,
  wasmView,
  type WebGpuBackend,
} from "./_backends.ts";
import { pooledLstmBackward, pooledLstmForward, usesLstmPool } from "./lstm_pool.ts";

/** The forward kernel's name. */
export const LSTM_FORWARD = "NewbobLstmForward";
/** The backward kernel's name. */
export const LSTM_BACKWARD = "NewbobLstmBackward";
/** The backends with fused kernels. */
export const FUSED_LSTM_BACKENDS: readonly string[] = ["cpu", "wasm", "webgpu"];

/** Arguments of {@linkcode fusedLstm}. */
export interface FusedLstmArgs {
  /** Pre-activations (input projection plus bias) `[B, T, 4n]` in `gateOrder`. */
  readonly x: tfjs.Tensor3D;
  /** Recurrent weights `[n, 4n]` in `gateOrder`. */
  readonly wRe: tfjs.Tensor2D;
  /** Frames per sequence. */
  readonly seqLens: Lengths;
  /** Run each sequence from its last frame to its first. @default false */
  readonly reverse?: boolean;
  /** The gate layout, a permutation of `"jifo"`. @default "jifo" */
  readonly gateOrder?: string;
  /** Added to the forget gate's pre-activation. @default 0 */
  readonly forgetBias?: number;
}

function _attrs(a: Record<string, unknown>): LstmLayout {
  return a as unknown as LstmLayout;
}

/** A bump allocator over the kernel's own memory (the `cpu` backend's staging area). */
class _Arena {
  readonly memory = new WebAssembly.Memory({ initial: 16, maximum: 65536 });
  #top = 0;
  reset(): void {
    this.#top = 64;
  }
  alloc(bytes: number): number {
    const p = Math.ceil(this.#top / 64) * 64;
    this.#top = p + bytes;
    const need = Math.ceil(this.#top / 65536) - this.memory.buffer.byteLength / 65536;
    if (need > 0) this.memory.grow(need);
    return p;
  }
}

let arena: _Arena | null = null;

function _dims(x: Info): { B: number; T: number; n: number } {
  const [B, T, n4] = x.shape;
  return { B, T, n: n4 / 4 };
}

function _cpuForward({ inputs, backend, attrs }: KernelArgs): Info[] {
  const be = backend as CpuBackend, a = _attrs(attrs);
  const dims = _dims(inputs.x), { B, T, n } = dims;
  const xv = be.data.get(inputs.x.dataId).values as Float32Array;
  const wv = be.data.get(inputs.w.dataId).values as Float32Array;
  const lv = be.data.get(inputs.lens.dataId).values as Int32Array;
  const wsN = lstmWorkspaceFloats(B, T, n);
  if (usesLstmPool(dims)) {
    const py = new Float32Array(B * T * n), pws = new Float32Array(wsN);
    pooledLstmForward(dims, a, { x: xv, w: wv, lens: lv, y: py, ws: pws });
    return [
      be.makeTensorInfo([B, T, n], "float32", py),
      be.makeTensorInfo([wsN], "float32", pws),
    ];
  }
  const ar = arena ??= new _Arena();
  ar.reset();
  const at = {
    x: ar.alloc(xv.length * 4),
    w: ar.alloc(wv.length * 4),
    lens: ar.alloc(B * 4),
    y: ar.alloc(B * T * n * 4),
    ws: ar.alloc(wsN * 4),
    scratch: ar.alloc(lstmForwardScratchBytes(n, B)),
  };
  const f32 = new Float32Array(ar.memory.buffer);
  f32.set(xv, at.x / 4);
  f32.set(wv, at.w / 4);
  new Int32Array(ar.memory.buffer).set(lv, at.lens / 4);
  runLstmForward(ar.memory, dims, at, a);
  const out = new Float32Array(ar.memory.buffer);
  return [
    be.makeTensorInfo([B, T, n], "float32", out.slice(at.y / 4, at.y / 4 + B * T * n)),
    be.makeTensorInfo([wsN], "float32", out.slice(at.ws / 4, at.ws / 4 + wsN)),
  ];
}

function _cpuBackward({ inputs, backend, attrs }: KernelArgs): Info[] {
  const be = backend as CpuBackend, a = _attrs(attrs);
  const [B, T, n] = inputs.y.shape, full = { B, T, n };
  const get = (k: string) => be.data.get(inputs[k].dataId).values;
  if (usesLstmPool(full)) {
    const pdz = new Float32Array(B * T * 4 * n), php = new Float32Array(B * T * n);
    const [dyv, wv, lv, yv, wsv] = ["dy", "w", "lens", "y", "ws"].map(get);
    pooledLstmBackward(full, a, {
      dy: dyv as Float32Array,
      w: wv as Float32Array,
      lens: lv as Int32Array,
      y: yv as Float32Array,
      ws: wsv as Float32Array,
      dz: pdz,
      hp: php,
    });
    return [
      be.makeTensorInfo([B, T, 4 * n], "float32", pdz),
      be.makeTensorInfo([B, T, n], "float32", php),
    ];
  }
  const ar = arena ??= new _Arena();
  ar.reset();
  const put = (k: string) => {
    const v = get(k);
    const p = ar.alloc(v.length * 4);
    return { p, v };
  };
  const parts = ["dy", "w", "lens", "y", "ws"].map(put);
  const dz = ar.alloc(B * T * 16 * n), hp = ar.alloc(B * T * 4 * n);
  const scratch = ar.alloc(lstmBackwardScratchBytes(n, B));
  const f32 = new Float32Array(ar.memory.buffer), i32 = new Int32Array(ar.memory.buffer);
  for (const { p, v } of parts) (v instanceof Int32Array ? i32 : f32).set(v as never, p / 4);
  const [dy, w, lens, y, ws] = parts.map((q) => q.p);
  runLstmBackward(ar.memory, full, { dy, w, lens, y, ws, dz, hp, scratch }, a);
  const out = new Float32Array(ar.memory.buffer);
  return [
    be.makeTensorInfo([B, T, 4 * n], "float32", out.slice(dz / 4, dz / 4 + B * T * 4 * n)),
    be.makeTensorInfo([B, T, n], "float32", out.slice(hp / 4, hp / 4 + B * T * n)),
  ];
}

function _wasmForward({ inputs, backend, attrs }: KernelArgs): Info[] {
  const be = backend as WasmBackend, a = _attrs(attrs);
  const dims = _dims(inputs.x), { B, T, n } = dims;
  const off = (t: Info) => be.dataIdMap.get(t.dataId).memoryOffset;
  const y = be.makeOutput([B, T, n], "float32");
  const ws = be.makeOutput([lstmWorkspaceFloats(B, T, n)], "float32");
  const f = (t: Info) => wasmView(be, t, Float32Array);
  if (
    pooledLstmForward(dims, a, {
      x: f(inputs.x),
      w: f(inputs.w),
      lens: wasmView(be, inputs.lens, Int32Array),
      y: f(y),
      ws: f(ws),
    })
  ) {
    return [y, ws];
  }
  _withScratch(
    be,
    lstmForwardScratchBytes(n, B),
    (scratch) =>
      runLstmForward(wasmMemory(be)!, dims, {
        x: off(inputs.x),
        w: off(inputs.w),
        lens: off(inputs.lens),
        y: off(y),
        ws: off(ws),
        scratch,
      }, a),
  );
  return [y, ws];
}

function _wasmBackward({ inputs, backend, attrs }: KernelArgs): Info[] {
  const be = backend as WasmBackend, a = _attrs(attrs);
  const [B, T, n] = inputs.y.shape;
  const off = (t: Info) => be.dataIdMap.get(t.dataId).memoryOffset;
  const dz = be.makeOutput([B, T, 4 * n], "float32");
  const hp = be.makeOutput([B, T, n], "float32");
  const f = (t: Info) => wasmView(be, t, Float32Array);
  if (
    pooledLstmBackward({ B, T, n }, a, {
      dy: f(inputs.dy),
      w: f(inputs.w),
      lens: wasmView(be, inputs.lens, Int32Array),
      y: f(inputs.y),
      ws: f(inputs.ws),
      dz: f(dz),
      hp: f(hp),
    })
  ) {
    return [dz, hp];
  }
  _withScratch(
    be,
    lstmBackwardScratchBytes(n, B),
    (scratch) =>
      runLstmBackward(wasmMemory(be)!, { B, T, n }, {
        dy: off(inputs.dy),
        w: off(inputs.w),
        lens: off(inputs.lens),
        y: off(inputs.y),
        ws: off(inputs.ws),
        dz: off(dz),
        hp: off(hp),
        scratch,
      }, a),
  );
  return [dz, hp];
}

/** Run `f` with `bytes` of 64-byte-aligned scratch in the tfjs wasm module's heap, then free it. */
function _withScratch(be: WasmBackend, bytes: number, f: (base: number) => void): void {
  const scratch = be.wasm._malloc(bytes + 64);
  try {
    f(Math.ceil(scratch / 64) * 64);
  } finally {
    be.wasm._free(scratch);
  }
}

function _gpuForward({ inputs, backend, attrs }: KernelArgs): Info[] {
  const be = backend as WebGpuBackend, a = _attrs(attrs);
  const { B, T, n } = _dims(inputs.x);
  const u = lstmUniforms(a.reverse, gateOffsets(a.gateOrder, n), a.forgetBias);
  const ws = runStepChunks(
    be,
    lstmForwardProgram(B, T, n),
    [inputs.x, inputs.w, inputs.lens],
    u,
    T,
    lstmForwardIters(n),
  );
  const y = be.runWebGPUProgram(copyRangeProgram([B, T, n]), [ws], "float32", [
    { type: "int32", data: [B * T * 5 * n] },
  ]);
  return [y, ws];
}

function _gpuBackward({ inputs, backend, attrs }: KernelArgs): Info[] {
  const be = backend as WebGpuBackend, a = _attrs(attrs);
  const [B, T, n] = inputs.y.shape;
  const u = lstmUniforms(a.reverse, gateOffsets(a.gateOrder, n), a.forgetBias);
  const packed = runStepChunks(
    be,
    lstmBackwardProgram(B, T, n),
    [inputs.dy, inputs.w, inputs.lens, inputs.y, inputs.ws],
    u,
    T,
    lstmBackwardIters(n),
  );
  const dz = be.runWebGPUProgram(copyRangeProgram([B, T, 4 * n]), [packed], "float32", [
    { type: "int32", data: [0] },
  ]);
  const hp = be.runWebGPUProgram(copyRangeProgram([B, T, n]), [packed], "float32", [
    { type: "int32", data: [B * T * 4 * n] },
  ]);
  be.disposeData(packed.dataId);
  return [dz, hp];
}

const KERNELS: Record<string, [KernelFn, KernelFn]> = {
  cpu: [_cpuForward, _cpuBackward],
  wasm: [_wasmForward, _wasmBackward],
  webgpu: [_gpuForward, _gpuBackward],
};

/**
 * Register the fused LSTM kernels for the active backend (and the gradient, once), if that
 * backend has them.
 *
 * @param tf The TensorFlow.js namespace.
 * @returns Whether the active backend can run {@linkcode fusedLstm}.
 */
export function registerFusedLstm(tf: Tf): boolean {
  return registerPair(tf, [LSTM_FORWARD, LSTM_BACKWARD], KERNELS, {
    inputsToSave: ["w", "lens"],
    outputsToSave: [true, true],
    gradFunc: (dys, saved, attrs) => {
      const [dyIn] = dys as (tfjs.Tensor | null)[];
      const [w, lens, y, ws] = saved;
      const dy = dyIn ?? tf.zerosLike(y);
      const [dz, hp] = tf.engine().runKernel(
        LSTM_BACKWARD,
        { dy, w, lens, y, ws },
        attrs as never,
      ) as tfjs.Tensor[];
      const [B, T, n] = y.shape;
      return {
        x: () => dz,
        // An explicit transpose: tfjs-wasm's matMul with transposeA is ~20x slower (unless
        // useFastWasmMatMul is on).
        w: () =>
          tf.matMul(tf.transpose(tf.reshape(hp, [B * T, n])), tf.reshape(dz, [B * T, 4 * n])),
      };
    },
  });
}

/**
 * The LSTM recursion over a padded batch as one fused op (see the module doc): the same
 * meaning as `lstmSequence`'s reference composition (state frozen past each length, outputs
 * 0 there, backwards from each sequence's own last frame), with its gradient.
 *
 * @param tf The TensorFlow.js namespace, on `cpu`, `wasm` or `webgpu`.
 * @param args Inputs, weights, lengths, direction and layout.
 * @returns The outputs `h` `[B, T, n]`.
 * @throws {TypeError} If the shapes do not fit an LSTM or the lengths are not integers.
 * @throws {RangeError} If a length is out of range, the gate order is not a permutation of
 *   `jifo`, or the active backend has no fused kernel.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { fusedLstm } from "./lstm_op.ts";
 *
 * await tf.setBackend("cpu");
 * // n = 1, all pre-activations 0: i = f = o = 1/2, j = 0, so c and h stay 0.
 * const y = fusedLstm(tf, { x: tf.zeros([1, 2, 4]), wRe: tf.zeros([1, 4]), seqLens: [2] });
 * assert.deepEqual(y.arraySync(), [[[0], [0]]]);
 * ```
 */
export function fusedLstm(tf: Tf, args: FusedLstmArgs): tfjs.Tensor3D {
  const { x, wRe } = args;
  if (x.rank !== 3 || x.shape[2] % 4 !== 0 || x.shape[2] === 0) {
    throw new TypeError(
      `Cannot run the LSTM as 'x' must be [B, T, 4n]: current shape is [${x.shape}]`,
    );
  }
  const [B, T, n4] = x.shape, n = n4 / 4;
  if (x.dtype !== "float32" || wRe.dtype !== "float32") {
    throw new TypeError(
      `Cannot run the LSTM as 'x' and 'wRe' must be float32: they are ${x.dtype}, ${wRe.dtype}`,
    );
  }
  if (wRe.rank !== 2 || wRe.shape[0] !== n || wRe.shape[1] !== n4) {
    throw new TypeError(
      `Cannot run the LSTM as 'wRe' must be [${n}, ${n4}] for 'x' [${x.shape}]: current ` +
        `shape is [${wRe.shape}]`,
    );
  }
  const gateOrder = args.gateOrder ?? "jifo";
  if ([...gateOrder].sort().join("") !== "fijo") {
    throw new RangeError(
      `Cannot run the LSTM as 'gateOrder' must be a permutation of 'jifo': current value is ` +
        `'${gateOrder}'`,
    );
  }
  const lens = _checkLengths("seqLens", args.seqLens, B, T);
  if (!registerFusedLstm(tf)) {
    throw new RangeError(
      `Cannot run the fused LSTM on the '${tf.getBackend()}' backend: it exists for ` +
        `${FUSED_LSTM_BACKENDS.join(", ")}; use lstmSequence's reference implementation`,
    );
  }
  if (B * T === 0) return tf.zeros([B, T, n]);
  return tf.tidy(() => {
    const lensT = tf.tensor1d(lens, "int32");
    const attrs = {
      reverse: args.reverse ?? false,
      gateOrder,
      forgetBias: args.forgetBias ?? 0,
    };
    const [y] = tf.engine().runKernel(
      LSTM_FORWARD,
      { x, w: wRe, lens: lensT },
      attrs,
    ) as tfjs.Tensor[];
    return y as tfjs.Tensor3D;
  });
}
