/**
 * Interleaved timing: several prepared implementations of the same optimizer and shape take
 * turns, one repetition each per round, so a change in machine load hits all of them alike and
 * the ratios between them (taken within the round-robin) stay meaningful on a shared machine.
 *
 * @module
 */

import process from "node:process";
import { summarize } from "./_stats.ts";
import type { RateResult } from "./results.ts";

/** One implementation ready to be timed. */
export interface Prepared {
  /** Implementation label, e.g. `newbob webgpu`. */
  readonly impl: string;
  /** Optimizer case id. */
  readonly optimizer: string;
  /** Shape name. */
  readonly shape: string;
  /** Parameter updates per repetition. */
  readonly work: number;
  /** Steps per repetition. */
  readonly steps: number;
  /** Timed repetitions wanted. */
  readonly reps: number;
  /**
   * One repetition, synchronised with any device it uses; an implementation in another process
   * returns the seconds it measured itself (then the caller's wall clock and CPU time are not
   * its own).
   */
  once(): Promise<void | number>;
  /** Cumulative submits and dispatches (webgpu), for per-step counts. */
  counters?(): { submits: number; dispatches: number };
  /** Free everything. */
  dispose(): void;
}

/**
 * Warm each prepared implementation up once, then time them round-robin until each has its
 * repetitions; dispose them all.
 *
 * @param items Implementations of one optimizer and shape.
 * @returns One result per item: wall-clock and CPU-time rates (median, min, max).
 */
export async function timeInterleaved(items: readonly Prepared[]): Promise<RateResult[]> {
  const wall = items.map(() => [] as number[]);
  const cpu = items.map(() => [] as number[]);
  // Per-item work counts, taken around that item's own repetitions (items may share a device).
  const counted = items.map(() => ({ submits: 0, dispatches: 0 }));
  // Items timed in another process: no CPU-time rate (this process's CPU time is not theirs).
  const elsewhere = items.map(() => false);
  try {
    for (const p of items) await p.once();
    const rounds = Math.max(...items.map((p) => p.reps));
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < items.length; i++) {
        const p = items[i];
        if (r >= p.reps) continue;
        const k0 = p.counters?.();
        const u0 = process.cpuUsage();
        const t0 = performance.now();
        const own = await p.once();
        const dt = typeof own === "number" ? own : (performance.now() - t0) / 1000;
        const u = process.cpuUsage(u0);
        if (typeof own === "number") elsewhere[i] = true;
        const k1 = p.counters?.();
        if (k0 && k1) {
          counted[i].submits += k1.submits - k0.submits;
          counted[i].dispatches += k1.dispatches - k0.dispatches;
        }
        wall[i].push(p.work / Math.max(dt, 1e-9));
        cpu[i].push(p.work / Math.max((u.user + u.system) / 1e6, 1e-9));
      }
    }
    return items.map((p, i) => {
      const steps = p.steps * p.reps;
      return {
        optimizer: p.optimizer,
        shape: p.shape,
        impl: p.impl,
        rate: summarize(wall[i]),
        ...(elsewhere[i] ? {} : { cpuRate: summarize(cpu[i]) }),
        ...(p.counters
          ? {
            submitsPerStep: counted[i].submits / steps,
            dispatchesPerStep: counted[i].dispatches / steps,
          }
          : {}),
      };
    });
  } finally {
    for (const p of items) p.dispose();
  }
}
