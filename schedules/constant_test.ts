import { equal } from "node:assert/strict";
import { constantSchedule } from "./constant.ts";
import { constantFactorSchedule } from "./constant_factor.ts";
import { _assertSchedule, _assertThrows } from "./_test_util.ts";

Deno.test("constantSchedule returns its value at every step", () => {
  const s = constantSchedule({ value: 0.25 });
  equal(s(0), 0.25);
  equal(s(1e9), 0.25);
});

Deno.test("constantSchedule validates its options and the step", () => {
  _assertThrows(() => constantSchedule({} as never), TypeError, "'value' is required");
  _assertThrows(() => constantSchedule({ value: "1" } as never), TypeError, "'value'", '"1"');
  _assertThrows(() => constantSchedule({ value: NaN }), RangeError, "'value'", "NaN");
  _assertThrows(
    () => constantSchedule({ value: 1, vale: 2 } as never),
    TypeError,
    "unknown option 'vale'",
  );
  const s = constantSchedule({ value: 1 });
  _assertThrows(() => s(-1), RangeError, "'step'", "-1");
  _assertThrows(() => s(1.5), RangeError, "'step'", "1.5");
  _assertThrows(() => s(NaN), RangeError, "'step'");
});

Deno.test("constantFactorSchedule applies the factor for totalIters steps", () => {
  _assertSchedule(constantFactorSchedule({ initValue: 0.1, factor: 0.25, totalIters: 3 }), [
    0.025,
    0.025,
    0.025,
    0.1,
    0.1,
  ]);
  // PyTorch defaults: factor 1/3 for 5 steps.
  const d = constantFactorSchedule({ initValue: 3 });
  _assertSchedule(d, [1, 1, 1, 1, 1, 3, 3]);
  // totalIters 0: never applied.
  equal(constantFactorSchedule({ initValue: 2, factor: 0.5, totalIters: 0 })(0), 2);
});

Deno.test("constantFactorSchedule validates totalIters", () => {
  _assertThrows(
    () => constantFactorSchedule({ initValue: 1, totalIters: -1 }),
    RangeError,
    "'totalIters'",
    ">= 0",
    "-1",
  );
  _assertThrows(
    () => constantFactorSchedule({ initValue: 1, totalIters: 2.5 }),
    RangeError,
    "integer",
  );
});
