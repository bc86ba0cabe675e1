/**
 * The CTC loss as one fused TensorFlow.js op: kernels `NewbobCtcForward` (log-softmax, alpha
 * recursion, loss) and `NewbobCtcBackward` (beta recursion, occupation probabilities,
 * gradient of the logits) for the `cpu`, `wasm` (host loops over the tensors' memory,
 * `ctc_cpu.ts`) and `webgpu` (WGSL, `ctc_wgsl.ts`) backends, with the forward's gradient
 * registered. Replaces ~40 small ops per frame of the reference composition in
 * `losses/ctc.ts` (the reference it is tested against) by two kernel calls per batch.
 *
 * @module
 */

import type { Tf, tfjs } from "../_tf.ts";
import {
  type CpuBackend,
  type Info,
  type KernelArgs,
  type KernelFn,
  registerPair,
  sizeOf,
  type WasmBackend,
  wasmView,
  type WebGpuBackend,
} from "./_backends.ts";
import { ctcBackwardHost, type CtcDims, ctcForwardHost, ctcWorkspaceFloats } from "./ctc_cpu.ts";
import {
  ctcAlphaIters,
  ctcAlphaProgram,
  ctcBackwardIters,
  ctcBackwardProgram,
  ctcLogSoftmaxProgram,
} from "./ctc_wgsl.ts";
import { copyRangeProgram, runStepChunks } from "./lstm_wgsl.ts";

/** The forward kernel's name. */
export const CTC_FORWARD = "NewbobCtcForward";
/** The backward kernel's name. */
export const CTC_BACKWARD = "NewbobCtcBackward";

function _dims(logits: Info, targets: Info, attrs: Record<string, unknown>): CtcDims {
  const [B, T, C] = logits.shape;
  return {
    B,
    T,
    C,
    S: targets.shape[1],
    blank: attrs.blank as number,
    zeroInfinity: attrs.zeroInfinity as boolean,
  };
}

function _cpuForward({ inputs, backend, attrs }: KernelArgs): Info[] {
  const be = backend as CpuBackend;
  const d = _dims(inputs.logits, inputs.targets, attrs);
  const v = (k: string) => be.data.get(inputs[k].dataId).values;
  const ws = new Float32Array(ctcWorkspaceFloats(d));
  ctcForwardHost(
    d,
    v("logits") as Float32Array,
    v("targets") as Int32Array,
    v("il") as Int32Array,
    v("tl") as Int32Array,
    ws,
  );
  return [
    be.makeTensorInfo([d.B], "float32", ws.slice(0, d.B)),
    be.makeTensorInfo([ws.length], "float32", ws),
  ];
}

function _cpuBackward({ inputs, backend, attrs }: KernelArgs): Info[] {
  const be = backend as CpuBackend;
  const d = { ...(attrs as unknown as CtcDims) };
  const v = (k: string) => be.data.get(inputs[k].dataId).values;
  const grad = new Float32Array(d.B * d.T * d.C);
  ctcBackwardHost(
    d,
    v("dy") as Float32Array,
    v("targets") as Int32Array,
    v("il") as Int32Array,
    v("tl") as Int32Array,
    v("ws") as Float32Array,
    grad,
  );
  return [be.makeTensorInfo([d.B, d.T, d.C], "float32", grad)];
}

function _wasmForward({ inputs, backend, attrs }: KernelArgs): Info[] {
  const be = backend as WasmBackend;
  const d = _dims(inputs.logits, inputs.targets, attrs);
  const loss = be.makeOutput([d.B], "float32");
  const ws = be.makeOutput([ctcWorkspaceFloats(d)], "float32");
  const f = (t: Info) => wasmView(be, t, Float32Array),
    i = (t: Info) => wasmView(be, t, Int32Array);
  const w = f(ws);
  ctcForwardHost(d, f(inputs.logits), i(inputs.targets), i(inputs.il), i(inputs.tl), w);
  f(loss).set(w.subarray(0, d.B));
  return [loss, ws];
}

function _wasmBackward({ inputs, backend, attrs }: KernelArgs): Info[] {
  const be = backend as WasmBackend;
  const d = attrs as unknown as CtcDims;
  const grad = be.makeOutput([d.B, d.T, d.C], "float32");
  const f = (t: Info) => wasmView(be, t, Float32Array),
    i = (t: Info) => wasmView(be, t, Int32Array);
  ctcBackwardHost(
    d,
    f(inputs.dy),
    i(inputs.targets),
    i(inputs.il),
    i(inputs.tl),
    f(inputs.ws),
    f(grad),
  );
  return [grad];
}

function _gpuForward({ inputs, backend, attrs }: KernelArgs): Info[] {
  const be = backend as WebGpuBackend;
  const d = _dims(inputs.logits, inputs.targets, attrs);
  const u = [d.blank, d.zeroInfinity ? 1 : 0, d.T, d.C].map((v) => ({ type: "int32", data: [v] }));
  const ws = be.runWebGPUProgram(
    ctcLogSoftmaxProgram(d.B, d.T, d.C, d.S),
    [inputs.logits, inputs.il],
    "float32",
    [...u, { type: "int32", data: [2 * d.S + 1] }],
  );
  runStepChunks(
    be,
    ctcAlphaProgram(d.B, d.T, d.C, d.S),
    [inputs.targets, inputs.il, inputs.tl],
    u,
    d.T,
    ctcAlphaIters(d.S),
    ws,
  );
  const loss = be.runWebGPUProgram(copyRangeProgram([d.B]), [ws], "float32", [
    { type: "int32", data: [0] },
  ]);
  return [loss, ws];
}

function _gpuBackward({ inputs, backend, attrs }: KernelArgs): Info[] {
  const be = backend as WebGpuBackend;
  const d = attrs as unknown as CtcDims;
  const u = [d.blank, d.zeroInfinity ? 1 : 0, d.T, d.C].map((v) => ({ type: "int32", data: [v] }));
  const packed = runStepChunks(
    be,
    ctcBackwardProgram(d.B, d.T, d.C, d.S),
    [inputs.dy, inputs.targets, inputs.il, inputs.tl, inputs.ws],
    u,
    d.T,
    ctcBackwardIters(d.C, d.S),
  );
  const grad = be.runWebGPUProgram(copyRangeProgram([d.B, d.T, d.C]), [packed], "float32", [
    { type: "int32", data: [0] },
  ]);
  be.disposeData(packed.dataId);
  return [grad];
}

const KERNELS: Record<string, [KernelFn, KernelFn]> = {
  cpu: [_cpuForward, _cpuBackward],
  wasm: [_wasmForward, _wasmBackward],
  webgpu: [_gpuForward, _gpuBackward],
};

/**
 * Register the fused CTC kernels for the active backend (and the gradient, once).
 *
 * @param tf The TensorFlow.js namespace.
 * @returns Whether the active backend can run {@linkcode fusedCtcLoss}.
 */
export function registerFusedCtc(tf: Tf): boolean {
  return registerPair(tf, [CTC_FORWARD, CTC_BACKWARD], KERNELS, {
    inputsToSave: ["targets", "il", "tl"],
    outputsToSave: [false, true],
    gradFunc: (dys, saved, attrs) => {
      const [dyIn] = dys as (tfjs.Tensor | null)[];
      const [targets, il, tl, ws] = saved;
      const d = attrs as unknown as CtcDims;
      const dy = dyIn ?? tf.zeros([d.B]);
      const [grad] = tf.engine().runKernel(
        CTC_BACKWARD,
        { dy, targets, il, tl, ws },
        attrs as never,
      ) as tfjs.Tensor[];
      return { logits: () => grad };
    },
  });
}

/**
 * The CTC loss per sequence as one fused op (the same meaning and arguments as `ctcLoss`, whose
 * checks have run: lengths as checked `Int32Array`s).
 *
 * @param tf The TensorFlow.js namespace on `cpu`, `wasm` or `webgpu`.
 * @param logits `[B, T, C]` float32 scores.
 * @param targets `[B, S]` labels (any dtype; cast to int32), padded.
 * @param inLens Frames per sequence.
 * @param tgtLens Labels per sequence.
 * @param blank The blank index.
 * @param zeroInfinity 0 (and a zero gradient) for sequences that cannot be aligned.
 * @returns `[B]` losses (`Infinity` where unaligned unless `zeroInfinity`).
 * @throws {RangeError} If the active backend has no fused kernel, or a shape is empty.
 */
export function fusedCtcLoss(
  tf: Tf,
  logits: tfjs.Tensor,
  targets: tfjs.Tensor,
  inLens: Int32Array,
  tgtLens: Int32Array,
  blank: number,
  zeroInfinity: boolean,
): tfjs.Tensor1D {
  if (!registerFusedCtc(tf)) {
    throw new RangeError(
      `Cannot run the fused CTC loss on the '${tf.getBackend()}' backend (cpu, wasm, webgpu ` +
        "have it): use impl 'reference'",
    );
  }
  const [B, T, C] = logits.shape;
  const S = targets.shape[1] as number;
  if (sizeOf(logits.shape) === 0 || S === 0) {
    throw new RangeError(
      `Cannot run the fused CTC loss on empty shapes (logits [${logits.shape}], targets ` +
        `[${targets.shape}]): use impl 'reference'`,
    );
  }
  return tf.tidy(() => {
    const t32 = targets.dtype === "int32" ? targets : tf.cast(targets, "int32");
    const attrs = { blank, zeroInfinity, B, T, C, S };
    const [loss] = tf.engine().runKernel(CTC_FORWARD, {
      logits,
      targets: t32,
      il: tf.tensor1d(inLens, "int32"),
      tl: tf.tensor1d(tgtLens, "int32"),
    }, attrs) as tfjs.Tensor[];
    return loss as tfjs.Tensor1D;
  });
}
