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
