import { ok } from "node:assert/strict";
import { oneCycleMomentumSchedule, oneCycleSchedule } from "./one_cycle.ts";
import { _assertSchedule, _assertThrows } from "./_test_util.ts";

Deno.test("oneCycleSchedule linear: initial -> max -> min at the phase ends", () => {
  const s = oneCycleSchedule({
    maxLr: 1,
    totalSteps: 11,
    pctStart: 5 / 11 + 1e-12,
    annealStrategy: "linear",
    divFactor: 10,
    finalDivFactor: 100,
  });
  // Phase 1 ends at pct*total - 1 = 4, phase 2 at total - 1 = 10.
  _assertSchedule(s, [0.1, 0.325, 0.55, 0.775, 1], 1e-11);
  ok(Math.abs(s(10) - 0.001) < 1e-11);
  // PyTorch allows one step past the end (extrapolated), then throws.
  ok(s(11) < 0.001);
  _assertThrows(() => s(12), RangeError, "step 12 is past the end", "'totalSteps' is 11");
});

Deno.test("oneCycleSchedule cos defaults: divFactor 25, finalDivFactor 1e4, pctStart 0.3", () => {
  const s = oneCycleSchedule({ maxLr: 0.5, totalSteps: 100 });
  ok(Math.abs(s(0) - 0.02) < 1e-16);
  ok(Math.abs(s(29) - 0.5) < 1e-15);
  ok(Math.abs(s(99) - 0.02 / 1e4) < 1e-17);
});

Deno.test("oneCycleSchedule threePhase returns to the initial value before the minimum", () => {
  const s = oneCycleSchedule({ maxLr: 1, totalSteps: 100, threePhase: true, pctStart: 0.25 });
  ok(Math.abs(s(24) - 1) < 1e-15);
  ok(Math.abs(s(48) - 0.04) < 1e-15);
  ok(Math.abs(s(99) - 0.04 / 1e4) < 1e-15);
  const m = oneCycleMomentumSchedule({ totalSteps: 100, threePhase: true, pctStart: 0.25 });
  ok(Math.abs(m(24) - 0.85) < 1e-15);
  ok(Math.abs(m(48) - 0.95) < 1e-15);
  ok(Math.abs(m(99) - 0.95) < 1e-15);
  ok(Math.abs(m(70) - 0.95) < 1e-15);
});

Deno.test("oneCycleMomentumSchedule mirrors the learning rate (two phases)", () => {
  const m = oneCycleMomentumSchedule({ totalSteps: 10, pctStart: 0.5, annealStrategy: "linear" });
  _assertSchedule(m, [0.95, 0.925, 0.9, 0.875, 0.85], 1e-15);
  ok(Math.abs(m(9) - 0.95) < 1e-15);
});

Deno.test("oneCycleSchedule validates its options", () => {
  _assertThrows(
    () => oneCycleSchedule({ maxLr: 1, totalSteps: 0 }),
    RangeError,
    "'totalSteps' must be an integer >= 1",
  );
  _assertThrows(
    () => oneCycleSchedule({ maxLr: 1, totalSteps: 10, pctStart: 1.5 }),
    RangeError,
    "'pctStart' must be a finite number in [0, 1]",
  );
  _assertThrows(
    () => oneCycleSchedule({ maxLr: 1, totalSteps: 10, annealStrategy: "cosine" as never }),
    RangeError,
    "'annealStrategy'",
    "Did you mean 'cos'?",
  );
  _assertThrows(
    () => oneCycleSchedule({ maxLr: 1, totalSteps: 10, divFactor: 0 }),
    RangeError,
    "'divFactor'",
  );
  // A zero-length phase (pctStart * totalSteps == 1) fails where PyTorch divides by zero.
  const z = oneCycleSchedule({ maxLr: 1, totalSteps: 10, pctStart: 0.1 });
  _assertThrows(() => z(0), RangeError, "zero length", "'pctStart'");
});
