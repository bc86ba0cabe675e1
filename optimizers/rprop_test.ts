import { deepEqual, equal, throws } from "node:assert/strict";
import { rprop } from "./rprop.ts";

Deno.test("rprop: defaults and validation", () => {
  deepEqual(rprop.resolve(rprop.defaults), {
    etas: [0.5, 1.2],
    step_sizes: [1e-6, 50],
    maximize: false,
  });
  equal("weight_decay" in rprop.defaults, false);
  throws(
    () => rprop.resolve({ ...rprop.defaults, etas: [1, 1.2] }),
    /'etas\[0\]' must be in \(0, 1\)/,
  );
  throws(() => rprop.resolve({ ...rprop.defaults, etas: [0.5, 1] }), /'etas\[1\]' must be > 1/);
  // torch does not check step_sizes: min > max (clamp gives max) and negative values are accepted.
  deepEqual(rprop.resolve({ ...rprop.defaults, step_sizes: [1, 0.5] }).step_sizes, [1, 0.5]);
  deepEqual(rprop.resolve({ ...rprop.defaults, step_sizes: [-1, 2] }).step_sizes, [-1, 2]);
  throws(() => rprop.resolve({ ...rprop.defaults, step_sizes: [0, NaN] }), /finite/);
  throws(() => rprop.resolve({ ...rprop.defaults, weight_decay: 0 }), /unknown parameter/);
});

Deno.test("rprop: sign of g·prev in float32 (1e-30·1e-30 underflows to 0)", () => {
  const h = rprop.resolve(rprop.defaults);
  const p = new Float32Array([0, 0]);
  const prev = new Float32Array(2), step = new Float32Array(2);
  const g = () => new Float32Array([1e-30, 2]);
  rprop.cpu(h, Float32Array.from(rprop.scalars(h, { step: 1 }, 0.01)), p, g(), [prev, step], 0, 2);
  rprop.cpu(h, Float32Array.from(rprop.scalars(h, { step: 2 }, 0.5)), p, g(), [prev, step], 0, 2);
  equal(step[0], Math.fround(0.01)); // sign 0: unchanged; the lr change is ignored
  equal(step[1], Math.fround(Math.fround(0.01) * Math.fround(1.2)));
});

Deno.test("rprop: a NaN gradient keeps p and the step size and becomes prev, as in torch 1.13", () => {
  // torch.sign(NaN) == 0 (tests/fixtures/torch_nonfinite): factor 1, direction 0.
  const h = rprop.resolve(rprop.defaults);
  const p = new Float32Array([1]);
  const prev = new Float32Array(1), step = new Float32Array(1);
  const s = Float32Array.from(rprop.scalars(h, { step: 1 }, 0.01));
  rprop.cpu(h, s, p, new Float32Array([NaN]), [prev, step], 0, 1);
  equal(p[0], 1);
  equal(step[0], Math.fround(0.01));
  equal(Number.isNaN(prev[0]), true);
});
