import assert from "node:assert/strict";
import { stepsFor, summarize } from "./_stats.ts";
import { OPTIMIZER_CASES } from "./cases.ts";
import { randomArray } from "./newbob_runner.ts";
import { type BenchReport, formatReport } from "./report.ts";
import { REFERENCE_ENGINE_IMPL } from "./results.ts";
import { shapeCases, transformerSizes } from "./shapes.ts";

Deno.test("summarize: median, min, max", () => {
  assert.deepEqual(summarize([3, 1, 2]), { median: 2, min: 1, max: 3, runs: 3 });
  assert.equal(summarize([4, 1, 2, 3]).median, 2.5);
  assert.throws(() => summarize([]), RangeError);
});

Deno.test("stepsFor: budget / params, at least 1", () => {
  assert.equal(stepsFor(1 << 20, 32 << 20), 32);
  assert.equal(stepsFor(1 << 24, 1 << 20), 1);
  assert.equal(stepsFor(1, 1e9, 64), 64);
});

Deno.test("transformer shapes: about 150 tensors, 2^24 floats", () => {
  const s = transformerSizes();
  assert.ok(s.length >= 140 && s.length <= 160, `${s.length} tensors`);
  assert.equal(s.reduce((a, b) => a + b, 0), 1 << 24);
  const cases = shapeCases([1, 4], true);
  assert.deepEqual(cases.map((c) => c.name), ["1M", "4M", `16M x${s.length}`]);
});

Deno.test("randomArray: deterministic, in range", () => {
  const a = randomArray(1000, 3, 0.5);
  assert.deepEqual(a, randomArray(1000, 3, 0.5));
  assert.ok(a.every((x) => x >= -0.5 && x < 0.5));
});

Deno.test("formatReport: tables with ratios from the same run", () => {
  const s = (m: number) => summarize([m * 1e6]);
  const text = formatReport({
    date: "2026-01-01T00:00:00Z",
    machine: { cpu: "test", cores: 2 },
    rates: [
      { optimizer: "adam", shape: "16M", impl: "newbob webgpu", rate: s(300), submitsPerStep: 1 },
      { optimizer: "adam", shape: "16M", impl: "tfjs wasm", rate: s(150) },
      { optimizer: "adam", shape: "16M", impl: "torch cpu", rate: s(600) },
      { optimizer: "lion", shape: "16M", impl: "tfjs wasm", rate: null, note: "no Lion" },
    ],
    bandwidth: [{ where: "webgpu x", kernel: "copy", bytesPerSecond: summarize([28e9]) }],
    e2e: [],
    notes: [],
    seconds: 1,
  }, OPTIMIZER_CASES);
  assert.match(text, /\| adam\s+\| 16M\s+\| 300 \(300-300\)/);
  assert.match(text, /2\.00x/); // webgpu / best tfjs
  assert.match(text, /0\.50x/); // webgpu / torch
  assert.match(text, /30%/); // 300 M/s of 1000 M/s (28 GB/s / 28 B)
  assert.match(text, /tfjs lion: no Lion/);
});

Deno.test("formatReport: issue 13 targets of the wasm backend, met or not", () => {
  const s = (m: number) => summarize([m * 1e6]);
  const text = formatReport({
    date: "2026-01-01T00:00:00Z",
    machine: { cpu: "test", cores: 2 },
    rates: [
      { optimizer: "adam", shape: "16M", impl: "newbob wasm", rate: s(1400) },
      { optimizer: "adam", shape: "16M", impl: "torch cpu", rate: s(600) },
      { optimizer: "lion", shape: "16M", impl: "newbob wasm", rate: s(1000) },
      { optimizer: "clip_noise_adam", shape: "16M", impl: "newbob wasm", rate: s(700) },
    ],
    // 44.8 GB/s: Adam's roofline 1600 M/s (28 B), Lion's 2240 M/s (20 B).
    bandwidth: [{ where: "cpu", kernel: "in-place", bytesPerSecond: summarize([44.8e9]) }],
    e2e: [],
    notes: [],
    seconds: 1,
  }, OPTIMIZER_CASES);
  // roofline/torch: 1600 / 600 = 2.67x, the most any implementation could reach against torch.
  assert.match(text, /\| adam\s+\| 16M\s+\| 2\.33x\s+\| yes\s+\| 2\.67x\s+\| 88%\s+\| yes\s+\|/);
  assert.match(text, /\| lion\s+\| 16M\s+\| -\s+\| -\s+\| -\s+\| 45%\s+\| no\s+\|/);
  assert.match(text, /\| clip_noise_adam \| 16M\s+\| time 2\.00x Adam's \| no/);
});

/** A report with nothing measured (the tests below fill in what they check). */
const EMPTY_REPORT: BenchReport = {
  date: "2026-01-01T00:00:00Z",
  machine: { cpu: "test", cores: 2 },
  rates: [],
  bandwidth: [],
  e2e: [],
  notes: [],
  seconds: 1,
};

Deno.test("formatReport: the chain's parts and the floor of the norm pass (read-only stream)", () => {
  const s = (m: number) => summarize([m * 1e6]);
  const text = formatReport({
    ...EMPTY_REPORT,
    rates: [
      { optimizer: "adam", shape: "16M", impl: "newbob wasm", rate: s(800) },
      { optimizer: "clip_adam", shape: "16M", impl: "newbob wasm", rate: s(640) },
      { optimizer: "noise_adam", shape: "16M", impl: "newbob wasm", rate: s(400) },
      { optimizer: "clip_noise_adam", shape: "16M", impl: "newbob wasm", rate: s(320) },
    ],
    bandwidth: [
      { where: "cpu", kernel: "in-place", bytesPerSecond: summarize([24e9]) },
      // A read-only stream is no roofline: Adam's share of the roofline stays on 24 GB/s.
      { where: "cpu", kernel: "read only", role: "read", bytesPerSecond: summarize([32e9]) },
    ],
  }, OPTIMIZER_CASES);
  assert.match(text, /\| 16M\s+\| newbob wasm \| 1\.25x\s+\| 2\.00x\s+\| 2\.50x\s+\|/);
  // 16M params: Adam 2^24 / 800e6 = 21.0 ms; the norm reads 64 MiB at 32 GB/s: 2.1 ms.
  assert.match(
    text,
    /16M: Adam's step 21\.0 ms; the norm's read of the gradients at 32\.0 GB\/s at least 2\.1 ms \(0\.10x Adam's step\), leaving 8\.4 ms/,
  );
  assert.match(text, /\| adam\s+\| 16M\s+\| -\s+\| -\s+\| -\s+\| 93%/);
});

Deno.test("formatReport: the demo's epoch and updater step, wasm engine against the reference", () => {
  const text = formatReport({
    ...EMPTY_REPORT,
    e2e: [
      {
        impl: "newbob train",
        backend: "wasm",
        epochSeconds: summarize([0.048]),
        devAccuracy: 0.98,
        epochs: 20,
        updaterStepMicros: summarize([100]),
      },
      {
        impl: REFERENCE_ENGINE_IMPL,
        backend: "wasm",
        epochSeconds: summarize([0.05]),
        devAccuracy: 0.98,
        epochs: 20,
        updaterStepMicros: summarize([160]),
      },
    ],
    notes: [],
    seconds: 1,
  }, OPTIMIZER_CASES);
  assert.match(
    text,
    /\| wasm\s+\| newbob train\s+\| 20\s+\| 0\.048 \(0\.048-0\.048\) \| 98\.00%\s+\| 100 /,
  );
  assert.match(
    text,
    /TypeScript reference: 0\.96 \(target <= 1: met\); the updater's step in the same runs: 100 µs against 160 µs \(0\.63\)/,
  );
});
