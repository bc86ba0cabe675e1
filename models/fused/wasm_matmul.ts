/**
 * TensorFlow.js' wasm backend multiplies matrices fast (XNNPACK) only when neither operand is
 * transposed; `transposeA` or `transposeB` take a plain loop that is 15-40x slower (measured
 * here, `[256, 3200]^T x [3200, 1024]`: 5.2 s against 0.13 s). Every matMul gradient asks for
 * a transposed operand (`dA = dY B^T`, `dB = A^T dY`), so the backward pass of every dense
 * layer, LSTM input projection and attention product on wasm takes that loop.
 * {@linkcode useFastWasmMatMul} re-registers the wasm `BatchMatMul` kernel so a transposed
 * operand is transposed explicitly (tfjs' own wasm `Transpose`) and the fast path multiplies.
 * Same products, another summation order (float32 rounding only).
 *
 * @module
 */

import type { Tf } from "../_tf.ts";

type Info = { dataId: object; shape: number[]; dtype: string };
type KernelFunc = (args: {
  inputs: Record<string, Info>;
  backend: { disposeData(id: object): void };
  attrs: Record<string, unknown>;
}) => Info;

const wrapped = new WeakSet<object>();

/**
 * Make the wasm backend's `BatchMatMul` with a transposed operand transpose it first and take
 * the fast path. Idempotent; a no-op if the wasm kernels are not registered.
 *
 * @param tf The TensorFlow.js namespace (the wasm backend package imported).
 * @returns Whether the kernel is (now) the fast one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadTfjs } from "../../trainer/tfjs_backend.ts";
 * import { useFastWasmMatMul } from "./wasm_matmul.ts";
 *
 * const { tf } = await loadTfjs("wasm");
 * assert.ok(useFastWasmMatMul(tf));
 * const c = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[1, 0], [0, 1]]), true, false);
 * assert.deepEqual(c.arraySync(), [[1, 3], [2, 4]]);
 * ```
 */
export function useFastWasmMatMul(tf: Tf): boolean {
  const orig = tf.getKernel("BatchMatMul", "wasm");
  const transposeKernel = tf.getKernel("Transpose", "wasm");
  if (!orig || !transposeKernel) return false;
  if (wrapped.has(orig)) return true;
  const mm = orig.kernelFunc as unknown as KernelFunc;
  const tr = transposeKernel.kernelFunc as unknown as KernelFunc;
  const kernelFunc: KernelFunc = (args) => {
    const { a, b } = args.inputs;
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) return mm(args);
    const swap = (t: Info) => {
      const perm = t.shape.map((_, i) => i);
      [perm[perm.length - 2], perm[perm.length - 1]] = [
        perm[perm.length - 1],
        perm[perm.length - 2],
      ];
      return tr({ inputs: { x: t }, backend: args.backend, attrs: { perm } });
    };
    const at = transposeA ? swap(a) : a, bt = transposeB ? swap(b) : b;
    try {
      return mm({
        inputs: { a: at, b: bt },
        backend: args.backend,
        attrs: { ...args.attrs, transposeA: false, transposeB: false },
      });
    } finally {
      if (at !== a) args.backend.disposeData(at.dataId);
      if (bt !== b) args.backend.disposeData(bt.dataId);
    }
  };
  const config = { ...orig, kernelFunc: kernelFunc as never };
  tf.unregisterKernel("BatchMatMul", "wasm");
  tf.registerKernel(config);
  wrapped.add(tf.getKernel("BatchMatMul", "wasm")!);
  return true;
}
