/**
 * Parity of every gradient transform's kernels with the CPU reference on gradients holding NaN
 * and ±Infinity: value clip, per-tensor and global norm clips (every norm type and style), noise,
 * weight decay (every mode), accumulation and invalid-gradient skipping, each chained before
 * SGD with momentum, on the webgpu backend against the cpu backend: parameters and momentum
 * buffers per step (NaN where the reference has NaN, ±Infinity exactly, finite values within
 * 32 ε32 of their scale), and the measured global norm.
 *
 * @module
 */

import { ok } from "node:assert/strict";
import { gpuTest } from "../tests/_gpu.ts";
import { transformChains } from "../tests/_parity.ts";
import { createOptimizer } from "../optimizers/mod.ts";
import type { Backend } from "../optimizers/mod.ts";
import { chain, type GradientTransform } from "./mod.ts";

const CHAINS = transformChains(1e-3);

const SIZES = [1, 7, 64, 130];

/** Gradients of step k: NaN and ±Infinity at a few elements on steps 1 and 3, else finite. */
function gradients(k: number): Float32Array[] {
  return SIZES.map((n, t) =>
    Float32Array.from({ length: n }, (_, j) => {
      const x = Math.fround(Math.sin(1 + j * 0.7 + t * 1.3 + k * 0.37) * 0.8);
      if (k % 2 === 1) return x;
      const m = (j * 5 + t + k) % 23;
      return m === 0 ? NaN : m === 4 ? Infinity : m === 9 ? -Infinity : x;
    })
  );
}

function same(a: number, e: number, scale: number): boolean {
  if (Number.isNaN(e)) return Number.isNaN(a);
  if (!Number.isFinite(e)) return a === e;
  return Math.abs(a - e) <= 32 * 2 ** -23 * Math.max(scale, Math.abs(e));
}

async function run(backend: Backend, transforms: GradientTransform[]) {
  const opt = await createOptimizer(chain(...transforms, { class: "sgd", momentum: 0.9 }), {
    backend,
    trackGradNorm: true,
  });
  const state = await opt.init(SIZES.map((n) => Float32Array.from({ length: n }, (_, j) => j)));
  const params: Float32Array[][] = [];
  const norms: number[] = [];
  for (let k = 0; k < 4; k++) {
    await opt.step(state, gradients(k), { learningRate: 0.1 });
    params.push(await opt.read(state));
    norms.push(await opt.lastGradNorm(state));
  }
  const { arrays } = await opt.exportState(state);
  opt.dispose(state);
  return { params, norms, arrays };
}

for (const c of CHAINS) {
  gpuTest(`transform parity, NaN and ±Infinity gradients: ${c.name}`, async () => {
    const want = await run("cpu", c.transforms);
    const got = await run("webgpu", c.transforms);
    const bad: string[] = [];
    want.params.forEach((ps, k) =>
      ps.forEach((p, t) =>
        p.forEach((e, j) => {
          if (!same(got.params[k][t][j], e, j) && bad.length < 5) {
            bad.push(`step ${k + 1} p${t}[${j}]: gpu ${got.params[k][t][j]} vs cpu ${e}`);
          }
        })
      )
    );
    want.norms.forEach((e, k) => {
      if (!same(got.norms[k], e, 0)) bad.push(`step ${k + 1} norm: gpu ${got.norms[k]} vs ${e}`);
    });
    for (const [key, e] of Object.entries(want.arrays)) {
      e.forEach((x, j) => {
        if (!same(got.arrays[key][j], x, 0) && bad.length < 10) {
          bad.push(`${key}[${j}]: gpu ${got.arrays[key][j]} vs cpu ${x}`);
        }
      });
    }
    ok(bad.length === 0, bad.join("\n"));
  });
}
