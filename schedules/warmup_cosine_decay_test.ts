import { equal, ok } from "node:assert/strict";
import { warmupCosineDecaySchedule } from "./warmup_cosine_decay.ts";
import { _assertThrows } from "./_test_util.ts";

Deno.test("warmupCosineDecaySchedule: linear warm-up, cosine decay, then held (optax)", () => {
  const s = warmupCosineDecaySchedule({
    initValue: 0.01,
    peakValue: 1,
    warmupSteps: 4,
    decaySteps: 14,
    endValue: 0.1,
  });
  equal(s(0), 0.01);
  ok(Math.abs(s(2) - 0.505) < 1e-15);
  equal(s(4), 1);
  // Halfway through the decay: (1 - 0.1) * 0.5 + 0.1 = 0.55.
  ok(Math.abs(s(9) - 0.55) < 1e-15);
  ok(Math.abs(s(14) - 0.1) < 1e-15);
  equal(s(1000), s(14));
});

Deno.test("warmupCosineDecaySchedule: no warm-up, exponent, zero peak", () => {
  const s = warmupCosineDecaySchedule({
    initValue: 0,
    peakValue: 2,
    warmupSteps: 0,
    decaySteps: 10,
    exponent: 2,
  });
  equal(s(0), 2);
  ok(Math.abs(s(5) - 2 * 0.25) < 1e-15);
  const z = warmupCosineDecaySchedule({
    initValue: 0,
    peakValue: 0,
    warmupSteps: 2,
    decaySteps: 4,
    endValue: 1,
  });
  equal(z(3), 0);
});

Deno.test("warmupCosineDecaySchedule validates decaySteps > warmupSteps", () => {
  _assertThrows(
    () =>
      warmupCosineDecaySchedule({ initValue: 0, peakValue: 1, warmupSteps: 10, decaySteps: 10 }),
    RangeError,
    "'decaySteps' (10) must be greater than 'warmupSteps' (10)",
  );
  _assertThrows(
    () =>
      warmupCosineDecaySchedule({ initValue: 0, peakValue: 1, warmupSteps: -1, decaySteps: 10 }),
    RangeError,
    "'warmupSteps'",
  );
});
