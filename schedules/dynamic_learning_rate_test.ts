import { equal, notEqual, ok } from "node:assert/strict";
import { dynamicLearningRate } from "./dynamic_learning_rate.ts";
import { _assertThrows } from "./_test_util.ts";

const ctx = (globalTrainStep: number, learningRate = 0.1) => ({
  globalTrainStep,
  epoch: 1,
  epochContinuous: null,
  learningRate,
});

Deno.test("dynamic_learning_rate dict: lr * decay ** (step % interval) in float32", () => {
  const f = dynamicLearningRate({ interval: 7, decay: 0.9 });
  // Step 0 is the float32 learning rate itself.
  equal(f(ctx(0)), Math.fround(0.1));
  equal(f(ctx(0)), 0.10000000149011612);
  // Independent float32 evaluation through a Float32Array (each store rounds).
  const f32 = new Float32Array(4);
  for (const step of [1, 5, 6, 7, 12, 13, 700, 12345]) {
    f32[0] = 0.1;
    f32[1] = 0.9;
    f32[2] = f32[1] ** (step % 7);
    f32[3] = f32[0] * f32[2];
    equal(f(ctx(step)), f32[3], `step ${step}`);
    equal(Math.fround(f(ctx(step))), f(ctx(step)));
  }
  // The cycle repeats every `interval` steps.
  equal(f(ctx(7)), f(ctx(0)));
  equal(f(ctx(12)), f(ctx(5)));
  // It differs from a float64 evaluation.
  notEqual(f(ctx(5)), 0.1 * 0.9 ** 5);
});

Deno.test("dynamic_learning_rate dict: interval 1 means no decay; exact powers of two", () => {
  const one = dynamicLearningRate({ interval: 1, decay: 0.5 });
  equal(one(ctx(99, 0.25)), 0.25);
  const half = dynamicLearningRate({ interval: 4, decay: 0.5 });
  equal(half(ctx(3, 1)), 0.125);
  equal(half(ctx(4, 1)), 1);
});

Deno.test("dynamic_learning_rate dict: keys are checked", () => {
  _assertThrows(
    () => dynamicLearningRate({ interval: 10, decay: 0.9, decai: 1 } as never),
    TypeError,
    "unknown key 'decai'",
    "exactly 'interval' and 'decay'",
  );
  _assertThrows(
    () => dynamicLearningRate({ interval: 10, decay: 0.9, warmup: 1 } as never),
    TypeError,
    "unknown key 'warmup'",
  );
  _assertThrows(() => dynamicLearningRate({ decay: 0.9 } as never), TypeError, "needs 'interval'");
  _assertThrows(() => dynamicLearningRate({ interval: 3 } as never), TypeError, "needs 'decay'");
  _assertThrows(
    () => dynamicLearningRate({ interval: 0, decay: 0.9 }),
    RangeError,
    "'interval' must be an integer >= 1: current value is 0",
  );
  _assertThrows(
    () => dynamicLearningRate({ interval: 2, decay: "0.9" } as never),
    TypeError,
    "'decay' must be a number",
  );
  _assertThrows(
    () => dynamicLearningRate(5 as never),
    TypeError,
    "dict {interval, decay} or a function",
  );
  _assertThrows(() => dynamicLearningRate([1, 2] as never), TypeError, "dict {interval, decay}");
});

Deno.test("dynamic_learning_rate function: called with the context, result checked", () => {
  const seen: unknown[] = [];
  const f = dynamicLearningRate((c) => {
    seen.push(c);
    return c.learningRate * (c.globalTrainStep + 1);
  });
  equal(f({ globalTrainStep: 2, epoch: 3, epochContinuous: 2.5, learningRate: 0.5 }), 1.5);
  equal(
    JSON.stringify(seen[0]),
    '{"globalTrainStep":2,"epoch":3,"epochContinuous":2.5,"learningRate":0.5}',
  );
  _assertThrows(
    () => dynamicLearningRate(() => undefined as never)(ctx(4)),
    TypeError,
    "must return a finite number",
    "undefined",
    "globalTrainStep 4",
  );
  _assertThrows(
    () => dynamicLearningRate(() => NaN)(ctx(0)),
    RangeError,
    "must return a finite number",
    "NaN",
  );
  _assertThrows(
    () => dynamicLearningRate(({ globalTrainStep: n }) => n ** -0.5)(ctx(0)),
    RangeError,
    "Infinity",
  );
});

Deno.test("dynamic_learning_rate: the seed's Noam function (literal port) gives 0 at step 0", () => {
  // def noam(n, warmup_n, model_d): model_d**-0.5 * min(n**-0.5, n * warmup_n**-1.5)
  const noamFormula = (n: number, warmupN: number, modelD: number) =>
    modelD ** -0.5 * Math.min(n ** -0.5, n * warmupN ** -1.5);
  const f = dynamicLearningRate(({ globalTrainStep, learningRate }) =>
    learningRate * noamFormula(globalTrainStep, 25000, 512)
  );
  equal(f(ctx(0, 1)), 0);
  ok(f(ctx(1, 1)) > 0);
  ok(Math.abs(f(ctx(25000, 1)) - 512 ** -0.5 * 25000 ** -0.5) < 1e-18);
});

Deno.test("dynamic_learning_rate: null/undefined keep the epoch learning rate", () => {
  equal(dynamicLearningRate(undefined)(ctx(5, 0.3)), 0.3);
  equal(dynamicLearningRate(null)(ctx(5, 0.3)), 0.3);
});

Deno.test("dynamic_learning_rate: the context is validated", () => {
  const f = dynamicLearningRate({ interval: 2, decay: 0.5 });
  _assertThrows(() => f(ctx(-1)), RangeError, "'globalTrainStep' must be a non-negative integer");
  _assertThrows(() => f(ctx(1.5)), RangeError, "'globalTrainStep'");
  _assertThrows(() => f(ctx(1, NaN)), RangeError, "'learningRate' must be a finite number");
});
