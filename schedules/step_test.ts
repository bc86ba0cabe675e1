import { equal } from "node:assert/strict";
import { stepSchedule } from "./step.ts";
import { multiStepSchedule } from "./multi_step.ts";
import { exponentialSchedule } from "./exponential.ts";
import { _assertThrows } from "./_test_util.ts";

Deno.test("stepSchedule decays every stepSize steps, gamma defaults to 0.1", () => {
  const s = stepSchedule({ initValue: 1, stepSize: 2 });
  equal(s(0), 1);
  equal(s(1), 1);
  equal(s(2), 0.1);
  equal(s(4), 1 * 0.1 ** 2);
  equal(stepSchedule({ initValue: 1, stepSize: 1, gamma: 0.5 })(3), 0.125);
});

Deno.test("stepSchedule validates stepSize", () => {
  _assertThrows(
    () => stepSchedule({ initValue: 1, stepSize: 0 }),
    RangeError,
    "stepSchedule",
    "'stepSize' must be an integer >= 1: current value is 0",
  );
  _assertThrows(() => stepSchedule({ initValue: 1 } as never), TypeError, "'stepSize' is required");
});

Deno.test("multiStepSchedule counts repeated milestones and sorts them", () => {
  const s = multiStepSchedule({ initValue: 1, milestones: [5, 2, 5], gamma: 0.5 });
  equal(s(1), 1);
  equal(s(2), 0.5);
  equal(s(4), 0.5);
  equal(s(5), 0.125);
  equal(s(100), 0.125);
  // Milestone 0 applies at the very first step; no milestones means constant.
  equal(multiStepSchedule({ initValue: 1, milestones: [0] })(0), 0.1);
  equal(multiStepSchedule({ initValue: 1, milestones: [] })(7), 1);
});

Deno.test("multiStepSchedule validates milestones", () => {
  _assertThrows(
    () => multiStepSchedule({ initValue: 1, milestones: 3 as never }),
    TypeError,
    "'milestones' must be an array",
  );
  _assertThrows(
    () => multiStepSchedule({ initValue: 1, milestones: [1, -2] }),
    RangeError,
    "'milestones[1]'",
    "-2",
  );
});

Deno.test("exponentialSchedule multiplies by gamma each step", () => {
  const s = exponentialSchedule({ initValue: 2, gamma: 0.5 });
  equal(s(0), 2);
  equal(s(1), 1);
  equal(s(10), 2 / 1024);
  _assertThrows(() => exponentialSchedule({ initValue: 2 } as never), TypeError, "'gamma'");
  _assertThrows(
    () => exponentialSchedule({ initValue: Infinity, gamma: 1 }),
    RangeError,
    "'initValue'",
    "Infinity",
  );
});
