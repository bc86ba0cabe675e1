import { equal, ok } from "node:assert/strict";
import { linearSchedule } from "./linear.ts";
import { polynomialSchedule } from "./polynomial.ts";
import { inverseSqrtSchedule } from "./inverse_sqrt.ts";
import { _assertSchedule, _assertThrows } from "./_test_util.ts";

Deno.test("linearSchedule interpolates after transitionBegin, then holds endValue", () => {
  const s = linearSchedule({ initValue: 1, endValue: 0, transitionSteps: 4, transitionBegin: 2 });
  _assertSchedule(s, [1, 1, 1, 0.75, 0.5, 0.25, 0, 0]);
  equal(linearSchedule({ initValue: 1, endValue: 3, transitionSteps: 0 })(0), 3);
});

Deno.test("linearSchedule validates step counts", () => {
  _assertThrows(
    () => linearSchedule({ initValue: 1, endValue: 0, transitionSteps: -1 }),
    RangeError,
    "'transitionSteps'",
  );
  _assertThrows(
    () => linearSchedule({ initValue: 1, transitionSteps: 3 } as never),
    TypeError,
    "'endValue' is required",
  );
});

Deno.test("polynomialSchedule decays to endValue and stays there", () => {
  const s = polynomialSchedule({ initValue: 1, endValue: 0.5, power: 2, transitionSteps: 2 });
  _assertSchedule(s, [1, 0.625, 0.5, 0.5, 0.5]);
  const d = polynomialSchedule({ initValue: 1, transitionSteps: 4, transitionBegin: 1 });
  _assertSchedule(d, [1, 1, 0.75, 0.5, 0.25, 0, 0]);
  _assertThrows(
    () => polynomialSchedule({ initValue: 1, transitionSteps: 0 }),
    RangeError,
    "'transitionSteps' must be an integer >= 1",
  );
});

Deno.test("inverseSqrtSchedule: linear warm-up then peak * sqrt(warmup / step)", () => {
  const s = inverseSqrtSchedule({ peakValue: 2, warmupSteps: 4, initValue: 1 });
  _assertSchedule(s, [1, 1.25, 1.5, 1.75, 2]);
  ok(Math.abs(s(16) - 1) < 1e-15);
  const n = inverseSqrtSchedule({ peakValue: 1 });
  equal(n(0), 1);
  equal(n(1), 1);
  equal(n(4), 0.5);
  _assertThrows(
    () => inverseSqrtSchedule({ peakValue: 1, warmupSteps: 0.5 }),
    RangeError,
    "'warmupSteps'",
  );
});
