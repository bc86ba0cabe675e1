/**
 * Every case of `tests/fixtures/torch/transforms.json` on the cpu, wasm and webgpu backends, with the
 * fixture README's tolerances: value clips exact, norms and clipped gradients within rtol 1e-5,
 * parameters within `32·2^-23·M_t` per element.
 */

import { ok } from "node:assert/strict";
import { gpuTest } from "../tests/_gpu.ts";
import { createOptimizer } from "../optimizers/mod.ts";
import type { Backend } from "../optimizers/mod.ts";
import {
  accumulateGradients,
  chain,
  clipByGlobalNorm,
  clipByValue,
  type GradientTransform,
  type NormType,
} from "./mod.ts";

// deno-lint-ignore no-explicit-any
type Case = any;
const fixture = JSON.parse(
  await Deno.readTextFile(new URL("../tests/fixtures/torch/transforms.json", import.meta.url)),
);
const cases: Case[] = fixture.cases;
const F = (xs: number[][]) => xs.map((x) => Float32Array.from(x));
const normType = (v: unknown): NormType => v === "inf" ? "inf" : v === 1 || v === 1.0 ? 1 : 2;

function close(a: number, e: number, rtol: number, what: string) {
  ok(Math.abs(a - e) <= rtol * Math.abs(e) || (a === 0 && e === 0), `${what}: ${a} vs ${e}`);
}

function optimizerDict(c: Case) {
  const { lr: _lr, ...params } = c.optimizer.params;
  return { class: c.optimizer.class, ...params };
}

/** Standalone clip: SGD with lr 1 from p = 0 leaves p = -g' exactly. */
async function runClip(c: Case, backend: Backend) {
  const p = c.transform.params;
  const t: GradientTransform = c.transform.name === "clip_grad_value_"
    ? clipByValue(p.clip_value)
    : clipByGlobalNorm(p.max_norm, { normType: normType(p.norm_type) });
  const opt = await createOptimizer(chain(t, { class: "sgd" }), { backend });
  const st = await opt.init(
    c.shapes.map((_: unknown, i: number) => new Float32Array(c.grads[i].length)),
  );
  await opt.step(st, F(c.grads), { learningRate: 1 });
  const got = await opt.read(st);
  got.forEach((g, i) =>
    g.forEach((v, j) => {
      const e = c.expected_grads[i][j];
      if (c.transform.name === "clip_grad_value_") {
        ok(-v === e, `${c.id} [${i}][${j}] ${-v} vs ${e}`);
      } else close(-v, e, 1e-5, `${c.id} [${i}][${j}]`);
    })
  );
  if (c.transform.name === "clip_grad_norm_") {
    close(await opt.lastGradNorm(st), c.total_norm, 1e-5, `${c.id} total_norm`);
  }
  opt.dispose(st);
}

/** Parameters after each step against `expected` with the per-element tolerance. */
function checkParams(c: Case, k: number, got: Float32Array[], M: Float32Array[]) {
  const exp = c.steps[k].expected;
  got.forEach((g, i) =>
    g.forEach((v, j) => {
      M[i][j] = Math.max(M[i][j], Math.abs(exp[i][j]));
      const tol = 32 * 2 ** -23 * M[i][j];
      ok(
        Math.abs(v - exp[i][j]) <= tol,
        `${c.id} step ${k + 1} [${i}][${j}]: ${v} vs ${exp[i][j]}`,
      );
    })
  );
}

async function runThen(c: Case, backend: Backend) {
  const p = c.transform.params;
  const t = clipByGlobalNorm(p.max_norm, { normType: normType(p.norm_type) });
  const opt = await createOptimizer(chain(t, optimizerDict(c)), { backend });
  const st = await opt.init(F(c.init));
  const M = F(c.init).map((a) => a.map(Math.abs));
  for (let k = 0; k < c.steps.length; k++) {
    await opt.step(st, F(c.steps[k].grads), { learningRate: c.steps[k].lr });
    close(await opt.lastGradNorm(st), c.steps[k].total_norm, 1e-5, `${c.id} step ${k + 1} norm`);
    checkParams(c, k, await opt.read(st), M);
  }
  opt.dispose(st);
}

async function runAccumulate(c: Case, backend: Backend) {
  const { micro_batches: n, reduction } = c.transform.params;
  const s = reduction === "mean" ? Math.fround(1 / n) : 1;
  const opt = await createOptimizer(chain(accumulateGradients(n), optimizerDict(c)), { backend });
  const st = await opt.init(F(c.init));
  const M = F(c.init).map((a) => a.map(Math.abs));
  for (let k = 0; k < c.steps.length; k++) {
    for (const micro of c.steps[k].micro_grads) {
      // Autograd multiplies by the rounded reciprocal for "mean".
      const g = F(micro).map((a) => a.map((v) => Math.fround(v * s)));
      await opt.step(st, g, { learningRate: c.steps[k].lr });
    }
    checkParams(c, k, await opt.read(st), M);
  }
  opt.dispose(st);
}

function run(c: Case, backend: Backend) {
  if (c.transform.name === "accumulate") return runAccumulate(c, backend);
  if (c.optimizer) return runThen(c, backend);
  return runClip(c, backend);
}

Deno.test("torch transform fixtures (cpu)", async (t) => {
  for (const c of cases) await t.step(c.id, () => run(c, "cpu"));
});

Deno.test("torch transform fixtures (wasm)", async (t) => {
  for (const c of cases) await t.step(c.id, () => run(c, "wasm"));
});

gpuTest("torch transform fixtures (webgpu)", async (t) => {
  for (const c of cases) await t.step(c.id, () => run(c, "webgpu"));
});
