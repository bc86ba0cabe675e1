import { equal } from "node:assert/strict";
import { joinSchedules } from "./join_schedules.ts";
import { constantSchedule } from "./constant.ts";
import { _assertThrows } from "./_test_util.ts";

Deno.test("joinSchedules restarts each schedule at its boundary", () => {
  const s = joinSchedules({
    schedules: [(i) => 100 + i, (i) => 200 + i, (i) => 300 + i],
    boundaries: [2, 5],
  });
  equal([0, 1, 2, 3, 4, 5, 6].map(s).join(","), "100,101,200,201,202,300,301");
  // Equal boundaries skip a schedule; a single schedule needs no boundary.
  const skip = joinSchedules({
    schedules: [(i) => i, (i) => 10 + i, (i) => 20 + i],
    boundaries: [1, 1],
  });
  equal([0, 1, 2].map(skip).join(","), "0,20,21");
  equal(joinSchedules({ schedules: [constantSchedule({ value: 3 })], boundaries: [] })(9), 3);
});

Deno.test("joinSchedules validates its options", () => {
  _assertThrows(
    () => joinSchedules({ schedules: [], boundaries: [] }),
    TypeError,
    "'schedules' must be a non-empty array",
  );
  _assertThrows(
    () => joinSchedules({ schedules: [(i) => i, (i) => i], boundaries: [] }),
    RangeError,
    "one entry fewer than 'schedules' (1)",
  );
  _assertThrows(
    () => joinSchedules({ schedules: [(i) => i, (i) => i, (i) => i], boundaries: [5, 3] }),
    RangeError,
    "non-decreasing",
  );
  _assertThrows(
    () => joinSchedules({ schedules: [(i) => i, (i) => i], boundaries: [1.5] }),
    RangeError,
    "'boundaries[0]'",
  );
});
