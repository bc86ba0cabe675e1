import assert from "node:assert/strict";
import { loadTfjs } from "../../trainer/tfjs_backend.ts";
import { gpuTest } from "../../tests/_gpu.ts";
import { ctcLoss } from "./ctc.ts";
import { type CtcCase, checkCtcCases } from "./_ctc_fixture_check.ts";

const shared = JSON.parse(await Deno.readTextFile("tests/fixtures/torch/ctc.json")) as {
  cases: CtcCase[];
};

async function run(backend: "cpu" | "wasm" | "webgpu"): Promise<void> {
  const { tf } = await loadTfjs(backend);
  const r = await checkCtcCases(tf, shared.cases);
  console.log(
    `ctc.json on ${backend}: ${shared.cases.length} cases, worst loss error ${
      r.loss.toFixed(3)
    } and gradient error ${r.grad.toFixed(3)} of the tolerance (${r.worst})`,
  );
  assert.deepEqual(r.infMismatch, []);
  assert.ok(r.loss <= 1, `loss error ${r.loss} x tolerance in ${r.worst}`);
  assert.ok(r.grad <= 1, `gradient error ${r.grad} x tolerance in ${r.worst}`);
}

Deno.test("ctcLoss matches PyTorch's ctc.json on cpu", () => run("cpu"));
Deno.test("ctcLoss matches PyTorch's ctc.json on wasm", () => run("wasm"));
gpuTest("ctcLoss matches PyTorch's ctc.json on webgpu", () => run("webgpu"));
