import { equal, ok, throws } from "node:assert/strict";
import { fromTorch, fromTorchMomentum } from "./from_torch.ts";
import { noam, type NoamStepConvention } from "./noam.ts";
import { dynamicLearningRate } from "./dynamic_learning_rate.ts";
import type { Schedule } from "./types.ts";

interface Case {
  id: string;
  schedule: { class: string; params: Record<string, unknown>; base_lr: number };
  lrs: number[];
  momentums?: number[];
}

const fixture = JSON.parse(
  await Deno.readTextFile(new URL("../tests/fixtures/torch/schedules.json", import.meta.url)),
) as { cases: Case[] };

/** The fixtures' tolerance: `|a-e| <= 1e-12*base_lr + 1e-10*|e|`. */
function assertClose(actual: Schedule, expected: number[], baseLr: number, label: string) {
  for (let i = 0; i < expected.length; i++) {
    const a = actual(i);
    const e = expected[i];
    const tol = 1e-12 * baseLr + 1e-10 * Math.abs(e);
    ok(
      Math.abs(a - e) <= tol,
      `${label} step ${i}: got ${a}, expected ${e} (|diff| ${Math.abs(a - e)} > ${tol})`,
    );
  }
}

const ported = fixture.cases.filter((c) => c.schedule.class !== "ReduceLROnPlateau");

Deno.test("fromTorch: the fixture file has the expected cases", () => {
  equal(ported.length, 24);
  equal(fixture.cases.length - ported.length, 6);
});

for (const c of ported) {
  Deno.test(`fromTorch reproduces torch 1.13 fixture '${c.id}' (${c.schedule.class})`, () => {
    const s = fromTorch(c.schedule.class, c.schedule.params, c.schedule.base_lr);
    assertClose(s, c.lrs, c.schedule.base_lr, c.id);
    if (c.momentums) {
      ok(s.momentum, `${c.id}: momentum schedule expected`);
      assertClose(s.momentum!, c.momentums, 1, `${c.id} momentum`);
      assertClose(
        fromTorchMomentum(c.schedule.class, c.schedule.params, c.schedule.base_lr),
        c.momentums,
        1,
        `${c.id} fromTorchMomentum`,
      );
    } else if (c.schedule.class === "CyclicLR" || c.schedule.class === "OneCycleLR") {
      equal(s.momentum, undefined);
    }
  });
}

const CONVENTIONS: Record<string, NoamStepConvention> = {
  "e, lr(0)=0": "step",
  "e+1": "step+1",
  "max(e,1)": "max(step,1)",
};

Deno.test("noam() as dynamic_learning_rate reproduces the Noam LambdaLR fixtures", () => {
  const noamCases = ported.filter((c) => c.schedule.params.lr_lambda === "noam");
  equal(noamCases.length, 3);
  const seen = new Set<string>();
  for (const c of noamCases) {
    const p = c.schedule.params;
    const convention = CONVENTIONS[p.step_convention as string];
    seen.add(convention);
    const f = dynamicLearningRate(
      noam({
        warmup: p.warmup as number,
        modelDim: p.d_model as number,
        stepConvention: convention,
      }),
    );
    // torch's LambdaLR passes e = last_epoch = index of the optimizer step = global_train_step.
    const s: Schedule = (step) =>
      f({
        globalTrainStep: step,
        epoch: 1,
        epochContinuous: null,
        learningRate: c.schedule.base_lr,
      });
    assertClose(s, c.lrs, c.schedule.base_lr, `${c.id} via noam(${convention})`);
  }
  equal(seen.size, 3);
  // The RETURNN convention gives exactly 0 at the first step.
  const zero = noamCases.find((c) => c.schedule.params.step_convention === "e, lr(0)=0")!;
  equal(zero.lrs[0], 0);
});

Deno.test("fromTorch: ReduceLROnPlateau points to learning_rate_control", () => {
  const c = fixture.cases.find((c) => c.schedule.class === "ReduceLROnPlateau")!;
  throws(
    () => fromTorch(c.schedule.class, c.schedule.params, c.schedule.base_lr),
    (e: Error) => e instanceof TypeError && e.message.includes('"reduce_on_plateau"'),
  );
});

import { _assertThrows } from "./_test_util.ts";

Deno.test("fromTorch: unknown class lists the valid ones with a did-you-mean", () => {
  _assertThrows(
    () => fromTorch("CosineAnealingLR", { T_max: 10 }, 0.1),
    RangeError,
    "unknown PyTorch scheduler class",
    "StepLR, MultiStepLR",
    "Did you mean 'CosineAnnealingLR'?",
  );
  _assertThrows(() => fromTorch("Nope", {}, 0.1), RangeError, "supported classes are");
  // Case-insensitive match is accepted.
  equal(fromTorch("steplr", { step_size: 1 }, 1)(1), 0.1);
});

Deno.test("fromTorch: unknown kwarg names it with a did-you-mean; required kwargs", () => {
  _assertThrows(
    () => fromTorch("StepLR", { step_sise: 3 }, 0.1),
    TypeError,
    "unknown keyword argument 'step_sise' for StepLR",
    "Did you mean 'step_size'?",
  );
  _assertThrows(
    () => fromTorch("StepLR", {}, 0.1),
    TypeError,
    "StepLR needs the keyword argument 'step_size'",
  );
  _assertThrows(() => fromTorch("ExponentialLR", { gamma: null }, 0.1), TypeError, "'gamma'");
});

Deno.test("fromTorch: value errors use PyTorch names", () => {
  _assertThrows(
    () => fromTorch("CosineAnnealingLR", { T_max: 0 }, 0.1),
    RangeError,
    "CosineAnnealingLR",
    "'T_max' must be a finite number > 0: current value is 0",
  );
  _assertThrows(
    () => fromTorch("CyclicLR", { base_lr: 0.1, max_lr: 1, mode: "triangle" }, 0.1),
    RangeError,
    "'mode'",
    "Did you mean 'triangular'?",
  );
  _assertThrows(
    () => fromTorch("CosineAnnealingWarmRestarts", { T_0: 5, T_mult: 0 }, 0.1),
    RangeError,
    "'T_mult'",
  );
  _assertThrows(
    () => fromTorch("PolynomialLR", { total_iters: 0 }, 0.1),
    RangeError,
    "'total_iters'",
  );
  _assertThrows(() => fromTorch("LinearLR", { total_iters: 0 }, 0.1), RangeError, "'total_iters'");
  _assertThrows(() => fromTorch("StepLR", { step_size: 3 }, -1), RangeError, "'baseLr'");
  _assertThrows(
    () => fromTorch("StepLR", { step_size: 3, last_epoch: 5 }, 0.1),
    RangeError,
    "'last_epoch' of StepLR must be -1",
  );
});

Deno.test("fromTorch: torch defaults are applied", () => {
  // LinearLR: start_factor 1/3, end_factor 1, total_iters 5.
  const lin = fromTorch("LinearLR", {}, 3);
  equal(lin(0), 1);
  equal(lin(5), 3);
  // ConstantLR: factor 1/3 for 5 steps; StepLR gamma 0.1; PolynomialLR 5 iters, power 1.
  equal(fromTorch("ConstantLR", {}, 3)(4), 1);
  equal(fromTorch("StepLR", { step_size: 2 }, 1)(2), 0.1);
  equal(fromTorch("PolynomialLR", {}, 1)(5), 0);
  // CyclicLR: step_size_up 2000, base/max momentum 0.8/0.9; OneCycleLR momentum 0.85/0.95.
  const cyc = fromTorch("CyclicLR", { base_lr: 0, max_lr: 1 }, 1);
  equal(cyc(2000), 1);
  equal(cyc.momentum!(2000), 0.8);
  const one = fromTorch("OneCycleLR", { max_lr: 1, epochs: 2, steps_per_epoch: 50 }, 1);
  ok(Math.abs(one(0) - 0.04) < 1e-16);
  ok(Math.abs(one.momentum!(29) - 0.85) < 1e-15);
});

Deno.test("fromTorch: OneCycleLR needs total_steps or epochs and steps_per_epoch", () => {
  _assertThrows(
    () => fromTorch("OneCycleLR", { max_lr: 1 }, 1),
    TypeError,
    "'total_steps'",
    "'epochs'",
  );
  _assertThrows(
    () => fromTorch("OneCycleLR", { max_lr: 1, epochs: 3 }, 1),
    TypeError,
    "'steps_per_epoch' is required",
  );
  _assertThrows(
    () => fromTorch("OneCycleLR", { max_lr: 1, total_steps: 10.5 }, 1),
    RangeError,
    "'total_steps' must be an integer >= 1",
  );
  // cycle_momentum false: no momentum schedule.
  equal(
    fromTorch("OneCycleLR", { max_lr: 1, total_steps: 10, cycle_momentum: false }, 1).momentum,
    undefined,
  );
});

Deno.test("fromTorch: LambdaLR ports noam and JS functions, not Python lambdas", () => {
  _assertThrows(
    () => fromTorch("LambdaLR", { lr_lambda: "lambda e: 0.95 ** e" }, 0.1),
    TypeError,
    "cannot be ported",
    "multiplicativeSchedule",
    "JS function",
  );
  _assertThrows(
    () => fromTorch("LambdaLR", { lr_lambda: 0.5 }, 0.1),
    TypeError,
    "'lr_lambda' must be \"noam\" or a JS function",
  );
  const f = fromTorch("LambdaLR", { lr_lambda: (e: number) => 1 / (e + 1) }, 2);
  equal(f(0), 2);
  equal(f(3), 0.5);
  _assertThrows(() => fromTorch("LambdaLR", { lr_lambda: () => NaN }, 2)(0), RangeError, "finite");
  _assertThrows(
    () =>
      fromTorch(
        "LambdaLR",
        { lr_lambda: "noam", d_model: 512, warmup: 10, step_convention: "e" },
        1,
      ),
    RangeError,
    "'step_convention' must be one of",
  );
  _assertThrows(
    () => fromTorch("LambdaLR", { lr_lambda: (e: number) => e, d_model: 512 }, 1),
    TypeError,
    "'d_model' is only valid with lr_lambda: \"noam\"",
  );
  _assertThrows(
    () => fromTorch("LambdaLR", { lr_lambda: "noam", warmup: 10 }, 1),
    TypeError,
    "'d_model'",
  );
  // The default step convention is RETURNN's: 0 at the first step.
  const n = fromTorch("LambdaLR", { lr_lambda: "noam", d_model: 512, warmup: 10 }, 1);
  equal(n(0), 0);
  ok(n(1) > 0);
});

Deno.test("fromTorch: MultiplicativeLR takes factor or a JS lr_lambda", () => {
  equal(fromTorch("MultiplicativeLR", { factor: 0.5 }, 1)(2), 0.25);
  equal(fromTorch("MultiplicativeLR", { lr_lambda: (e: number) => e }, 1)(3), 6);
  equal(fromTorch("MultiplicativeLR", { lr_lambda: 0.5 }, 1)(1), 0.5);
  _assertThrows(() => fromTorch("MultiplicativeLR", {}, 1), TypeError, "needs 'factor'");
  _assertThrows(
    () => fromTorch("MultiplicativeLR", { factor: 0.5, lr_lambda: (e: number) => e }, 1),
    TypeError,
    "not both",
  );
  _assertThrows(
    () => fromTorch("MultiplicativeLR", { lr_lambda: "lambda e: 0.9" }, 1),
    TypeError,
    "cannot be ported",
  );
});

Deno.test("fromTorch: composite validation", () => {
  _assertThrows(
    () =>
      fromTorch("SequentialLR", {
        schedulers: [{ class: "StepLR", params: { step_size: 2 } }],
        milestones: [3],
      }, 1),
    RangeError,
    "one milestone fewer than schedulers",
  );
  _assertThrows(
    () =>
      fromTorch("SequentialLR", {
        schedulers: [{ class: "StepLR", params: { step_size: 2 } }, { class: "ReduceLROnPlateau" }],
        milestones: [3],
      }, 1),
    TypeError,
    "schedulers[1]",
    "reduce_on_plateau",
  );
  _assertThrows(
    () =>
      fromTorch("ChainedScheduler", {
        schedulers: [{ class: "ChainedScheduler", params: { schedulers: [] } }],
      }, 1),
    TypeError,
    "nesting ChainedScheduler",
  );
  _assertThrows(
    () =>
      fromTorch(
        "ChainedScheduler",
        { schedulers: [{ class: "StepLR", params: { step_size: 0 } }] },
        1,
      ),
    RangeError,
    "schedulers[0]",
    "'step_size'",
  );
  _assertThrows(
    () => fromTorch("ChainedScheduler", { schedulers: [{ cls: "StepLR" }] }, 1),
    TypeError,
    "must be an object {class",
  );
  _assertThrows(
    () => fromTorch("ChainedScheduler", { schedulers: [{ class: "StepLR", parms: {} }] }, 1),
    TypeError,
    "unknown key 'parms'",
    "Did you mean 'params'?",
  );
  _assertThrows(
    () => fromTorch("ChainedScheduler", { schedulers: [] }, 1),
    TypeError,
    "non-empty array",
  );
  _assertThrows(
    () =>
      fromTorch("SequentialLR", {
        schedulers: [{ class: "ExponentialLR", params: { gamma: 0.5 } }, {
          class: "ExponentialLR",
          params: { gamma: 0.5 },
        }, { class: "ExponentialLR", params: { gamma: 0.5 } }],
        milestones: [5, 2],
      }, 1),
    RangeError,
    "non-decreasing",
  );
});

Deno.test("fromTorchMomentum: only for schedulers that cycle momentum", () => {
  _assertThrows(
    () => fromTorchMomentum("StepLR", { step_size: 2 }),
    TypeError,
    "does not cycle momentum",
  );
  _assertThrows(
    () => fromTorchMomentum("CyclicLR", { base_lr: 0, max_lr: 1, cycle_momentum: false }),
    TypeError,
    "does not cycle momentum",
  );
  equal(fromTorchMomentum("CyclicLR", { base_lr: 0, max_lr: 1, step_size_up: 2 })(2), 0.8);
});
