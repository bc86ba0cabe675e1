/**
 * Private: argument checks shared by the transform factories, over the shared validator
 * (`_util/validate.ts`): a TypeError for a non-number, a RangeError for a bad value.
 *
 * @module
 */

import { numberProblem, throwProblem } from "../_util/validate.ts";

/**
 * A number in `[min, max]` (or `> min` when `open`), else an error naming it. NaN never passes;
 * `Infinity` passes when `max` is `Infinity` (no upper bound).
 */
export function _num(
  fn: string,
  name: string,
  v: unknown,
  min: number,
  open = false,
  max = Infinity,
): number {
  const bounded = max !== Infinity;
  throwProblem(
    `Cannot create ${fn}: `,
    numberProblem(name, v, {
      min,
      minOpen: open,
      ...(bounded ? { max } : {}),
      infinite: !bounded,
      noun: "a number",
    }),
  );
  return v as number;
}

/** An integer in `[min, max]`. */
export function _int(fn: string, name: string, v: unknown, min: number, max = 2 ** 32 - 1): number {
  throwProblem(`Cannot create ${fn}: `, numberProblem(name, v, { min, max, integer: true }));
  return v as number;
}
