import { deepEqual, equal, throws } from "node:assert/strict";
import { adam } from "./adam.ts";
import { adamw } from "./adamw.ts";

Deno.test("adamw: torch defaults (weight_decay 0.01), decoupled, same math as adam", () => {
  const h = adamw.resolve(adamw.defaults);
  deepEqual(h, {
    betas: [0.9, 0.999],
    eps: 1e-8,
    weight_decay: 0.01,
    amsgrad: false,
    maximize: false,
  });
  equal(adamw.weightDecay, "decoupled");
  equal(adamw.wgsl(h), adam.wgsl(adam.resolve(adam.defaults)));
});

Deno.test("adamw: resolve validation names optimizer, key and value", () => {
  throws(
    () => adamw.resolve({ ...adamw.defaults, weight_decay: -0.01 }),
    new RangeError(
      "Cannot create optimizer 'adamw': 'weight_decay' must be >= 0: current value is -0.01",
    ),
  );
  throws(() => adamw.resolve({ ...adamw.defaults, betas: [0.9, "0.99"] }), TypeError);
  throws(() => adamw.resolve({ ...adamw.defaults, betas: 0.9 }), /list of 2 numbers/);
});
