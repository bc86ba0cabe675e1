/**
 * PyTorch's handling of NaN and ±Infinity gradients (`tests/fixtures/torch_nonfinite/`, generated
 * by `gen_nonfinite_cases.py` there with torch 1.13.1) for every optimizer, Lion included, through
 * the CPU references and `createOptimizer` on every backend: the parameters after every step with
 * the fixture tolerance (a NaN must be matched by a NaN, ±Infinity exactly), and every state slot
 * after the last step (`exportState`), whose NaN and ±Infinity must sit where torch's are.
 *
 * @module
 */

import { gpuTest } from "./_gpu.ts";
import type { Backend } from "../optimizers/engine.ts";
import {
  engineStepper,
  type FixtureCase,
  loadNonFiniteFixtureCases,
  referenceStepper,
  runFixtureSteps,
  type StepperFactory,
  WorstTable,
} from "./_optimizer_fixtures.ts";

const cases = await loadNonFiniteFixtureCases("torch_nonfinite/optimizers_nonfinite.json");
const table = new WorstTable();

/** Differences between a saved slot and torch's: non-finite values exactly, others to 32 ε32. */
function stateMismatches(c: FixtureCase, arrays: Record<string, Float32Array>): string[] {
  const out: string[] = [];
  for (const [slot, perTensor] of Object.entries(c.expected_state ?? {})) {
    perTensor.forEach((want, t) => {
      const got = arrays[`${t}/${slot}`];
      if (!got) {
        out.push(`${c.id}: no saved slot ${t}/${slot}`);
        return;
      }
      want.forEach((e, i) => {
        const a = got[i];
        const same = Number.isNaN(e)
          ? Number.isNaN(a)
          : !Number.isFinite(e)
          ? a === e
          : Number.isFinite(a) && Math.abs(a - e) <= 32 * 2 ** -23 * Math.abs(e);
        if (!same && out.length < 8) out.push(`${c.id} ${slot} tensor ${t} [${i}]: ${a} vs ${e}`);
      });
    });
  }
  return out;
}

/** `createOptimizer` on `backend`; after the last step the exported state is compared. */
function checkedStepper(backend: Backend, device?: GPUDevice): StepperFactory {
  return engineStepper(backend, {
    ...(device ? { device } : {}),
    checkState(c, saved) {
      const bad = stateMismatches(c, saved.arrays);
      if (bad.length) throw new Error(`state differs from torch's:\n${bad.join("\n")}`);
    },
  });
}

Deno.test(`torch non-finite fixtures: ${cases.length} cases on the CPU references`, async (t) => {
  await runFixtureSteps(t, cases, "reference (cpu)", referenceStepper, table);
});

Deno.test(`torch non-finite fixtures: ${cases.length} cases, backend cpu`, async (t) => {
  await runFixtureSteps(t, cases, "engine cpu", checkedStepper("cpu"), table);
});

Deno.test(`torch non-finite fixtures: ${cases.length} cases, backend wasm`, async (t) => {
  await runFixtureSteps(t, cases, "engine wasm", checkedStepper("wasm"), table);
});

gpuTest(`torch non-finite fixtures: ${cases.length} cases, backend webgpu`, async (t) => {
  const adapter = await navigator.gpu.requestAdapter();
  const device = await adapter!.requestDevice();
  try {
    await runFixtureSteps(t, cases, "engine webgpu", checkedStepper("webgpu", device), table);
  } finally {
    device.destroy();
  }
});

Deno.test("torch non-finite fixtures: worst-error table", () => {
  console.log(table.toString());
});
