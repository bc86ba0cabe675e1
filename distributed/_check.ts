/**
 * Argument checks shared by every transport, so that a mistake fails the same way (before any
 * communication) whichever transport runs.
 *
 * @module
 */

import type { BroadcastArray, NumericArray, ReduceOp } from "./types.ts";

const OPS: readonly ReduceOp[] = ["sum", "avg", "max", "min"];

/** The element kind of a supported array, or `undefined`. */
export function _kind(data: unknown): "f32" | "f64" | "i32" | "u8" | undefined {
  if (data instanceof Float32Array) return "f32";
  if (data instanceof Float64Array) return "f64";
  if (data instanceof Int32Array) return "i32";
  if (data instanceof Uint8Array) return "u8";
  return undefined;
}

/** Check an all-reduce's arguments; returns the op. */
export function _checkReduce(data: NumericArray, op: ReduceOp | undefined): ReduceOp {
  const kind = _kind(data);
  if (kind === undefined || kind === "u8") {
    throw new TypeError(
      "Cannot all-reduce as 'data' must be a Float32Array, Float64Array or Int32Array: current " +
        `value is ${_describe(data)}`,
    );
  }
  const o = op ?? "sum";
  if (!OPS.includes(o)) {
    throw new RangeError(
      `Cannot all-reduce as 'op' must be one of ${OPS.join(", ")}: current value is ${String(op)}`,
    );
  }
  if (o === "avg" && kind === "i32") {
    throw new TypeError(
      "Cannot all-reduce with 'avg' as 'data' is an Int32Array: use 'sum' and divide, or a float " +
        "array",
    );
  }
  return o;
}

/** Check a broadcast's arguments; returns the root. */
export function _checkBroadcast(
  data: BroadcastArray,
  root: number | undefined,
  size: number,
): number {
  if (_kind(data) === undefined) {
    throw new TypeError(
      "Cannot broadcast as 'data' must be a Float32Array, Float64Array, Int32Array or " +
        `Uint8Array: current value is ${_describe(data)}`,
    );
  }
  const r = root ?? 0;
  if (!Number.isInteger(r) || r < 0 || r >= size) {
    throw new RangeError(
      `Cannot broadcast as 'root' must be a rank in 0..${size - 1}: current value is ${root}`,
    );
  }
  return r;
}

function _describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  const name = (v as { constructor?: { name?: string } }).constructor?.name;
  return name ?? typeof v;
}

/**
 * Divide an all-reduced sum by the number of ranks, in place (`avg`): float32 arrays get the
 * correctly rounded float32 quotient, as PyTorch's `flat /= size`.
 */
export function _divideBySize(data: Float32Array | Float64Array, size: number): void {
  if (size === 1) return;
  for (let i = 0; i < data.length; i++) data[i] = data[i] / size;
}
