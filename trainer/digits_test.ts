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

Deno.test("loadDigits: targets per output (digit, parity, ge5) in splits and batches", async () => {
  const plain = await loadDigits();
  const d = await loadDigits({ targets: { output: "digit", parity: "parity", big: "ge5" } });
  assert.deepEqual(d.outputs, { output: 10, parity: 2, big: 2 });
  assert.equal(d.numClasses, 10);
  // Same split and rows as without targets; y is the first output's labels.
  assert.deepEqual(d.train.x, plain.train.x);
  assert.deepEqual(d.train.y, plain.train.y);
  assert.deepEqual(d.dev.targets!.output, plain.dev.y);
  assert.deepEqual(d.dev.targets!.parity, plain.dev.y.map((c) => c % 2));
  assert.deepEqual(d.dev.targets!.big, plain.dev.y.map((c) => (c >= 5 ? 1 : 0)));
  // Batches: the same order as without targets, labels gathered per output.
  const [a] = plain.train.batches(2, 16, 5);
  const [b] = d.train.batches(2, 16, 5);
  assert.deepEqual(b.x, a.x);
  assert.deepEqual(b.y, a.y);
  assert.equal(a.targets, undefined);
  assert.deepEqual(b.targets!.parity, a.y.map((c) => c % 2));
  // A one-output target changes y and the class count.
  const p = await loadDigits({ targets: { output: "parity" } });
  assert.equal(p.numClasses, 2);
  assert.deepEqual(p.dev.y, plain.dev.y.map((c) => c % 2));
});

Deno.test("loadDigits: unknown or no targets fail with the fix", async () => {
  await assert.rejects(
    () => loadDigits({ targets: { parity: "pairity" } }),
    /target "pairity": known targets are digit, parity, ge5.*Did you mean 'parity'/,
  );
  await assert.rejects(() => loadDigits({ targets: {} }), /'targets' is empty/);
});
