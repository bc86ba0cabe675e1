/**
 * Parity of every registered optimizer kernel with its CPU reference: the fused WebGPU engine
 * against the float32 CPU backend on random shapes (1 element, sizes not divisible by 4, 200 small
 * tensors, a tensor spanning several chunks via a small chunk size) and on gradients with NaN and
 * ±Infinity, with the fixture README's per-element tolerance `|a-e| <= 32·2^-23·M_t` (M_t: the
 * largest |p| the element has had) on the parameters, and on every state slot after the last
 * step (`exportState`): NaN where the reference has NaN, ±Infinity exactly, finite values within
 * 32 ε32 of their own magnitude.
 */

import { ok } from "node:assert/strict";
import { gpuTest } from "../tests/_gpu.ts";
import { createOptimizerFromDef, type WebGpuEngineOptions } from "./engine.ts";
import { OPTIMIZERS } from "./registry.ts";
import type { Hyper, OptimizerDef } from "./types.ts";
import { MANY, rng, stepGradients, variants } from "../tests/_parity.ts";

/** Slot mismatches between two exported states (`want` from the reference). */
function slotMismatches(
  want: Record<string, Float32Array>,
  got: Record<string, Float32Array>,
): string[] {
  const out: string[] = [];
  for (const [key, e] of Object.entries(want)) {
    const a = got[key];
    for (let j = 0; j < e.length && out.length < 5; j++) {
      const same = Number.isNaN(e[j])
        ? Number.isNaN(a[j])
        : !Number.isFinite(e[j])
        ? a[j] === e[j]
        : Math.abs(a[j] - e[j]) <= 32 * 2 ** -23 * Math.abs(e[j]);
      if (!same) out.push(`slot ${key}[${j}]: gpu ${a[j]} vs cpu ${e[j]}`);
    }
  }
  return out;
}

const SHAPE_SETS: {
  name: string;
  sizes: number[];
  webgpu?: WebGpuEngineOptions;
  nonFinite?: boolean;
}[] = [
  { name: "1 element", sizes: [1] },
  { name: "NaN and ±Infinity gradients", sizes: [1, 7, 64, 130], nonFinite: true },
  {
    name: "odd sizes, 200 small tensors, one tensor over the chunk size",
    sizes: MANY,
    webgpu: { chunkFloats: 1024 },
  },
  {
    name: "the same with the hardware kernel shape (1 vec4 per thread, workgroup 256)",
    sizes: MANY,
    webgpu: { chunkFloats: 1024, elementsPerThread: 1, workgroupSize: 256 },
  },
];

async function parity(
  def: OptimizerDef,
  h: Hyper,
  sizes: number[],
  webgpu?: WebGpuEngineOptions,
  withNonFinite = false,
) {
  const r = rng(sizes.length * 31 + def.name.length);
  const init = sizes.map((n) => Float32Array.from({ length: n }, () => r()));
  const cpu = await createOptimizerFromDef(def, h, { backend: "cpu" });
  const gpu = await createOptimizerFromDef(def, h, {
    backend: "webgpu",
    ...(webgpu ? { webgpu } : {}),
  });
  const sc = await cpu.init(init);
  const sg = await gpu.init(init);
  const M = init.map((a) => Float32Array.from(a, Math.abs));
  const lrs = [1e-2, 3e-3, 1e-2, 5e-3];
  for (let k = 0; k < lrs.length; k++) {
    const grads = stepGradients(sizes, r, k, withNonFinite);
    await cpu.step(sc, grads, { learningRate: lrs[k] });
    await gpu.step(sg, grads, { learningRate: lrs[k] });
    const want = await cpu.read(sc);
    const got = await gpu.read(sg);
    want.forEach((e, t) => {
      for (let j = 0; j < e.length; j++) {
        M[t][j] = Math.max(M[t][j], Math.abs(e[j]));
        const tol = 32 * 2 ** -23 * M[t][j];
        const a = got[t][j];
        ok(
          Math.abs(a - e[j]) <= tol || (Number.isNaN(a) && Number.isNaN(e[j])) || a === e[j],
          `${def.name} ${JSON.stringify(h)} step ${k + 1} tensor ${t}[${j}]: gpu ${a} vs cpu ` +
            `${e[j]} (tolerance ${tol})`,
        );
      }
    });
  }
  const bad = slotMismatches(
    (await cpu.exportState(sc)).arrays,
    (await gpu.exportState(sg)).arrays,
  );
  ok(bad.length === 0, `${def.name} ${JSON.stringify(h)}: ${bad.join("; ")}`);
  gpu.dispose(sg);
}

for (const def of OPTIMIZERS) {
  gpuTest(`parity ${def.name}: webgpu kernel == cpu reference`, async (t) => {
    for (const h of variants(def)) {
      for (const set of SHAPE_SETS) {
        await t.step(
          `${JSON.stringify(h)} / ${set.name}`,
          () => parity(def, h, set.sizes, set.webgpu, set.nonFinite),
        );
      }
    }
  });
}
