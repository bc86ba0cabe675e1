import { equal, ok } from "node:assert/strict";
import { noam } from "./noam.ts";
import { dynamicLearningRate } from "./dynamic_learning_rate.ts";
import { _assertThrows } from "./_test_util.ts";

const at = (f: ReturnType<typeof noam>, globalTrainStep: number, learningRate = 1) =>
  f({ globalTrainStep, epoch: 1, epochContinuous: null, learningRate });

Deno.test("noam: the seed's example (warmup 25000, d 512) is 0 at step 0, peaks at warmup", () => {
  const f = noam({ warmup: 25000, modelDim: 512 });
  equal(at(f, 0), 0);
  ok(!Number.isNaN(at(f, 0)));
  const d = 512 ** -0.5;
  ok(Math.abs(at(f, 1) - d * 25000 ** -1.5) < 1e-20);
  ok(Math.abs(at(f, 12500) - d * 12500 * 25000 ** -1.5) < 1e-18);
  ok(Math.abs(at(f, 25000) - d * 25000 ** -0.5) < 1e-18);
  ok(Math.abs(at(f, 100000) - d * 100000 ** -0.5) < 1e-18);
  // Rises during warm-up, decays after.
  ok(at(f, 24999) < at(f, 25000));
  ok(at(f, 25001) < at(f, 25000));
  // Scales with the learning rate.
  ok(Math.abs(at(f, 100, 2) - 2 * at(f, 100)) < 1e-18);
});

Deno.test("noam: step conventions", () => {
  const base = { warmup: 10, modelDim: 64 };
  const step = noam(base);
  const plus1 = noam({ ...base, stepConvention: "step+1" });
  const max1 = noam({ ...base, stepConvention: "max(step,1)" });
  equal(at(step, 0), 0);
  equal(at(plus1, 0), at(step, 1));
  equal(at(plus1, 41), at(step, 42));
  equal(at(max1, 0), at(step, 1));
  equal(at(max1, 1), at(step, 1));
  equal(at(max1, 7), at(step, 7));
});

Deno.test("noam works as a dynamic_learning_rate setting", () => {
  const f = dynamicLearningRate(noam({ warmup: 4, modelDim: 16 }));
  equal(f({ globalTrainStep: 0, epoch: 1, epochContinuous: 0, learningRate: 1 }), 0);
  equal(f({ globalTrainStep: 4, epoch: 1, epochContinuous: 0, learningRate: 1 }), 0.25 * 0.5);
});

Deno.test("noam validates its options and context", () => {
  _assertThrows(
    () => noam({ warmup: 0, modelDim: 512 }),
    RangeError,
    "'warmup' must be a finite number > 0",
  );
  _assertThrows(() => noam({ warmup: 10 } as never), TypeError, "'modelDim' is required");
  _assertThrows(
    () => noam({ warmup: 10, modelDim: 8, stepConvention: "step + 1" as never }),
    RangeError,
    "'stepConvention'",
    "Did you mean 'step+1'?",
  );
  _assertThrows(
    () => noam({ warmup: 10, model_d: 8 } as never),
    TypeError,
    "unknown option 'model_d'",
  );
  const f = noam({ warmup: 10, modelDim: 8 });
  _assertThrows(() => at(f, -1), RangeError, "'globalTrainStep'");
  _assertThrows(() => at(f, 1, Infinity), RangeError, "'learningRate'");
});
