/**
 * The wasm backend against the cpu reference, bitwise: every registered optimizer with every
 * kernel-changing option, on 1 element, odd sizes with 200 small tensors and a tensor of several
 * segments, gradients with NaN and ±Infinity, on 1 thread and on 2 (Workers), parameters after
 * every step and every slot after the last. A NaN equals any NaN (payloads are not kept).
 *
 * @module
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { createOptimizer } from "./engine_create.ts";
import { createOptimizerFromDef } from "./engine.ts";
import { OPTIMIZERS } from "./registry.ts";
import type { Hyper, OptimizerDef } from "./types.ts";
import { MANY, rng, sameBits, stepGradients, variants } from "../tests/_parity.ts";

const SHAPE_SETS: { name: string; sizes: number[]; nonFinite?: boolean }[] = [
  { name: "1 element", sizes: [1] },
  { name: "NaN and ±Infinity gradients", sizes: [1, 7, 64, 130], nonFinite: true },
  { name: "odd sizes, 200 small tensors, a tensor of 3 segments", sizes: [...MANY, 40003] },
];

/** The first few differences between two lists of arrays. */
export function bitDifferences(
  what: string,
  want: readonly Float32Array[],
  got: readonly Float32Array[],
): string[] {
  const out: string[] = [];
  want.forEach((e, t) => {
    for (let j = 0; j < e.length && out.length < 5; j++) {
      if (!sameBits(got[t][j], e[j])) {
        out.push(`${what} ${t}[${j}]: wasm ${got[t][j]} vs cpu ${e[j]}`);
      }
    }
  });
  return out;
}

async function parity(
  def: OptimizerDef,
  h: Hyper,
  sizes: number[],
  threads: number,
  nonFinite = false,
) {
  const r = rng(sizes.length * 31 + def.name.length);
  const init = sizes.map((n) => Float32Array.from({ length: n }, () => Math.fround(r())));
  const cpu = await createOptimizerFromDef(def, h, { backend: "cpu" });
  const wasm = await createOptimizerFromDef(def, h, {
    backend: "wasm",
    wasm: { threads, inlineBelow: 0 },
  });
  const sc = await cpu.init(init);
  const sw = await wasm.init(init);
  try {
    const lrs = [1e-2, 3e-3, 1e-2, 5e-3];
    for (let k = 0; k < lrs.length; k++) {
      const grads = stepGradients(sizes, r, k, nonFinite);
      await cpu.step(sc, grads, { learningRate: lrs[k] });
      await wasm.step(sw, grads, { learningRate: lrs[k] });
      const bad = bitDifferences(`step ${k + 1} p`, await cpu.read(sc), await wasm.read(sw));
      ok(bad.length === 0, `${def.name} ${JSON.stringify(h)}: ${bad.join("; ")}`);
    }
    const want = (await cpu.exportState(sc)).arrays;
    const got = (await wasm.exportState(sw)).arrays;
    const keys = Object.keys(want);
    const bad = bitDifferences("slot", keys.map((k) => want[k]), keys.map((k) => got[k]));
    ok(bad.length === 0, `${def.name} ${JSON.stringify(h)}: ${bad.join("; ")}`);
  } finally {
    wasm.dispose(sw);
  }
}

for (const def of OPTIMIZERS) {
  Deno.test(`wasm parity ${def.name}: bitwise the cpu reference, 1 and 2 threads`, async (t) => {
    for (const h of variants(def)) {
      for (const set of SHAPE_SETS) {
        for (const threads of [1, 2]) {
          await t.step(
            `${JSON.stringify(h)} / ${set.name} / ${threads} thread(s)`,
            () => parity(def, h, set.sizes, threads, set.nonFinite),
          );
        }
      }
    }
  });
}

Deno.test("wasm without SharedArrayBuffer (a page that is not cross-origin isolated): one thread, said once", async () => {
  const saved = globalThis.SharedArrayBuffer;
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (m: string) => warnings.push(m);
  // deno-lint-ignore no-explicit-any
  (globalThis as any).SharedArrayBuffer = undefined;
  try {
    const dict = { class: "adam", eps: 1e-8 };
    const wasm = await createOptimizer(dict, {
      backend: "wasm",
      wasm: { threads: 5, inlineBelow: 0 },
    });
    const cpu = await createOptimizer(dict, { backend: "cpu" });
    const init = [Float32Array.from({ length: 70000 }, (_, i) => Math.fround(Math.sin(i)))];
    const g = [Float32Array.from({ length: 70000 }, (_, i) => Math.fround(Math.cos(i)))];
    const [sw, sc] = [await wasm.init(init), await cpu.init(init)];
    await wasm.step(sw, g, { learningRate: 0.1 });
    await cpu.step(sc, g, { learningRate: 0.1 });
    deepEqual(await wasm.read(sw), await cpu.read(sc));
    wasm.dispose(sw);
  } finally {
    globalThis.SharedArrayBuffer = saved;
    console.warn = warn;
  }
  equal(warnings.length, 1);
  match(
    warnings[0],
    /newbob wasm backend: running on one thread: SharedArrayBuffer is not available/,
  );
});
