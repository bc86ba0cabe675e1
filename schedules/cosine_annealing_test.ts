import { equal, ok } from "node:assert/strict";
import { cosineAnnealingSchedule } from "./cosine_annealing.ts";
import { _assertThrows } from "./_test_util.ts";

Deno.test("cosineAnnealingSchedule goes from initValue to etaMin over tMax steps", () => {
  const s = cosineAnnealingSchedule({ initValue: 0.1, tMax: 4, etaMin: 0.02 });
  equal(s(0), 0.1);
  ok(Math.abs(s(2) - 0.06) < 1e-16);
  ok(Math.abs(s(4) - 0.02) < 1e-17);
  // Monotone decreasing within the first half period.
  for (let i = 1; i <= 4; i++) ok(s(i) < s(i - 1));
});

Deno.test("cosineAnnealingSchedule is not clamped after tMax (torch 1.13), unless asked", () => {
  const s = cosineAnnealingSchedule({ initValue: 1, tMax: 10, etaMin: 0.1 });
  ok(s(11) > s(10));
  ok(Math.abs(s(15) - s(5)) < 1e-15);
  ok(Math.abs(s(20) - 1) < 1e-15);
  const c = cosineAnnealingSchedule({ initValue: 1, tMax: 10, etaMin: 0.1, clamp: true });
  ok(Math.abs(c(10) - 0.1) < 1e-16);
  equal(c(11), c(10));
  equal(c(1000), c(10));
});

Deno.test("cosineAnnealingSchedule validates its options", () => {
  _assertThrows(
    () => cosineAnnealingSchedule({ initValue: 1, tMax: 0 }),
    RangeError,
    "'tMax' must be a finite number > 0: current value is 0",
  );
  _assertThrows(
    () => cosineAnnealingSchedule({ initValue: 1, tMax: 5, clamp: 1 as never }),
    TypeError,
    "'clamp' must be true or false",
  );
  _assertThrows(
    () => cosineAnnealingSchedule({ initValue: 1, tmax: 5 } as never),
    TypeError,
    "unknown option 'tmax'",
    "Did you mean 'tMax'?",
  );
});
