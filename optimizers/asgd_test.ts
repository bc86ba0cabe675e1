import { deepEqual, equal, throws } from "node:assert/strict";
import { asgd } from "./asgd.ts";
import type { HostState } from "./types.ts";

Deno.test("asgd: defaults and validation", () => {
  deepEqual(asgd.resolve(asgd.defaults), {
    lambd: 1e-4,
    alpha: 0.75,
    t0: 1e6,
    weight_decay: 0,
    maximize: false,
  });
  throws(() => asgd.resolve({ ...asgd.defaults, t0: Infinity }), /'t0' must be a finite/);
  throws(() => asgd.resolve({ ...asgd.defaults, weight_decay: -1 }), /'weight_decay'/);
});

Deno.test("asgd: eta of step t is computed after step t-1 and stored in float32", () => {
  const h = asgd.resolve({ ...asgd.defaults, lambd: 0.01, t0: 2 });
  const host: HostState = { step: 0, ...asgd.hostInit(h) };
  host.step = 1;
  const s1 = asgd.scalars(h, host, 0.5);
  equal(s1[1], -Math.fround(0.5)); // η₁ = lr of the first step
  equal(s1[2], 1);
  equal(host.eta, Math.fround(0.5 / (1 + 0.01 * 0.5 * 1) ** 0.75));
  host.step = 2;
  const s2 = asgd.scalars(h, host, 0.1); // the lr change reaches η one step late
  equal(s2[1], -Math.fround(0.5 / (1 + 0.005) ** 0.75));
  host.step = 3;
  host.step = 4;
  asgd.scalars(h, host, 0.1);
  equal(host.mu, Math.fround(1 / 2)); // 1/max(1, 4 - 2)
});
