import { equal } from "node:assert/strict";
import { multiplicativeSchedule } from "./multiplicative.ts";
import { _assertSchedule, _assertThrows } from "./_test_util.ts";

Deno.test("multiplicativeSchedule with a constant factor", () => {
  _assertSchedule(multiplicativeSchedule({ initValue: 1, factor: 0.5 }), [1, 0.5, 0.25, 0.125]);
});

Deno.test("multiplicativeSchedule with a factor function (called with 1, 2, ...)", () => {
  const calls: number[] = [];
  const s = multiplicativeSchedule({
    initValue: 1,
    factor: (k) => {
      calls.push(k);
      return k;
    },
  });
  equal(s(4), 24);
  equal(s(2), 2);
  equal(s(5), 120);
  // Running products are kept: each factor is computed once.
  equal(calls.join(","), "1,2,3,4,5");
});

Deno.test("multiplicativeSchedule validates the factor", () => {
  _assertThrows(
    () => multiplicativeSchedule({ initValue: 1, factor: "0.9" as never }),
    TypeError,
    "'factor' must be a number or a function",
  );
  const bad = multiplicativeSchedule({ initValue: 1, factor: (k) => (k === 3 ? Infinity : 1) });
  equal(bad(2), 1);
  _assertThrows(() => bad(3), RangeError, "'factor' must return a finite number", "step 3");
});
