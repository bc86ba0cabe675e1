import { deepEqual, equal, throws } from "node:assert/strict";
import { adadelta } from "./adadelta.ts";

Deno.test("adadelta: defaults and validation", () => {
  deepEqual(adadelta.resolve(adadelta.defaults), {
    rho: 0.9,
    eps: 1e-6,
    weight_decay: 0,
    maximize: false,
  });
  throws(
    () => adadelta.resolve({ ...adadelta.defaults, rho: 1.1 }),
    new RangeError(
      "Cannot create optimizer 'adadelta': 'rho' must be in [0, 1]: current value is 1.1",
    ),
  );
  equal(adadelta.resolve({ ...adadelta.defaults, rho: 1 }).rho, 1);
});

Deno.test("adadelta: eps inside both roots", () => {
  const h = adadelta.resolve({ ...adadelta.defaults, rho: 0, eps: 1 });
  const s = Float32Array.from(adadelta.scalars(h, { step: 1 }, 1));
  const p = new Float32Array([0]);
  // sq = g² = 9; δ = sqrt(0 + 1)/sqrt(9 + 1)·3
  adadelta.cpu(h, s, p, new Float32Array([3]), [new Float32Array(1), new Float32Array(1)], 0, 1);
  equal(Math.abs(p[0] + 3 / Math.sqrt(10)) < 1e-6, true);
});
