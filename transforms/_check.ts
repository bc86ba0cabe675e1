/** Private: argument checks shared by the transform factories. @module */

/** A finite number in `[min, max]` (or `> min` when `open`), else a RangeError naming it. */
export function _num(
  fn: string,
  name: string,
  v: unknown,
  min: number,
  open = false,
  max = Infinity,
): number {
  if (
    typeof v !== "number" || Number.isNaN(v) || (open ? v <= min : v < min) || v > max ||
    (!Number.isFinite(v) && max !== Infinity)
  ) {
    const range = `${open ? ">" : ">="} ${min}${max !== Infinity ? ` and <= ${max}` : ""}`;
    throw new RangeError(
      `Cannot create ${fn} as '${name}' must be a number ${range}: current value is ${v}`,
    );
  }
  return v;
}

/** An integer in `[min, max]`. */
export function _int(fn: string, name: string, v: unknown, min: number, max = 2 ** 32 - 1): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(
      `Cannot create ${fn} as '${name}' must be an integer in [${min}, ${max}]: current value ` +
        `is ${v}`,
    );
  }
  return v;
}
