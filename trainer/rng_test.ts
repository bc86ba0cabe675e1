import assert from "node:assert/strict";
import { deriveSeed, Rng } from "./rng.ts";

Deno.test("Rng: same seed gives the same stream, values in [0, 1)", () => {
  const a = new Rng(123);
  const b = new Rng(123);
  for (let i = 0; i < 1000; i++) {
    const v = a.next();
    assert.equal(v, b.next());
    assert.ok(v >= 0 && v < 1);
  }
  assert.notEqual(new Rng(1).next(), new Rng(2).next());
});

Deno.test("Rng: save/restore continues the stream exactly", () => {
  const a = new Rng(9);
  for (let i = 0; i < 17; i++) a.next();
  const b = Rng.restore(a.save());
  assert.deepEqual([a.next(), a.int(10), a.uniform(-1, 1)], [
    b.next(),
    b.int(10),
    b.uniform(-1, 1),
  ]);
});

Deno.test("Rng: shuffle is a permutation; int stays in range", () => {
  const arr = Array.from({ length: 50 }, (_, i) => i);
  new Rng(5).shuffle(arr);
  assert.deepEqual([...arr].sort((p, q) => p - q), Array.from({ length: 50 }, (_, i) => i));
  const r = new Rng(3);
  for (let i = 0; i < 200; i++) assert.ok(r.int(7) < 7);
  assert.throws(() => r.int(0), /positive integer/);
  assert.throws(() => new Rng(NaN), /finite number/);
});

Deno.test("deriveSeed: deterministic and sensitive to every part", () => {
  assert.equal(deriveSeed(1, 2, 3), deriveSeed(1, 2, 3));
  assert.notEqual(deriveSeed(1, 2, 3), deriveSeed(1, 3, 2));
  assert.notEqual(deriveSeed(1), deriveSeed(1, 0));
});
