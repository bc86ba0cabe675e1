import { deepEqual, equal, throws } from "node:assert/strict";
import { nadam } from "./nadam.ts";
import type { HostState } from "./types.ts";

Deno.test("nadam: defaults and validation", () => {
  const h = nadam.resolve(nadam.defaults);
  deepEqual(h, {
    betas: [0.9, 0.999],
    eps: 1e-8,
    weight_decay: 0,
    momentum_decay: 0.004,
    maximize: false,
    decoupled_weight_decay: false,
  });
  throws(() => nadam.resolve({ ...nadam.defaults, momentum_decay: -1 }), /'momentum_decay'/);
  throws(() => nadam.resolve({ ...nadam.defaults, betas: [0.9, -0.1] }), /'betas\[1\]'/);
});

Deno.test("nadam: mu_product is kept in float32 and advanced once per step", () => {
  const h = nadam.resolve(nadam.defaults);
  const host: HostState = { step: 0, ...nadam.hostInit(h) };
  let expected = 1;
  for (let t = 1; t <= 5; t++) {
    host.step = t;
    nadam.scalars(h, host, 0.002);
    const mu = 0.9 * (1 - 0.5 * 0.96 ** (t * 0.004));
    expected = Math.fround(expected * Math.fround(mu));
    equal(host.mu_product, expected);
  }
});
