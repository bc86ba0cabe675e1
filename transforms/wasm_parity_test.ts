/**
 * Every gradient transform on the wasm backend against the cpu reference: value clip,
 * per-tensor and global norm clips (every norm type and style), noise, weight decay (every
 * mode), accumulation (both windows), invalid-gradient skipping and long chains, with finite and
 * with NaN/±Infinity gradients, on 1 and 2 threads, one memory and several (a small memory
 * limit), two parameter groups. Parameters, slots and the measured norm are bitwise the
 * reference's (the norms are float64 sums in a fixed order per segment; on these shapes they round
 * to the reference's float32 norm).
 *
 * @module
 */

import { deepEqual, ok } from "node:assert/strict";
import { createOptimizer, type WasmEngineOptions } from "../optimizers/mod.ts";
import type { Backend } from "../optimizers/mod.ts";
import { sameBits, transformChains } from "../tests/_parity.ts";
import {
  accumulateGradients,
  addNoise,
  chain,
  clipByGlobalNorm,
  clipByNorm,
  clipByValue,
  type GradientTransform,
  skipInvalidGradients,
  weightDecay,
} from "./mod.ts";

const CHAINS: { name: string; transforms: GradientTransform[] }[] = [
  ...transformChains(0.3),
  {
    name: "accumulateGradients epoch",
    transforms: [accumulateGradients(3, { window: "epoch" })],
  },
  { name: "skipInvalidGradients", transforms: [clipByGlobalNorm(1), skipInvalidGradients(100)] },
  {
    name: "accumulate, noise, clip value, per-tensor and global norm, decay, skip",
    transforms: [
      accumulateGradients(2),
      addNoise(0.05, { seed: 9 }),
      clipByValue(0.7),
      clipByNorm(2),
      clipByGlobalNorm(1.5, { style: "tf" }),
      weightDecay(0.02),
      clipByGlobalNorm(3),
      skipInvalidGradients(100),
    ],
  },
];

const SIZES = [1, 7, 64, 130, 3, 20001];
const NAMES = ["w1", "b1", "w2", "ln", "bias", "w3"];

/** Gradients of step k: NaN and ±Infinity at a few elements on every other step when asked. */
function gradients(k: number, withNonFinite: boolean): Float32Array[] {
  return SIZES.map((n, t) =>
    Float32Array.from({ length: n }, (_, j) => {
      const x = Math.fround(Math.sin(1 + j * 0.7 + t * 1.3 + k * 0.37) * 0.8);
      if (!withNonFinite || k % 2 === 1) return x;
      const m = (j * 5 + t + k) % 23;
      return m === 0 ? NaN : m === 4 ? Infinity : m === 9 ? -Infinity : x;
    })
  );
}

async function run(
  backend: Backend,
  transforms: GradientTransform[],
  nonFinite: boolean,
  wasm?: WasmEngineOptions,
) {
  const opt = await createOptimizer(
    chain(...transforms, { class: "adam", eps: 1e-8, weight_decay: 0.1 }),
    {
      backend,
      trackGradNorm: true,
      ...(wasm ? { wasm } : {}),
    },
  );
  const state = await opt.init(
    SIZES.map((n) => Float32Array.from({ length: n }, (_, j) => Math.fround(Math.cos(j)))),
    { names: NAMES },
  );
  const params: Float32Array[][] = [];
  const norms: number[] = [];
  for (let k = 0; k < 6; k++) {
    await opt.step(state, gradients(k, nonFinite), { learningRate: 0.01, epoch: 1 + (k >> 2) });
    params.push(await opt.read(state));
    norms.push(await opt.lastGradNorm(state));
  }
  const { arrays, config } = await opt.exportState(state);
  opt.dispose(state);
  return { params, norms, arrays, counters: config.counters };
}

const WASM_SETUPS: { name: string; wasm: WasmEngineOptions }[] = [
  { name: "1 thread", wasm: { threads: 1, inlineBelow: 0 } },
  { name: "2 threads", wasm: { threads: 2, inlineBelow: 0 } },
  { name: "3 threads", wasm: { threads: 3, inlineBelow: 0 } },
  {
    name: "2 threads, memories of 256 KiB",
    wasm: { threads: 2, inlineBelow: 0, memoryBytes: 1 << 18 },
  },
];

for (const c of CHAINS) {
  Deno.test(`wasm transform parity: ${c.name}`, async (t) => {
    for (const nonFinite of [false, true]) {
      const want = await run("cpu", c.transforms, nonFinite);
      for (const setup of WASM_SETUPS) {
        await t.step(
          `${nonFinite ? "NaN/±Infinity" : "finite"} gradients, ${setup.name}`,
          async () => {
            const got = await run("wasm", c.transforms, nonFinite, setup.wasm);
            const bad: string[] = [];
            want.params.forEach((ps, k) =>
              ps.forEach((p, ti) =>
                p.forEach((e, j) => {
                  const a = got.params[k][ti][j];
                  if (!sameBits(a, e) && bad.length < 5) {
                    bad.push(`step ${k + 1} p${ti}[${j}]: ${a} vs ${e}`);
                  }
                })
              )
            );
            want.norms.forEach((e, k) => {
              if (!sameBits(got.norms[k], e)) {
                bad.push(`step ${k + 1} norm: ${got.norms[k]} vs ${e}`);
              }
            });
            for (const [key, e] of Object.entries(want.arrays)) {
              e.forEach((x, j) => {
                if (!sameBits(got.arrays[key][j], x) && bad.length < 10) {
                  bad.push(`${key}[${j}]: ${got.arrays[key][j]} vs ${x}`);
                }
              });
            }
            ok(bad.length === 0, bad.join("\n"));
            deepEqual(got.counters, want.counters);
          },
        );
      }
    }
  });
}
