import { equal, ok } from "node:assert/strict";
import { cosineWarmRestartsSchedule } from "./cosine_warm_restarts.ts";
import { cosineAnnealingSchedule } from "./cosine_annealing.ts";
import { _assertThrows } from "./_test_util.ts";

Deno.test("cosineWarmRestartsSchedule restarts every t0 steps with tMult 1", () => {
  const s = cosineWarmRestartsSchedule({ initValue: 1, t0: 5, etaMin: 0.1 });
  const c = cosineAnnealingSchedule({ initValue: 1, tMax: 5, etaMin: 0.1 });
  for (let i = 0; i < 5; i++) {
    equal(s(i), c(i));
    equal(s(i + 5), c(i));
    equal(s(i + 500), c(i));
  }
});

Deno.test("cosineWarmRestartsSchedule grows the periods by tMult", () => {
  const s = cosineWarmRestartsSchedule({ initValue: 1, t0: 2, tMult: 3 });
  // Periods: [0,2), [2,8), [8,26), [26,80)...
  for (const restart of [0, 2, 8, 26, 80]) equal(s(restart), 1);
  ok(s(7) < 0.1);
  const p3 = cosineAnnealingSchedule({ initValue: 1, tMax: 18 });
  for (let i = 0; i < 18; i++) equal(s(8 + i), p3(i));
  // A large step is cheap and still a restart boundary: 2 * (3^k - 1) / 2.
  equal(s(3 ** 20 - 1), 1);
});

Deno.test("cosineWarmRestartsSchedule validates t0 and tMult (integers >= 1)", () => {
  _assertThrows(
    () => cosineWarmRestartsSchedule({ initValue: 1, t0: 0 }),
    RangeError,
    "'t0' must be an integer >= 1",
  );
  _assertThrows(
    () => cosineWarmRestartsSchedule({ initValue: 1, t0: 3, tMult: 1.5 }),
    RangeError,
    "'tMult'",
    "1.5",
  );
});
