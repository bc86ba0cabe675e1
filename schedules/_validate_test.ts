import { equal, ok, throws } from "node:assert/strict";
import { _choice, _number, _options } from "./_validate.ts";

Deno.test("_options: a 100k-character unknown name is clipped and gets no suggestion", () => {
  const huge = "tMax" + "x".repeat(100_000);
  throws(() => _options("cosineAnnealingSchedule", { [huge]: 1 }, ["tMax", "etaMin"]), (e) => {
    ok(e instanceof TypeError);
    const m = (e as Error).message;
    ok(m.length < 500, `message of ${m.length} characters`);
    ok(!m.includes("Did you mean"), m);
    return true;
  });
  // A near miss still gets one.
  throws(() => _options("s", { tmax: 1 }, ["tMax"]), /Did you mean 'tMax'\?/);
});

Deno.test("_number/_choice: TypeError for a wrong type, RangeError for a bad value", () => {
  throws(() => _number("s", "x", "1"), TypeError);
  throws(() => _number("s", "x", NaN), RangeError);
  throws(() => _number("s", "x", 0, { min: 1, integer: true }), /'x' must be an integer >= 1/);
  throws(() => _choice("s", "mode", 3, ["a", "b"], "a"), TypeError);
  throws(() => _choice("s", "mode", "c", ["a", "b"], "a"), RangeError);
  equal(_number("s", "x", undefined, {}, 5), 5);
});
