/**
 * The documented deviation of adapters that flush float32 subnormals in arithmetic
 * (`subnormalModes(device)`: SwiftShader, Chromium's software adapter, reads a subnormal operand
 * as 0 and writes a subnormal result as 0, while loads and stores keep the bits).
 *
 * PyTorch's CPU kernels keep subnormals (and fuse `addcmul_` into one multiply-add). In the one
 * fixture family where this matters, Adam with `eps` = 1e-16 and gradients of 1e-21..1e-17
 * (`ftz_sensitive` cases: `(1-β2)·g²` and so `exp_avg_sq` are subnormal), such an adapter runs
 * newbob's Adam kernel on flushed values: `(g·(1-β2))·g` becomes 0, `sqrt(v)` of a subnormal `v`
 * becomes 0, so `denom` is `eps` alone where torch has `sqrt(v)/sqrt(1-β2^t) + eps`. The result
 * is neither torch's trajectory nor its FTZ replay (`expected_ftz`, recorded with a fused
 * multiply-add), so on such adapters the case is checked against this module's emulation of the
 * kernel under flush-to-zero and denormals-are-zero, with the usual per-element tolerance: the
 * browser must reproduce exactly the explained deviation, nothing else. How far that trajectory
 * is from torch's is reported beside it.
 *
 * @module
 */

import { type FixtureCase, runFixtureCase } from "../_optimizer_fixtures.ts";

/** What the deviation is, for the report. */
export interface Deviation {
  /** One sentence. */
  why: string;
  /** Largest |flushed - torch| of the case, in ε32 of the element's scale. */
  worstHistVsTorch: number;
  /**
   * The fixture driver's own figure for the flushed trajectory against the case (torch's
   * `expected`, with `|expected - expected_ftz|` as slack): what a plain run reports.
   */
  driverHist: number;
  /** Element-steps whose value differs from torch's beyond the tolerance. */
  elementStepsBeyondTolerance: number;
}

const TINY = 2 ** -126;
/** A float32 value as a flushing device holds it in arithmetic. */
const z = (x: number): number => (Math.abs(x) < TINY ? 0 * Math.sign(x) : x);
/** Round to float32, then flush a subnormal result. */
const f = (x: number): number => z(Math.fround(x));

/**
 * newbob's Adam kernel (`optimizers/_adam_kernel.ts`: unfused, torch's operation order) on a
 * device that flushes subnormal operands and results, for one Adam case of the fixture file.
 *
 * @param c An `adam` case (coupled weight decay, no `maximize`).
 * @returns The parameters after each step.
 */
export function flushedAdamTrajectory(c: FixtureCase): number[][][] {
  const { betas, eps, amsgrad, weight_decay: wd } = c.optimizer.params as {
    betas: number[];
    eps: number;
    amsgrad: boolean;
    weight_decay: number;
  };
  const [b1, b2] = betas.map(Math.fround);
  const omb1 = Math.fround(1 - betas[0]), omb2 = Math.fround(1 - betas[1]);
  const epsF = Math.fround(eps);
  const p = c.init.map((a) => Float32Array.from(a));
  const m = p.map((a) => new Float32Array(a.length));
  const v = p.map((a) => new Float32Array(a.length));
  const vmax = p.map((a) => new Float32Array(a.length));
  const out: number[][][] = [];
  c.steps.forEach((st, k) => {
    const t = k + 1;
    const negStep = Math.fround(-st.lr / (1 - betas[0] ** t));
    const bc2s = Math.fround(Math.sqrt(1 - betas[1] ** t));
    p.forEach((pt, ti) => {
      for (let i = 0; i < pt.length; i++) {
        let g = z(Math.fround(st.grads[ti][i]));
        if (wd !== 0) g = f(g + f(Math.fround(wd) * z(pt[i])));
        const mi = f(f(z(m[ti][i]) * b1) + f(g * omb1));
        const vi = f(f(z(v[ti][i]) * b2) + f(f(g * omb2) * g));
        const wi = amsgrad ? Math.max(z(vmax[ti][i]), vi) : vi;
        const denom = f(f(f(Math.sqrt(wi)) / bc2s) + epsF);
        m[ti][i] = mi;
        v[ti][i] = vi;
        vmax[ti][i] = wi;
        pt[i] = f(z(pt[i]) + f(f(negStep * mi) / denom));
      }
    });
    out.push(p.map((a) => Array.from(a)));
  });
  return out;
}

/**
 * The case as a flushing adapter must run it, or `undefined` when flushing changes nothing
 * (every case but the `ftz_sensitive` Adam ones).
 *
 * @param c A case of `tests/fixtures/torch/optimizers.json`.
 * @returns The case with `expected` replaced by the flushed trajectory, and the summary.
 */
export async function expectedDeviation(
  c: FixtureCase,
): Promise<{ fixtureCase: FixtureCase; summary: Deviation } | undefined> {
  if (!c.ftz_sensitive || (c.optimizer.class !== "adam" && c.optimizer.class !== "adamw")) {
    return undefined;
  }
  if (c.optimizer.class === "adamw" || c.optimizer.params.maximize) return undefined;
  const flushed = flushedAdamTrajectory(c);
  const driver = await runFixtureCase(c, () => {
    let k = 0;
    return { step: () => flushed[k++].map((a) => Float32Array.from(a)) };
  });
  // Distance to torch, counted as the fixture driver counts (ε32 of the element's scale).
  let worst = 0, beyond = 0;
  const M = c.init.map((a) => a.map(Math.abs));
  c.steps.forEach((st, k) =>
    st.expected.forEach((e, t) =>
      e.forEach((x, i) => {
        M[t][i] = Math.max(M[t][i], Math.abs(x));
        const hist = Math.abs(flushed[k][t][i] - x) / (2 ** -23 * M[t][i] || 1);
        worst = Math.max(worst, hist);
        if (hist > 32) beyond++;
      })
    )
  );
  return {
    fixtureCase: {
      ...c,
      ftz_sensitive: false,
      steps: c.steps.map((st, k) => ({ lr: st.lr, grads: st.grads, expected: flushed[k] })),
    },
    summary: {
      why:
        "this adapter flushes float32 subnormals in arithmetic: exp_avg_sq and sqrt(exp_avg_sq) " +
        "of the subnormal elements are 0, so denom is eps alone; checked against newbob's kernel " +
        "emulated with flush-to-zero",
      worstHistVsTorch: worst,
      driverHist: driver.worstHist,
      elementStepsBeyondTolerance: beyond,
    },
  };
}
