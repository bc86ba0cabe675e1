import { equal, notDeepEqual, ok } from "node:assert/strict";
import { gpuTest } from "../tests/_gpu.ts";
import { createOptimizer } from "../optimizers/mod.ts";
import type { Backend } from "../optimizers/mod.ts";
import { addNoise, chain, mix32, noiseKey, normalQuantile, truncNormal } from "./mod.ts";
import quantiles from "../tests/fixtures/noise_quantile/quantile.json" with { type: "json" };

const N = 1 << 20;
/** Truncated standard normal at ±2: std = sqrt(1 - 4φ(2)/(2Φ(2)-1)). */
const TRUNC_STD = 0.8796256610342398;

function stats(xs: ArrayLike<number>, sigma: number) {
  let s = 0, s2 = 0, max = 0;
  for (let i = 0; i < xs.length; i++) {
    s += xs[i];
    s2 += xs[i] * xs[i];
    max = Math.max(max, Math.abs(xs[i]));
  }
  const mean = s / xs.length;
  const std = Math.sqrt(s2 / xs.length - mean * mean);
  // 1M draws: the mean's standard error is ~0.00088σ; allow 5 of them.
  ok(Math.abs(mean) < 5 * TRUNC_STD * sigma / Math.sqrt(xs.length), `mean ${mean}`);
  ok(Math.abs(std / (TRUNC_STD * sigma) - 1) < 0.005, `std ${std}`);
  ok(max <= 2 * sigma * (1 + 1e-6), `max ${max} beyond 2σ`);
  return { mean, std, max };
}

Deno.test("mix32 is the lowbias32 hash", () => {
  equal(mix32(0), 0);
  equal(mix32(1), 1753845952); // regression value; WGSL agreement is tested below
  ok(mix32(0xffffffff) >= 0 && mix32(0xffffffff) < 2 ** 32);
  ok(new Set(Array.from({ length: 1000 }, (_, i) => mix32(i))).size === 1000);
});

Deno.test("truncNormal: 1M draws have the truncated normal's mean, std and CDF, none beyond 2σ", () => {
  const key = noiseKey(1234, 1, 0);
  const xs = new Float64Array(N);
  for (let j = 0; j < N; j++) xs[j] = truncNormal(key, j);
  stats(xs, 1);
  // The truncated normal's CDF (Python: (Φ(z) - Φ(-2)) / (Φ(2) - Φ(-2))), 5 standard errors.
  const cdf: [number, number][] = [
    [-1.5, 0.04615723572698301],
    [-1, 0.142383613994547],
    [-0.5, 0.2994106713370283],
    [0, 0.5],
    [1, 0.857616386005453],
    [1.5, 0.953842764273017],
  ];
  for (const [z, p] of cdf) {
    const below = xs.filter((x) => x <= z).length / N;
    ok(Math.abs(below - p) < 5 * Math.sqrt(p * (1 - p) / N), `P(z <= ${z}) = ${below}, want ${p}`);
  }
  // Same key -> identical; different seed -> different.
  equal(truncNormal(key, 77), truncNormal(noiseKey(1234, 1, 0), 77));
  let same = 0;
  const other = noiseKey(1235, 1, 0);
  for (let j = 0; j < 1000; j++) if (truncNormal(other, j) === xs[j]) same++;
  ok(same < 5);
});

Deno.test("normalQuantile: within 6 ulp of the exact quantile (tests/fixtures/noise_quantile), within ±2, odd", () => {
  let worst = 0;
  quantiles.u.forEach((u, i) => {
    const z = normalQuantile(u), e = quantiles.z[i];
    const ulp = 2 ** (Math.floor(Math.log2(Math.abs(e))) - 23);
    worst = Math.max(worst, Math.abs(z - e) / ulp);
  });
  ok(worst <= 6, `worst error ${worst} ulp`);
  // Every 24-bit input: |z| <= 2 (truncation without rejection) and z(u) = -z(2^24 - 1 - u).
  for (let u = 0; u < 1 << 23; u += 1) {
    const z = normalQuantile(u);
    if (!(Math.abs(z) <= 2) || z !== -normalQuantile(2 ** 24 - 1 - u)) {
      throw new Error(`normalQuantile(${u}) = ${z}`);
    }
  }
});

/** Noise only: SGD with lr 1 from p = 0 and zero gradients leaves p = -σ·z exactly. */
async function noiseOf(backend: Backend, seed: number, sigma: number, sizes: number[], steps = 1) {
  const opt = await createOptimizer(chain(addNoise(sigma, { seed }), { class: "sgd" }), {
    backend,
  });
  const st = await opt.init(sizes.map((n) => new Float32Array(n)));
  const zeros = sizes.map((n) => new Float32Array(n));
  for (let k = 0; k < steps; k++) await opt.step(st, zeros, { learningRate: 1 });
  const out = await opt.read(st);
  opt.dispose(st);
  return out;
}

Deno.test("addNoise on cpu: statistics, reproducible per seed, different seeds differ", async () => {
  const sigma = 0.01;
  const [a] = await noiseOf("cpu", 7, sigma, [N]);
  stats(a, sigma);
  const [b] = await noiseOf("cpu", 7, sigma, [N]);
  equal(a.every((v, i) => v === b[i]), true);
  const [c] = await noiseOf("cpu", 8, sigma, [N]);
  notDeepEqual(a.subarray(0, 100), c.subarray(0, 100));
});

gpuTest("addNoise on webgpu: same statistics, identical per seed, agrees with cpu", async () => {
  const sigma = 0.5;
  const sizes = [N - 3, 5, 1];
  const one = await noiseOf("webgpu", 7, sigma, sizes, 1);
  stats(one[0], sigma);
  // Two updates: the second draw uses the next update counter.
  const gpu = await noiseOf("webgpu", 7, sigma, sizes, 2);
  const gpu2 = await noiseOf("webgpu", 7, sigma, sizes, 2);
  gpu.forEach((a, t) => equal(a.every((v, i) => v === gpu2[t][i]), true));
  const other = await noiseOf("webgpu", 9, sigma, sizes, 2);
  notDeepEqual(gpu[1], other[1]);
  const cpu = await noiseOf("cpu", 7, sigma, sizes, 2);
  let differ = 0;
  let far = 0;
  cpu.forEach((a, t) =>
    a.forEach((v, i) => {
      const d = Math.abs(v - gpu[t][i]);
      if (d > 0) differ++;
      // WGSL allows 2.5 ulp for ÷ (the only inexact operation of the draw): a few ulp of 4σ.
      if (!(d <= 16 * 2 ** -23 * 4 * sigma)) far++;
    })
  );
  equal(far, 0, `${far} draws differ by more than a few ulp`);
  // llvmpipe rounds every float32 operation as IEEE: there the draw is bitwise the reference.
  const adapter = await navigator.gpu.requestAdapter();
  if (/llvmpipe/i.test(adapter?.info?.description ?? "")) equal(differ, 0, `${differ} differ`);
});

Deno.test("addNoise on wasm: bitwise the cpu draw (1M elements, 2 updates, several tensors)", async () => {
  const sizes = [N - 3, 5, 1];
  const cpu = await noiseOf("cpu", 7, 0.5, sizes, 2);
  const wasm = await noiseOf("wasm", 7, 0.5, sizes, 2);
  cpu.forEach((a, t) => {
    let differ = 0;
    a.forEach((v, i) => {
      if (!Object.is(v, wasm[t][i])) differ++;
    });
    equal(differ, 0, `tensor ${t}: ${differ} draws differ`);
  });
});
