import { deepEqual, equal, throws } from "node:assert/strict";
import { ReduceLROnPlateau, reduceOnPlateauLrs } from "./reduce_on_plateau.ts";

Deno.test("ReduceLROnPlateau: patience, cooldown, min_lr, eps, max mode, abs threshold", () => {
  deepEqual(reduceOnPlateauLrs(1, [1, 1, 1, 1, 1, 1], { patience: 1, factor: 0.5, cooldown: 1 }), [
    1,
    1,
    0.5,
    0.5,
    0.5,
    0.25,
  ]);
  deepEqual(reduceOnPlateauLrs(1, [1, 1, 1, 1], { patience: 0, factor: 0.5, min_lr: 0.3 }), [
    1,
    0.5,
    0.3,
    0.3,
  ]);
  deepEqual(reduceOnPlateauLrs(1, [1, 1, 1], { patience: 0, factor: 0.5, eps: 0.6 }), [1, 1, 1]);
  deepEqual(
    reduceOnPlateauLrs(1, [1, 2, 2.05, 2.2], {
      mode: "max",
      patience: 0,
      factor: 0.5,
      threshold: 0.1,
      threshold_mode: "abs",
    }),
    [1, 1, 0.5, 1 * 0.5],
  );
  const s = new ReduceLROnPlateau(0.1);
  equal(s.options.patience, 10);
  equal(s.state.best, Infinity);
});

Deno.test("ReduceLROnPlateau: validation with torch's messages", () => {
  throws(() => new ReduceLROnPlateau(1, { factor: 1 }), /'factor' must be < 1.0/);
  throws(() => new ReduceLROnPlateau(1, { mode: "up" as "min" }), /'mode' must be "min" or "max"/);
  throws(() => new ReduceLROnPlateau(1, { patience: -1 }), RangeError);
  throws(() => new ReduceLROnPlateau(1, { patience: 1.5 }), TypeError);
  throws(
    () => new ReduceLROnPlateau(1, { patiense: 1 } as Record<string, number>),
    /Did you mean 'patience'/,
  );
});
