/**
 * Parameter shapes of the benchmark: single tensors of 1M, 4M, 16M floats and a many-tensor case
 * shaped like a small transformer (about 150 tensors, 16M floats in total).
 *
 * @module
 */

/** One benchmark case: a name and the element count of each tensor. */
export interface ShapeCase {
  /** Label, e.g. `16M` or `16M x150`. */
  readonly name: string;
  /** Element count of each tensor. */
  readonly sizes: readonly number[];
  /** Total parameters. */
  readonly total: number;
}

const M = 1 << 20;

/**
 * Tensor sizes of a small transformer with `2^24` parameters in total: token and position
 * embeddings, 9 layers of (q, k, v, o weights and biases, two layer norms, a 4x feed-forward),
 * a final layer norm and an output bias; the vocabulary absorbs the remainder.
 *
 * @returns About 150 sizes summing to 16M (within one row of the embedding).
 */
export function transformerSizes(total = 16 * M): number[] {
  const d = 384, layers = 9, ctx = 512;
  const layer = [
    ...[0, 1, 2, 3].flatMap(() => [d * d, d]),
    d,
    d,
    d * 4 * d,
    4 * d,
    4 * d * d,
    d,
    d,
    d,
  ];
  const body = [...Array(layers)].flatMap(() => layer);
  const fixed = [ctx * d, ...body, d, d];
  const used = fixed.reduce((a, b) => a + b, 0);
  const vocab = Math.max(1, Math.floor((total - used) / (d + 1)));
  const sizes = [vocab * d, ...fixed, vocab];
  const rest = total - sizes.reduce((a, b) => a + b, 0);
  if (rest > 0) sizes.push(rest);
  return sizes;
}

/**
 * The benchmark cases for the given single-tensor sizes (in millions), plus the many-tensor case
 * when `many` is set.
 *
 * @param millions Single-tensor sizes in units of 2^20 floats.
 * @param many Include the transformer-shaped case (16M in ~150 tensors).
 * @returns The cases, smallest first.
 */
export function shapeCases(millions: readonly number[], many: boolean): ShapeCase[] {
  const out: ShapeCase[] = millions.map((m) => ({
    name: `${m}M`,
    sizes: [Math.round(m * M)],
    total: Math.round(m * M),
  }));
  if (many) {
    const sizes = transformerSizes();
    out.push({ name: `16M x${sizes.length}`, sizes, total: sizes.reduce((a, b) => a + b, 0) });
  }
  return out;
}

/**
 * Whether `name` is one of the shapes issue 13 sets targets for: `16M` and the 16M-float
 * transformer (`16M x<tensors>`).
 *
 * @example Usage
 * ```ts
 * import { isTargetShape } from "./shapes.ts";
 * import { equal } from "node:assert/strict";
 * equal(isTargetShape("16M x150"), true);
 * equal(isTargetShape("160M"), false);
 * ```
 */
export function isTargetShape(name: string): boolean {
  return name === "16M" || name.startsWith("16M x");
}
