/**
 * Every case of `tests/fixtures/torch/optimizers.json` through the float32 CPU references of
 * the optimizer definitions, through their WGSL bodies (a minimal kernel harness, on the
 * available WebGPU adapter), and through the engine's public API (`createOptimizer`) on the
 * `cpu`, `wasm` and `webgpu` backends, compared step by step with the fixture README's per-element
 * tolerance. Prints the worst error per optimizer and backend.
 *
 * @module
 */

import { equal } from "node:assert/strict";
import { gpuTest } from "./_gpu.ts";
import { harnessStepper } from "./_kernel_harness.ts";
import {
  engineStepper,
  fixtureOptimizerDict,
  loadFixtureCases,
  referenceStepper,
  runFixtureCase,
  type StepperFactory,
  WorstTable,
} from "./_optimizer_fixtures.ts";
import { resolveOptimizerConfig } from "../optimizers/registry.ts";

const cases = await loadFixtureCases();
const table = new WorstTable();

async function runAll(t: Deno.TestContext, backend: string, make: StepperFactory) {
  for (const c of cases) {
    await t.step(c.id, async () => {
      const r = await runFixtureCase(c, make);
      table.add(backend, c.optimizer.class, c.id, r);
      if (r.failures > 0) {
        throw new Error(`${r.failures} elements beyond tolerance:\n${r.messages.join("\n")}`);
      }
    });
  }
}

Deno.test(`torch fixtures: all ${cases.length} optimizer cases on the CPU references`, async (t) => {
  await runAll(t, "reference (cpu)", referenceStepper);
});

gpuTest(`torch fixtures: all ${cases.length} optimizer cases on the WGSL bodies`, async (t) => {
  const adapter = await navigator.gpu.requestAdapter();
  const device = await adapter!.requestDevice();
  try {
    await runAll(t, "kernel harness (webgpu)", (c, init) => {
      const { def, hyper } = resolveOptimizerConfig(fixtureOptimizerDict(c), {
        returnnEpsilon: false,
      });
      return harnessStepper(device, def, hyper, init);
    });
  } finally {
    device.destroy();
  }
});

Deno.test(`torch fixtures: all ${cases.length} cases through createOptimizer, backend cpu`, async (t) => {
  await runAll(t, "engine cpu", engineStepper("cpu"));
});

Deno.test(`torch fixtures: all ${cases.length} cases through createOptimizer, backend wasm`, async (t) => {
  await runAll(t, "engine wasm", engineStepper("wasm"));
});

gpuTest(
  `torch fixtures: all ${cases.length} cases through createOptimizer, backend webgpu`,
  async (t) => {
    const adapter = await navigator.gpu.requestAdapter();
    const device = await adapter!.requestDevice();
    try {
      await runAll(t, "engine webgpu", engineStepper("webgpu", { device }));
    } finally {
      device.destroy();
    }
  },
);

Deno.test("torch fixtures: the driver detects errors just beyond the tolerance", async () => {
  const c = cases.find((c) => c.id === "adam_default")!;
  // A stepper replaying `expected`, optionally nudged by `k` ε32 of the element's scale.
  const replay = (k: number): StepperFactory => (c) => {
    let step = 0;
    const m = c.init.map((a) => a.map(Math.abs));
    return {
      step() {
        const e = c.steps[step++].expected;
        return e.map((x, t) =>
          Float32Array.from(x, (v, i) => {
            m[t][i] = Math.max(m[t][i], Math.abs(v));
            return v + k * 2 ** -23 * m[t][i];
          })
        );
      },
    };
  };
  const exact = await runFixtureCase(c, replay(0));
  equal(exact.failures, 0);
  equal(exact.worstHist, 0);
  const inside = await runFixtureCase(c, replay(31));
  equal(inside.failures, 0);
  const outside = await runFixtureCase(c, replay(34));
  equal(outside.failures > 0, true);
  equal(outside.worstHist > 32, true);
});

Deno.test("torch fixtures: worst-error table", () => {
  console.log(table.toString());
});
