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

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return ((s >>> 8) / 2 ** 24) * 2 - 1;
  };
}

/** Hyperparameter variants per definition: defaults plus each option that changes the kernel. */
function variants(def: OptimizerDef): Hyper[] {
  const d = def.defaults;
  const tries: Record<string, unknown>[] = [{}];
  if ("weight_decay" in d) tries.push({ weight_decay: 0.05 });
  if ("maximize" in d) {
    tries.push({ maximize: true, ...("weight_decay" in d ? { weight_decay: 0.01 } : {}) });
  }
  if ("amsgrad" in d) tries.push({ amsgrad: true });
  if ("momentum" in d) tries.push({ momentum: 0.9 });
  if ("nesterov" in d) tries.push({ momentum: 0.9, nesterov: true });
  if ("centered" in d) tries.push({ centered: true, momentum: 0.5 });
  if ("initial_accumulator_value" in d) {
    tries.push({ initial_accumulator_value: 0.1, lr_decay: 0.01 });
  }
  const out: Hyper[] = [];
  for (const t of tries) {
    try {
      out.push(def.resolve({ ...d, ...t }));
    } catch {
      // An option combination the algorithm rejects: nothing to test.
    }
  }
  return out;
}

const MANY = [3, 5, 130, 2501, ...Array.from({ length: 200 }, (_, i) => 1 + (i * 7919) % 37)];
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

/** Gradient element `j` of step `k`: NaN, +Infinity or -Infinity at a few places, else `x`. */
function nonFinite(x: number, j: number, k: number): number {
  const m = (j * 7 + k * 3) % 29;
  return m === 0 ? NaN : m === 5 ? Infinity : m === 11 ? -Infinity : x;
}

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
    const scale = 10 ** (r() * 2);
    const grads = sizes.map((n) =>
      Float32Array.from({ length: n }, (_, j) => {
        const x = j % 11 === 3 ? 0 : Math.fround(r() * scale);
        return withNonFinite ? nonFinite(x, j, k) : x;
      })
    );
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
