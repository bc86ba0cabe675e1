import assert from "node:assert/strict";
import { iterateBatches, loadDigits, parseDigitsCsv } from "./digits.ts";

Deno.test("loadDigits: counts, scaling and a stratified 80/20 split", async () => {
  const d = await loadDigits();
  assert.equal(d.inputDim, 64);
  assert.equal(d.numClasses, 10);
  assert.equal(d.train.size + d.dev.size, 1797);
  assert.ok(Math.abs(d.dev.size - 1797 * 0.2) < 10, `dev size ${d.dev.size}`);
  assert.equal(d.train.x.length, d.train.size * 64);
  assert.equal(d.dev.y.length, d.dev.size);
  assert.ok(d.train.x.every((v) => v >= 0 && v <= 1));
  assert.ok(d.train.x.some((v) => v === 1));
  const counts = new Array(10).fill(0);
  for (const c of d.dev.y) counts[c]++;
  for (const c of counts) assert.ok(c >= 34 && c <= 38, `dev class counts ${counts}`);
});

Deno.test("loadDigits: the split is deterministic in the seed", async () => {
  const [a, b, c] = await Promise.all([loadDigits(), loadDigits(), loadDigits({ seed: 7 })]);
  assert.deepEqual(a.dev.y, b.dev.y);
  assert.deepEqual(a.dev.x, b.dev.x);
  assert.notDeepEqual(a.dev.x, c.dev.x);
});

Deno.test("batches: deterministic per (epoch, seed), cover every row once", async () => {
  const d = await loadDigits();
  const e1 = [...d.train.batches(1, 64, 3)];
  const e1again = [...d.train.batches(1, 64, 3)];
  const e2 = [...d.train.batches(2, 64, 3)];
  assert.deepEqual(e1, e1again);
  assert.notDeepEqual(e1[0].y, e2[0].y);
  assert.equal(e1.length, Math.ceil(d.train.size / 64));
  assert.equal(e1.reduce((n, b) => n + b.size, 0), d.train.size);
  assert.equal(e1.at(-1)!.size, d.train.size % 64 || 64);
});

Deno.test("iterateBatches: rows stay paired with their labels", () => {
  const x = Float32Array.from({ length: 10 * 2 }, (_, i) => Math.floor(i / 2));
  const y = Int32Array.from({ length: 10 }, (_, i) => i);
  for (const b of iterateBatches(x, y, 2, 5, 3, 1)) {
    for (let i = 0; i < b.size; i++) {
      assert.equal(b.x[2 * i], b.y[i]);
      assert.equal(b.x[2 * i + 1], b.y[i]);
    }
  }
  assert.throws(() => iterateBatches(x, y, 2, 1, 0).next(), RangeError);
});

Deno.test("parseDigitsCsv: rejects malformed rows with the row number", () => {
  assert.throws(() => parseDigitsCsv("1,2,3\n"), /row 1: expected 65/);
  const bad = [...new Array(64).fill("0"), "12"].join(",");
  assert.throws(() => parseDigitsCsv(bad), /label must be an integer 0\.\.9/);
});
