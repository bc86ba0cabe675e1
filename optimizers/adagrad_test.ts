import { deepEqual, equal, throws } from "node:assert/strict";
import { adagrad } from "./adagrad.ts";

Deno.test("adagrad: defaults and validation", () => {
  const h = adagrad.resolve(adagrad.defaults);
  deepEqual(h, {
    lr_decay: 0,
    weight_decay: 0,
    initial_accumulator_value: 0,
    eps: 1e-10,
    maximize: false,
  });
  throws(
    () => adagrad.resolve({ ...adagrad.defaults, initial_accumulator_value: -1 }),
    /'initial_accumulator_value' must be >= 0/,
  );
  throws(() => adagrad.resolve({ ...adagrad.defaults, lr_decay: -0.1 }), /'lr_decay'/);
});

Deno.test("adagrad: lr decays as lr/(1+(t-1)·lr_decay)", () => {
  const h = adagrad.resolve({ ...adagrad.defaults, lr_decay: 0.5 });
  equal(adagrad.scalars(h, { step: 1 }, 1)[0], -1);
  equal(adagrad.scalars(h, { step: 3 }, 1)[0], -0.5);
});
