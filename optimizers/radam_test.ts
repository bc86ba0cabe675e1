import { deepEqual, equal, throws } from "node:assert/strict";
import { radam } from "./radam.ts";

Deno.test("radam: defaults and validation", () => {
  deepEqual(radam.resolve(radam.defaults), {
    betas: [0.9, 0.999],
    eps: 1e-8,
    weight_decay: 0,
    maximize: false,
    decoupled_weight_decay: false,
  });
  throws(() => radam.resolve({ ...radam.defaults, eps: -1e-8 }), RangeError);
  throws(() => radam.resolve({ ...radam.defaults, amsgrad: true }), /unknown parameter/);
});

Deno.test("radam: rectification threshold computed in float64", () => {
  const h = radam.resolve(radam.defaults);
  const k = radam.uniforms(h).indexOf("rectified");
  // β2 = 0.999: ρ_5 = 4.996 (not rectified), ρ_6 > 5.
  equal(radam.scalars(h, { step: 5 }, 1e-3)[k], 0);
  equal(radam.scalars(h, { step: 6 }, 1e-3)[k], 1);
  // β2 <= 2/3: ρ∞ <= 5, never rectified.
  const small = radam.resolve({ ...radam.defaults, betas: [0.9, 0.6] });
  for (let t = 1; t < 200; t++) equal(radam.scalars(small, { step: t }, 1e-3)[k], 0);
});
