/**
 * Timing statistics for the benchmark: every figure is the median of repeated runs after a
 * warm-up, reported with its min and max.
 *
 * @module
 */

import process from "node:process";

/** Median, min and max of a series of rates (or times). */
export interface Summary {
  /** Median. */
  readonly median: number;
  /** Smallest value. */
  readonly min: number;
  /** Largest value. */
  readonly max: number;
  /** Number of runs. */
  readonly runs: number;
}

/**
 * Summarise values (median, min, max).
 *
 * @param values At least one number.
 * @returns The summary.
 * @throws {RangeError} If `values` is empty.
 */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) {
    throw new RangeError("Cannot summarize an empty series: run at least one repetition");
  }
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  const median = s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  return { median, min: s[0], max: s[s.length - 1], runs: s.length };
}

/** How to repeat a measurement. */
export interface RepeatOptions {
  /** Timed repetitions. */
  readonly reps: number;
  /** Untimed warm-up repetitions. */
  readonly warmup: number;
  /** Work items (e.g. parameter updates) per repetition. */
  readonly work: number;
}

/**
 * Run `once` `warmup + reps` times and return work items per second of the timed runs.
 *
 * @param once One repetition (it must include its own synchronisation with any device).
 * @param options Repetitions, warm-up and work per repetition.
 * @returns Rates (work per second), one per timed repetition.
 */
export async function rates(
  once: () => Promise<void> | void,
  options: RepeatOptions,
): Promise<number[]> {
  for (let i = 0; i < options.warmup; i++) await once();
  const out: number[] = [];
  for (let i = 0; i < options.reps; i++) {
    const t0 = performance.now();
    await once();
    const dt = (performance.now() - t0) / 1000;
    out.push(options.work / Math.max(dt, 1e-9));
  }
  return out;
}

/**
 * Like {@linkcode rates}, and also work per CPU-second of this process (user + system, all
 * threads: on a software adapter such as llvmpipe the "GPU" work runs in this process). CPU
 * time is far less sensitive than wall time to other processes competing for the cores.
 *
 * @returns Wall-clock rates and CPU-time rates, one per timed repetition.
 */
export async function ratesWithCpu(
  once: () => Promise<void> | void,
  options: RepeatOptions,
): Promise<{ wall: number[]; cpu: number[] }> {
  for (let i = 0; i < options.warmup; i++) await once();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < options.reps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await once();
    const dt = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    wall.push(options.work / Math.max(dt, 1e-9));
    cpu.push(options.work / Math.max((c.user + c.system) / 1e6, 1e-9));
  }
  return { wall, cpu };
}

/**
 * Steps per repetition so that one repetition updates about `budget` parameters.
 *
 * @param params Parameters per step.
 * @param budget Parameter updates per repetition.
 * @param max Upper bound on steps.
 * @returns At least 1.
 */
export function stepsFor(params: number, budget: number, max = 64): number {
  return Math.max(1, Math.min(max, Math.round(budget / params)));
}
