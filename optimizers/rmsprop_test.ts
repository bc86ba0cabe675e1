import { deepEqual, equal, throws } from "node:assert/strict";
import { rmsprop } from "./rmsprop.ts";

Deno.test("rmsprop: defaults, slot sets and validation", () => {
  const h = rmsprop.resolve(rmsprop.defaults);
  deepEqual(h, {
    alpha: 0.99,
    eps: 1e-8,
    weight_decay: 0,
    momentum: 0,
    centered: false,
    maximize: false,
  });
  deepEqual(rmsprop.slots(h), ["square_avg"]);
  deepEqual(rmsprop.slots(rmsprop.resolve({ ...rmsprop.defaults, centered: true })), [
    "square_avg",
    "grad_avg",
  ]);
  deepEqual(rmsprop.slots(rmsprop.resolve({ ...rmsprop.defaults, momentum: 0.5 })), [
    "square_avg",
    "momentum_buffer",
  ]);
  throws(() => rmsprop.resolve({ ...rmsprop.defaults, alpha: -0.5 }), /'alpha' must be >= 0/);
  throws(() => rmsprop.resolve({ ...rmsprop.defaults, centered: 0 }), /'centered' must be a/);
});

Deno.test("rmsprop: WGSL text follows centered and momentum", () => {
  const w = rmsprop.wgsl(rmsprop.resolve({ ...rmsprop.defaults, centered: true, momentum: 0.9 }));
  equal(w.includes("grad_avg"), true);
  equal(w.includes("momentum_buffer"), true);
  const plain = rmsprop.wgsl(rmsprop.resolve(rmsprop.defaults));
  equal(plain.includes("grad_avg") || plain.includes("momentum_buffer"), false);
});
