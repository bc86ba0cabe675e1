import { equal, ok } from "node:assert/strict";
import { fromTorch } from "./from_torch.ts";
import { joinSchedules } from "./join_schedules.ts";
import type { Schedule } from "./types.ts";
import { _assertSchedule, _assertThrows, _rng } from "./_test_util.ts";

/** The fixtures' tolerance. */
function assertTorchClose(a: Schedule, e: Schedule, baseLr: number, n: number, label: string) {
  for (let i = 0; i < n; i++) {
    const x = a(i);
    const y = e(i);
    ok(
      Math.abs(x - y) <= 1e-12 * baseLr + 1e-10 * Math.abs(y),
      `${label} step ${i}: ${x} vs ${y}`,
    );
  }
}

type Spec = { class: string; params: Record<string, unknown> };

/** Random kwargs for each single (non-composite) class. */
function randomSpec(rand: () => number): Spec {
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const classes = [
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "LinearLR",
    "ConstantLR",
    "PolynomialLR",
    "MultiplicativeLR",
    "CyclicLR",
    "OneCycleLR",
    "LambdaLR",
  ];
  const cls = pick(classes);
  switch (cls) {
    case "StepLR":
      return { class: cls, params: { step_size: int(1, 30), gamma: 0.1 + 0.8 * rand() } };
    case "MultiStepLR":
      return {
        class: cls,
        params: { milestones: [int(0, 50), int(0, 80), int(20, 120)], gamma: 0.2 + 0.7 * rand() },
      };
    case "ExponentialLR":
      return { class: cls, params: { gamma: 0.9 + 0.1 * rand() } };
    case "CosineAnnealingLR":
      return { class: cls, params: { T_max: int(1, 80), eta_min: 0.01 * rand() } };
    case "CosineAnnealingWarmRestarts":
      return {
        class: cls,
        params: { T_0: int(1, 30), T_mult: int(1, 3), eta_min: 0.001 * rand() },
      };
    case "LinearLR":
      return {
        class: cls,
        params: { start_factor: 0.05 + 0.95 * rand(), end_factor: rand(), total_iters: int(1, 60) },
      };
    case "ConstantLR":
      return { class: cls, params: { factor: 0.05 + 0.95 * rand(), total_iters: int(0, 40) } };
    case "PolynomialLR":
      return { class: cls, params: { total_iters: int(1, 150), power: 0.5 + 2.5 * rand() } };
    case "MultiplicativeLR":
      return { class: cls, params: { factor: 0.95 + 0.05 * rand() } };
    case "CyclicLR":
      return {
        class: cls,
        params: {
          base_lr: 0.001 + 0.01 * rand(),
          max_lr: 0.05 + 0.1 * rand(),
          step_size_up: int(1, 30),
          step_size_down: rand() < 0.5 ? null : int(1, 30),
          mode: pick(["triangular", "triangular2", "exp_range"]),
          gamma: 0.95 + 0.05 * rand(),
          cycle_momentum: rand() < 0.5,
        },
      };
    case "OneCycleLR":
      return {
        class: cls,
        params: {
          max_lr: 0.05 + 0.5 * rand(),
          total_steps: int(250, 400),
          pct_start: 0.1 + 0.5 * rand(),
          anneal_strategy: pick(["cos", "linear"]),
          three_phase: rand() < 0.5,
          div_factor: 5 + 30 * rand(),
          final_div_factor: 10 + 1e4 * rand(),
        },
      };
    default:
      return {
        class: "LambdaLR",
        params: {
          lr_lambda: "noam",
          d_model: int(16, 1024),
          warmup: int(1, 100),
          step_convention: pick(["e+1", "max(e,1)", "e, lr(0)=0"]),
        },
      };
  }
}

Deno.test("simulated torch recursion (ChainedScheduler of one) matches every closed form", () => {
  const rand = _rng(1234);
  for (let k = 0; k < 300; k++) {
    const spec = randomSpec(rand);
    const baseLr = 0.01 + rand();
    const closed = fromTorch(spec.class, spec.params, baseLr);
    const sim = fromTorch("ChainedScheduler", { schedulers: [spec] }, baseLr);
    const label = `${spec.class} ${JSON.stringify(spec.params)}`;
    assertTorchClose(sim, closed, baseLr, 200, label);
    if (closed.momentum) {
      assertTorchClose(sim.momentum!, closed.momentum, 1, 200, `${label} momentum`);
    } else equal(sim.momentum, undefined);
  }
});

const CLOSED_FORM = [
  "StepLR",
  "MultiStepLR",
  "ExponentialLR",
  "CosineAnnealingLR",
  "CosineAnnealingWarmRestarts",
  "LinearLR",
  "ConstantLR",
  "PolynomialLR",
  "LambdaLR",
];

Deno.test("SequentialLR of closed-form schedulers equals joinSchedules of the closed forms", () => {
  const rand = _rng(99);
  for (let k = 0; k < 150; k++) {
    const n = 1 + Math.floor(rand() * 4);
    const specs: Spec[] = [];
    while (specs.length < n) {
      const s = randomSpec(rand);
      if (CLOSED_FORM.includes(s.class)) specs.push(s);
    }
    const milestones: number[] = [];
    for (let i = 1; i < n; i++) milestones.push(1 + Math.floor(rand() * 150));
    milestones.sort((a, b) => a - b);
    const baseLr = 0.01 + rand();
    const seq = fromTorch("SequentialLR", { schedulers: specs, milestones }, baseLr);
    const joined = joinSchedules({
      schedules: specs.map((s) => fromTorch(s.class, s.params, baseLr)),
      boundaries: milestones,
    });
    assertTorchClose(
      seq,
      joined,
      baseLr,
      200,
      `SequentialLR ${JSON.stringify({ specs, milestones })}`,
    );
  }
});

Deno.test("ChainedScheduler composes chainable schedulers multiplicatively (torch stepping)", () => {
  // ConstantLR(factor 0.1, total_iters 2) then ExponentialLR(0.9), lr 1: at e = 2 ConstantLR
  // divides its factor back out.
  const s = fromTorch("ChainedScheduler", {
    schedulers: [
      { class: "ConstantLR", params: { factor: 0.1, total_iters: 2 } },
      { class: "ExponentialLR", params: { gamma: 0.9 } },
    ],
  }, 1);
  _assertSchedule(s, [0.1, 0.09, 0.81, 0.729, 0.6561], 1e-15);
  // A chain of two multiplicative schedulers is their product.
  const c = fromTorch("ChainedScheduler", {
    schedulers: [
      { class: "StepLR", params: { step_size: 3, gamma: 0.5 } },
      { class: "LinearLR", params: { start_factor: 0.5, total_iters: 4 } },
    ],
  }, 2);
  const step = fromTorch("StepLR", { step_size: 3, gamma: 0.5 }, 1);
  const lin = fromTorch("LinearLR", { start_factor: 0.5, total_iters: 4 }, 1);
  assertTorchClose(c, (i) => 2 * step(i) * lin(i), 2, 50, "StepLR x LinearLR");
});

Deno.test("SequentialLR: MultiplicativeLR continues from the previous scheduler's last lr", () => {
  const s = fromTorch("SequentialLR", {
    schedulers: [
      { class: "ConstantLR", params: { factor: 0.5, total_iters: 3 } },
      { class: "MultiplicativeLR", params: { factor: 0.9 } },
    ],
    milestones: [5],
  }, 1);
  _assertSchedule(s, [0.5, 0.5, 0.5, 1, 1, 1, 0.9, 0.81], 1e-15);
});

Deno.test("SequentialLR: a CyclicLR constructed first sets initial_lr for the later schedulers", () => {
  const s = fromTorch("SequentialLR", {
    schedulers: [
      { class: "CyclicLR", params: { base_lr: 0.01, max_lr: 0.1, step_size_up: 5 } },
      { class: "ExponentialLR", params: { gamma: 0.5 } },
    ],
    milestones: [10],
  }, 1);
  _assertSchedule(s, [0.01, 0.028, 0.046], 1e-15);
  equal(s(10), 0.01);
  equal(s(11), 0.005);
  // Momentum: cycled by CyclicLR, then left where it was.
  ok(s.momentum);
  equal(s.momentum!(0), 0.9);
  ok(Math.abs(s.momentum!(5) - 0.8) < 1e-15);
  equal(s.momentum!(12), s.momentum!(10));
});

Deno.test("SequentialLR: OneCycleLR inside, momentum exposed, past the cycle it throws", () => {
  const s = fromTorch("SequentialLR", {
    schedulers: [
      { class: "ConstantLR", params: { factor: 1, total_iters: 0 } },
      { class: "OneCycleLR", params: { max_lr: 1, total_steps: 10 } },
    ],
    milestones: [3],
  }, 1);
  const one = fromTorch("OneCycleLR", { max_lr: 1, total_steps: 10 }, 1);
  // OneCycleLR overwrote initial_lr = max_lr / div_factor, so the first scheduler starts there.
  _assertSchedule(s, [0.04, 0.04, 0.04], 1e-15);
  for (let i = 0; i <= 10; i++) ok(Math.abs(s(3 + i) - one(i)) < 1e-15);
  ok(Math.abs(s.momentum!(3 + 2) - one.momentum!(2)) < 1e-15);
  _assertThrows(() => s(14), RangeError, "fromTorch(SequentialLR)", "step 14", "total steps is 10");
});

Deno.test("composite schedules memoise and validate the step", () => {
  const s = fromTorch("ChainedScheduler", {
    schedulers: [{ class: "ExponentialLR", params: { gamma: 0.5 } }],
  }, 1);
  equal(s(3), 0.125);
  equal(s(1), 0.5);
  _assertThrows(() => s(-1), RangeError, "'step' must be a non-negative integer");
  _assertThrows(() => s(0.5), RangeError, "'step'");
});

Deno.test("SequentialLR with milestone 0 follows torch: step 0 still uses the first scheduler", () => {
  const s = fromTorch("SequentialLR", {
    schedulers: [
      { class: "ConstantLR", params: { factor: 0.5, total_iters: 10 } },
      { class: "ExponentialLR", params: { gamma: 0.5 } },
    ],
    milestones: [0],
  }, 1);
  // The second scheduler is stepped normally from step 1 on and chains from the group's lr.
  _assertSchedule(s, [0.5, 0.5, 0.25, 0.125], 1e-15);
});
