import { equal, ok } from "node:assert/strict";
import { cyclicMomentumSchedule, cyclicSchedule } from "./cyclic.ts";
import { _assertSchedule, _assertThrows } from "./_test_util.ts";

Deno.test("cyclicSchedule triangular: up over stepSizeUp, down over stepSizeDown", () => {
  const s = cyclicSchedule({ baseLr: 1, maxLr: 3, stepSizeUp: 2, stepSizeDown: 4 });
  _assertSchedule(s, [1, 2, 3, 2.5, 2, 1.5, 1, 2, 3]);
});

Deno.test("cyclicSchedule triangular2 halves the amplitude each cycle", () => {
  const s = cyclicSchedule({ baseLr: 0, maxLr: 8, stepSizeUp: 1, mode: "triangular2" });
  _assertSchedule(s, [0, 8, 0, 4, 0, 2, 0, 1]);
});

Deno.test("cyclicSchedule exp_range scales by gamma ** step", () => {
  const s = cyclicSchedule({ baseLr: 0, maxLr: 1, stepSizeUp: 2, mode: "exp_range", gamma: 0.5 });
  _assertSchedule(s, [0, 0.5 * 0.5, 1 * 0.25, 0.5 * 0.125, 0]);
});

Deno.test("cyclicSchedule with a custom scaleFn and scaleMode", () => {
  const byCycle = cyclicSchedule({ baseLr: 0, maxLr: 1, stepSizeUp: 1, scaleFn: (c) => 1 / c });
  _assertSchedule(byCycle, [0, 1, 0, 0.5, 0, 1 / 3]);
  const byStep = cyclicSchedule({
    baseLr: 0,
    maxLr: 1,
    stepSizeUp: 1,
    scaleFn: (x) => x,
    scaleMode: "iterations",
  });
  _assertSchedule(byStep, [0, 1, 0, 3]);
  const bad = cyclicSchedule({ baseLr: 0, maxLr: 1, stepSizeUp: 1, scaleFn: () => NaN });
  _assertThrows(() => bad(1), RangeError, "'scaleFn' must return a finite number");
});

Deno.test("cyclicMomentumSchedule moves opposite to the learning rate", () => {
  const shape = { stepSizeUp: 2, stepSizeDown: 2, mode: "triangular2" as const };
  const lr = cyclicSchedule({ baseLr: 0.1, maxLr: 1, ...shape });
  const m = cyclicMomentumSchedule({ baseMomentum: 0.8, maxMomentum: 0.9, ...shape });
  _assertSchedule(m, [0.9, 0.85, 0.8, 0.85, 0.9, 0.875, 0.85]);
  for (let i = 1; i < 8; i++) ok((lr(i) - lr(i - 1)) * (m(i) - m(i - 1)) <= 0);
  equal(cyclicMomentumSchedule()(0), 0.9);
});

Deno.test("cyclicSchedule validates its options", () => {
  _assertThrows(
    () => cyclicSchedule({ baseLr: 0, maxLr: 1, mode: "triangle" as never }),
    RangeError,
    "'mode' must be one of",
    "Did you mean 'triangular'?",
  );
  _assertThrows(
    () => cyclicSchedule({ baseLr: 0, maxLr: 1, stepSizeUp: 0 }),
    RangeError,
    "'stepSizeUp' must be a finite number > 0",
  );
  _assertThrows(
    () => cyclicSchedule({ baseLr: 0, maxLr: 1, scaleFn: 3 as never }),
    TypeError,
    "'scaleFn' must be a function",
  );
  _assertThrows(() => cyclicSchedule({ maxLr: 1 } as never), TypeError, "'baseLr' is required");
});
