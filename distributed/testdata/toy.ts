/**
 * A toy data-parallel SGD loop over the communicator interface, in float32, used by the
 * loopback tests and by the MPI ranks: linear regression `y = W x + b` (W 3x5, b 3) on 64
 * fixed examples, two tensors in one gradient arena. At step s, rank r of N trains on examples
 * `s*4N + r*4 .. +4` (mod 64), so the union of the ranks' batches is the 1-rank batch
 * `s*4N .. +4N`.
 *
 * @module
 */

import { arenaViews, flatLayout } from "../arena.ts";
import type { DistributedSettings } from "../config.ts";
import { createDataParallel } from "../data_parallel.ts";
import type { Communicator } from "../types.ts";

const IN = 5, OUT = 3, EXAMPLES = 64, PER_RANK = 4;
const f = Math.fround;

/** The arena layout of the toy model (W, b). */
export const TOY_LAYOUT = flatLayout([IN * OUT, OUT]);

function _data(): { x: Float32Array; y: Float32Array } {
  let s = 12345;
  const rand = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) / (1 << 24) * 2 - 1;
  };
  const x = new Float32Array(EXAMPLES * IN).map(rand);
  const w = new Float32Array(IN * OUT).map(rand);
  const y = new Float32Array(EXAMPLES * OUT);
  for (let e = 0; e < EXAMPLES; e++) {
    for (let o = 0; o < OUT; o++) {
      let acc = 0;
      for (let i = 0; i < IN; i++) acc = f(acc + f(w[o * IN + i] * x[e * IN + i]));
      y[e * OUT + o] = f(acc + f(0.1 * rand()));
    }
  }
  return { x, y };
}

const DATA = _data();

/** Initial parameters (the same on every rank). */
export function toyInit(): Float32Array {
  const p = new Float32Array(TOY_LAYOUT.length);
  const [w, b] = arenaViews(p, TOY_LAYOUT);
  w.forEach((_, i) => w[i] = f(0.01 * ((i % 7) - 3)));
  b.fill(f(0.05));
  return p;
}

/**
 * Mean-squared-error gradient (`0.5 * |Wx + b - y|^2`, mean over the examples) in float32,
 * written into `grad` (same arena layout; padding stays zero).
 */
export function toyGradient(params: Float32Array, examples: number[], grad: Float32Array): void {
  grad.fill(0);
  const [w, b] = arenaViews(params, TOY_LAYOUT);
  const [gw, gb] = arenaViews(grad, TOY_LAYOUT);
  for (const e0 of examples) {
    const e = e0 % EXAMPLES;
    for (let o = 0; o < OUT; o++) {
      let z = b[o];
      for (let i = 0; i < IN; i++) z = f(z + f(w[o * IN + i] * DATA.x[e * IN + i]));
      const d = f(z - DATA.y[e * OUT + o]);
      gb[o] = f(gb[o] + d);
      for (let i = 0; i < IN; i++) gw[o * IN + i] = f(gw[o * IN + i] + f(d * DATA.x[e * IN + i]));
    }
  }
  const n = examples.length;
  for (let i = 0; i < grad.length; i++) grad[i] = f(grad[i] / n);
}

/** Plain SGD in place: `p = p - lr * g` in float32. */
export function toySgd(params: Float32Array, grad: Float32Array, lr: number): void {
  const l = f(lr);
  for (let i = 0; i < params.length; i++) params[i] = f(params[i] - f(l * grad[i]));
}

/** The examples rank `rank` of `size` trains on at step `step`. */
export function toyBatch(step: number, rank: number, size: number): number[] {
  const start = step * PER_RANK * size + rank * PER_RANK;
  return Array.from({ length: PER_RANK }, (_, i) => start + i);
}

/** What one rank's toy run returns. */
export interface ToyRun {
  /** Final parameters. */
  params: Float32Array;
  /** Per step: whether every rank held the same parameters after it. */
  inSync: boolean[];
  /** Per step: the largest difference of any rank's parameters from rank 0's after it. */
  spread: number[];
}

/** Where a toy run starts (resume). */
export interface ToyStart {
  /** Rank 0's saved parameters (other ranks pass nothing: they get rank 0's). */
  checkpoint?: Float32Array;
  /** The first step's index. @default {0} */
  firstStep?: number;
}

/**
 * Run SGD steps `firstStep .. steps-1` of the toy on this rank through `createDataParallel`.
 *
 * @param comm The communicator.
 * @param settings Distributed settings (`grad` or `param`).
 * @param steps Index after the last step.
 * @param lr Learning rate.
 * @param start A checkpoint to resume from (rank 0's) and the first step.
 */
export async function runToy(
  comm: Communicator,
  settings: DistributedSettings,
  steps: number,
  lr: number,
  start: ToyStart = {},
): Promise<ToyRun> {
  const dp = await createDataParallel(settings, { comm });
  const params = toyInit();
  const resumed = await dp.shareArrays(
    dp.isMain && start.checkpoint ? { params: start.checkpoint } : dp.isMain ? {} : undefined,
  );
  if (resumed.params) params.set(resumed.params);
  await dp.broadcastParams(params);
  const grad = new Float32Array(TOY_LAYOUT.length);
  const inSync: boolean[] = [];
  const spread: number[] = [];
  const root = new Float32Array(params.length);
  for (let s = start.firstStep ?? 0; s < steps + 1; s++) {
    if (!await dp.hasData(s, s < steps)) break;
    toyGradient(params, toyBatch(s, dp.rank, dp.size), grad);
    await dp.reduceGradients(grad);
    toySgd(params, grad, lr * dp.learningRateFactor);
    await dp.afterStep(params, s);
    // Observation only: how far each rank is from rank 0.
    root.set(params);
    await comm.broadcast(root, 0);
    let d = 0;
    for (let i = 0; i < params.length; i++) d = Math.max(d, Math.abs(params[i] - root[i]));
    const all = await dp.gatherNumbers(d);
    spread.push(Math.max(...all));
    inSync.push(all.every((x) => x === 0));
  }
  await dp.endTrainEpoch(params);
  await dp.checkInSync(params, "toy parameters");
  return { params, inSync, spread };
}

/** One process trained on the union of `size` ranks' batches (the reference of `grad` + avg). */
export function toyUnion(size: number, steps: number, lr: number): Float32Array {
  const params = toyInit();
  const grad = new Float32Array(TOY_LAYOUT.length);
  for (let s = 0; s < steps; s++) {
    const batch = Array.from({ length: size }, (_, r) => toyBatch(s, r, size)).flat();
    toyGradient(params, batch, grad);
    toySgd(params, grad, lr);
  }
  return params;
}

/**
 * One process computing each rank's gradient and averaging them in rank order
 * (`(g0 + g1) / 2` in float32): for 2 ranks, exactly what MPI's all-reduce computes.
 */
export function toyShardAverage(size: number, steps: number, lr: number): Float32Array {
  const params = toyInit();
  const sum = new Float32Array(TOY_LAYOUT.length);
  const g = new Float32Array(TOY_LAYOUT.length);
  for (let s = 0; s < steps; s++) {
    sum.fill(0);
    for (let r = 0; r < size; r++) {
      toyGradient(params, toyBatch(s, r, size), g);
      for (let i = 0; i < sum.length; i++) sum[i] = r === 0 ? g[i] : f(sum[i] + g[i]);
    }
    for (let i = 0; i < sum.length; i++) sum[i] = f(sum[i] / size);
    toySgd(params, sum, lr);
  }
  return params;
}

/**
 * Largest absolute difference between two parameter arenas, and that difference relative to
 * the largest parameter magnitude (elementwise relative differences of near-zero parameters
 * say nothing).
 */
export function maxDiff(a: Float32Array, b: Float32Array): { abs: number; rel: number } {
  let abs = 0, scale = 0;
  for (let i = 0; i < a.length; i++) {
    abs = Math.max(abs, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(a[i]), Math.abs(b[i]));
  }
  return { abs, rel: scale > 0 ? abs / scale : 0 };
}
