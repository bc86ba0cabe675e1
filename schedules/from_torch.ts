/**
 * Build a schedule from a PyTorch `torch.optim.lr_scheduler` class name and its keyword
 * arguments, so that a PyTorch recipe gives the same learning rate at every optimizer step.
 *
 * @module
 */

import type { Schedule } from "./types.ts";
import { _boolean, _didYouMean, _kind, _number, _show, _typeError } from "./_validate.ts";
import { problemOf } from "../_util/validate.ts";
import { stepSchedule } from "./step.ts";
import { multiStepSchedule } from "./multi_step.ts";
import { exponentialSchedule } from "./exponential.ts";
import { cosineAnnealingSchedule } from "./cosine_annealing.ts";
import { cosineWarmRestartsSchedule } from "./cosine_warm_restarts.ts";
import { cyclicMomentumSchedule, cyclicSchedule } from "./cyclic.ts";
import { oneCycleMomentumSchedule, oneCycleSchedule } from "./one_cycle.ts";
import { linearSchedule } from "./linear.ts";
import { polynomialSchedule } from "./polynomial.ts";
import { constantFactorSchedule } from "./constant_factor.ts";
import { multiplicativeSchedule } from "./multiplicative.ts";
import { noam, type NoamStepConvention } from "./noam.ts";
import { _chained, type _Composite, type _Resolved, _sequential } from "./_torch_sim.ts";

/**
 * A schedule built by {@linkcode fromTorch}: `step => lr` (step 0 is the first optimizer step),
 * plus the momentum schedule when the scheduler cycles momentum (`CyclicLR`/`OneCycleLR` with
 * `cycle_momentum`, also inside `SequentialLR`/`ChainedScheduler`).
 */
export interface TorchSchedule {
  /**
   * The learning rate of the optimizer step `step` (PyTorch's `param_groups[0]['lr']` during
   * the `step`-th `optimizer.step()`, 0-based).
   */
  (step: number): number;
  /** The momentum (SGD `momentum`, or Adam's `beta1`) of each step, when it is cycled. */
  readonly momentum?: Schedule;
}

/** An inner scheduler of `SequentialLR`/`ChainedScheduler`: `{class, params}`. */
export interface TorchSchedulerSpec {
  /** PyTorch class name, e.g. `"LinearLR"`. */
  class: string;
  /** Its keyword arguments (PyTorch names); omitted ones take PyTorch's defaults. */
  params?: Readonly<Record<string, unknown>>;
}

const REQ = Symbol("required");
const COMMON = { last_epoch: -1, verbose: false };

/** Keyword arguments and PyTorch 1.13 defaults of each supported class (`null` = `None`). */
const KWARGS: Record<string, Record<string, unknown>> = {
  LambdaLR: { lr_lambda: REQ, d_model: null, warmup: null, step_convention: null, ...COMMON },
  MultiplicativeLR: { lr_lambda: null, factor: null, ...COMMON },
  StepLR: { step_size: REQ, gamma: 0.1, ...COMMON },
  MultiStepLR: { milestones: REQ, gamma: 0.1, ...COMMON },
  ConstantLR: { factor: 1 / 3, total_iters: 5, ...COMMON },
  LinearLR: { start_factor: 1 / 3, end_factor: 1.0, total_iters: 5, ...COMMON },
  ExponentialLR: { gamma: REQ, ...COMMON },
  PolynomialLR: { total_iters: 5, power: 1.0, ...COMMON },
  CosineAnnealingLR: { T_max: REQ, eta_min: 0, ...COMMON },
  CosineAnnealingWarmRestarts: { T_0: REQ, T_mult: 1, eta_min: 0, ...COMMON },
  CyclicLR: {
    base_lr: REQ,
    max_lr: REQ,
    step_size_up: 2000,
    step_size_down: null,
    mode: "triangular",
    gamma: 1.0,
    scale_fn: null,
    scale_mode: "cycle",
    cycle_momentum: true,
    base_momentum: 0.8,
    max_momentum: 0.9,
    ...COMMON,
  },
  OneCycleLR: {
    max_lr: REQ,
    total_steps: null,
    epochs: null,
    steps_per_epoch: null,
    pct_start: 0.3,
    anneal_strategy: "cos",
    cycle_momentum: true,
    base_momentum: 0.85,
    max_momentum: 0.95,
    div_factor: 25.0,
    final_div_factor: 1e4,
    three_phase: false,
    ...COMMON,
  },
  SequentialLR: { schedulers: REQ, milestones: REQ, ...COMMON },
  ChainedScheduler: { schedulers: REQ },
};

const CLASSES = Object.keys(KWARGS);

/** Noam step conventions: the fixtures' names and `noam`'s names. */
const NOAM_CONVENTIONS: Record<string, NoamStepConvention> = {
  "e, lr(0)=0": "step",
  "e+1": "step+1",
  "max(e,1)": "max(step,1)",
  "step": "step",
  "step+1": "step+1",
  "max(step,1)": "max(step,1)",
};

/** Resolve a class name and its kwargs (unknown names, required kwargs, `last_epoch`). */
function _resolve(className: unknown, params: unknown, where: string): _Resolved {
  if (typeof className !== "string") {
    throw new TypeError(
      `${where}: the class name must be a string like "StepLR": current value is ${
        _show(className)
      } (${_kind(className)})`,
    );
  }
  let cls = className;
  if (!(cls in KWARGS)) {
    const ci = CLASSES.find((c) => c.toLowerCase() === cls.toLowerCase());
    if (ci !== undefined) cls = ci;
  }
  if (cls.toLowerCase() === "reducelronplateau") {
    throw new TypeError(
      `${where}: ReduceLROnPlateau is not a per-step schedule: it changes the learning rate per` +
        ` epoch from validation scores. Use the epoch-level control instead: learning_rate_control:` +
        ` "reduce_on_plateau" (see control/).`,
    );
  }
  if (!(cls in KWARGS)) {
    throw new RangeError(
      `${where}: unknown PyTorch scheduler class ${_show(className)}; supported classes are ${
        CLASSES.join(", ")
      } (ReduceLROnPlateau: use learning_rate_control "reduce_on_plateau").${
        _didYouMean(className, [...CLASSES, "ReduceLROnPlateau"])
      }`,
    );
  }
  if (params === undefined || params === null) params = {};
  if (typeof params !== "object" || Array.isArray(params)) {
    throw new TypeError(
      `${where}: the keyword arguments of ${cls} must be an object like {gamma: 0.5}: current` +
        ` value is ${_show(params)} (${_kind(params)})`,
    );
  }
  const given = params as Record<string, unknown>;
  const spec = KWARGS[cls];
  const known = Object.keys(spec);
  const p: Record<string, unknown> = {};
  for (const key of Object.keys(given)) {
    if (!(key in spec)) {
      throw new TypeError(
        `${where}: unknown keyword argument '${key}' for ${cls}; its arguments are ${
          known.map((k) => `'${k}'`).join(", ")
        }.${_didYouMean(key, known)}`,
      );
    }
  }
  for (const key of known) {
    const v = given[key];
    if (v === undefined || (v === null && spec[key] !== REQ)) {
      if (spec[key] === REQ) {
        throw new TypeError(`${where}: ${cls} needs the keyword argument '${key}'`);
      }
      p[key] = spec[key];
    } else {
      p[key] = v;
    }
  }
  if ("last_epoch" in spec && p.last_epoch !== -1) {
    throw new RangeError(
      `${where}: 'last_epoch' of ${cls} must be -1 (a fresh scheduler): current value is ${
        _show(p.last_epoch)
      }; to resume, evaluate the schedule at the optimizer step count instead`,
    );
  }
  if ("verbose" in spec) _boolean(`${where} ${cls}`, "verbose", p.verbose, false);
  return { cls, p };
}

/** Run a factory, renaming its camelCase option names to PyTorch's in any error message. */
function _torchNames<T>(where: string, cls: string, names: Record<string, string>, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof TypeError || e instanceof RangeError)) throw e;
    // The sentence without the schedule factory's prefix, which named its camelCase function.
    let msg = problemOf(e)?.text ?? e.message;
    for (const [camel, torch] of Object.entries(names)) {
      msg = msg.replaceAll(`'${camel}'`, `'${torch}'`).replaceAll(`${camel}:`, `${torch}:`);
    }
    const Ctor = e instanceof TypeError ? TypeError : RangeError;
    throw new Ctor(`${where}: ${cls}: ${msg}`);
  }
}

/** The factor function of a `LambdaLR` or `MultiplicativeLR` (epoch => factor). */
function _lambdaOf(r: _Resolved): (epoch: number) => number {
  const p = r.p;
  const check = (fn: (e: number) => unknown) => (e: number) => {
    const v = fn(e);
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new RangeError(
        `${r.cls}: 'lr_lambda' must return a finite number: it returned ${_show(v)} for epoch ${e}`,
      );
    }
    return v;
  };
  if (r.cls === "MultiplicativeLR") {
    const f = p.factor ?? p.lr_lambda;
    if (typeof f === "number") return () => f;
    return check(f as (e: number) => unknown);
  }
  if (p.lr_lambda === "noam") {
    const convention = NOAM_CONVENTIONS[p.step_convention as string];
    const d = p.d_model as number;
    const w = p.warmup as number;
    return (e) => {
      const s = convention === "step" ? e : convention === "step+1" ? e + 1 : Math.max(e, 1);
      return s === 0 ? 0 : d ** -0.5 * Math.min(s ** -0.5, s * w ** -1.5);
    };
  }
  return check(p.lr_lambda as (e: number) => unknown);
}

interface _Built {
  lr: Schedule;
  momentum?: Schedule;
}

/** Closed-form schedule of a non-composite class (also validates its kwargs' values). */
function _closed(r: _Resolved, baseLr: number, where: string): _Built {
  const { cls, p } = r;
  const n = (v: unknown) => (v === null ? undefined : v) as number;
  switch (cls) {
    case "StepLR":
      return {
        lr: _torchNames(
          where,
          cls,
          { stepSize: "step_size" },
          () => stepSchedule({ initValue: baseLr, stepSize: n(p.step_size), gamma: n(p.gamma) }),
        ),
      };
    case "MultiStepLR":
      return {
        lr: _torchNames(where, cls, {}, () =>
          multiStepSchedule({
            initValue: baseLr,
            milestones: p.milestones as number[],
            gamma: n(p.gamma),
          })),
      };
    case "ExponentialLR":
      return {
        lr: _torchNames(
          where,
          cls,
          {},
          () => exponentialSchedule({ initValue: baseLr, gamma: n(p.gamma) }),
        ),
      };
    case "CosineAnnealingLR":
      return {
        lr: _torchNames(
          where,
          cls,
          { tMax: "T_max", etaMin: "eta_min" },
          () =>
            cosineAnnealingSchedule({
              initValue: baseLr,
              tMax: n(p.T_max),
              etaMin: n(p.eta_min),
            }),
        ),
      };
    case "CosineAnnealingWarmRestarts":
      return {
        lr: _torchNames(
          where,
          cls,
          { t0: "T_0", tMult: "T_mult", etaMin: "eta_min" },
          () =>
            cosineWarmRestartsSchedule({
              initValue: baseLr,
              t0: n(p.T_0),
              tMult: n(p.T_mult),
              etaMin: n(p.eta_min),
            }),
        ),
      };
    case "LinearLR": {
      const names = { initValue: "start_factor", endValue: "end_factor" };
      const start = _number(`${where}: ${cls}`, "start_factor", p.start_factor);
      const end = _number(`${where}: ${cls}`, "end_factor", p.end_factor);
      const total = _number(`${where}: ${cls}`, "total_iters", p.total_iters, {
        min: 1,
        integer: true,
      });
      return {
        lr: _torchNames(where, cls, names, () =>
          linearSchedule({
            initValue: baseLr * start,
            endValue: baseLr * end,
            transitionSteps: total,
          })),
      };
    }
    case "ConstantLR":
      return {
        lr: _torchNames(where, cls, { totalIters: "total_iters" }, () =>
          constantFactorSchedule({
            initValue: baseLr,
            factor: n(p.factor),
            totalIters: n(p.total_iters),
          })),
      };
    case "PolynomialLR":
      return {
        lr: _torchNames(where, cls, { transitionSteps: "total_iters" }, () =>
          polynomialSchedule({
            initValue: baseLr,
            power: n(p.power),
            transitionSteps: n(p.total_iters),
          })),
      };
    case "MultiplicativeLR": {
      if (p.factor !== null && p.lr_lambda !== null) {
        throw new TypeError(
          `${where}: MultiplicativeLR takes 'factor' (a constant) or 'lr_lambda' (a JS function),` +
            ` not both`,
        );
      }
      const f = p.factor ?? p.lr_lambda;
      if (f === null) {
        throw new TypeError(
          `${where}: MultiplicativeLR needs 'factor' (the constant the lambda returns, e.g.` +
            ` {factor: 0.95}) or 'lr_lambda' as a JS function (epoch) => factor`,
        );
      }
      if (typeof f === "string") {
        throw new TypeError(
          `${where}: MultiplicativeLR 'lr_lambda' ${_show(f)} is Python source and cannot be` +
            ` ported: pass {factor: <constant>} or a JS function (epoch) => factor`,
        );
      }
      return {
        lr: _torchNames(
          where,
          cls,
          { factor: p.factor !== null ? "factor" : "lr_lambda" },
          () =>
            multiplicativeSchedule({
              initValue: baseLr,
              factor: f as number | ((s: number) => number),
            }),
        ),
      };
    }
    case "LambdaLR":
      return { lr: _lambdaLr(r, baseLr, where) };
    case "CyclicLR": {
      const names = {
        baseLr: "base_lr",
        maxLr: "max_lr",
        stepSizeUp: "step_size_up",
        stepSizeDown: "step_size_down",
        scaleFn: "scale_fn",
        scaleMode: "scale_mode",
        baseMomentum: "base_momentum",
        maxMomentum: "max_momentum",
      };
      const shape = {
        stepSizeUp: n(p.step_size_up),
        stepSizeDown: n(p.step_size_down),
        mode: p.mode as "triangular",
        gamma: n(p.gamma),
        scaleFn: (p.scale_fn ?? undefined) as ((x: number) => number) | undefined,
        scaleMode: p.scale_mode as "cycle",
      };
      const lr = _torchNames(
        where,
        cls,
        names,
        () => cyclicSchedule({ baseLr: n(p.base_lr), maxLr: n(p.max_lr), ...shape }),
      );
      const cycle = _boolean(`${where}: ${cls}`, "cycle_momentum", p.cycle_momentum, true);
      const momentum = cycle
        ? _torchNames(where, cls, names, () =>
          cyclicMomentumSchedule({
            baseMomentum: n(p.base_momentum),
            maxMomentum: n(p.max_momentum),
            ...shape,
          }))
        : undefined;
      return { lr, momentum };
    }
    case "OneCycleLR": {
      const w = `${where}: ${cls}`;
      let totalSteps: number;
      if (p.total_steps !== null) {
        totalSteps = _number(w, "total_steps", p.total_steps, { min: 1, integer: true });
      } else if (p.epochs !== null || p.steps_per_epoch !== null) {
        totalSteps = _number(w, "epochs", p.epochs ?? undefined, { min: 1, integer: true }) *
          _number(w, "steps_per_epoch", p.steps_per_epoch ?? undefined, { min: 1, integer: true });
      } else {
        throw new TypeError(
          `${w}: define either 'total_steps' or both 'epochs' and 'steps_per_epoch'`,
        );
      }
      const names = {
        maxLr: "max_lr",
        totalSteps: "total_steps",
        pctStart: "pct_start",
        annealStrategy: "anneal_strategy",
        threePhase: "three_phase",
        divFactor: "div_factor",
        finalDivFactor: "final_div_factor",
        baseMomentum: "base_momentum",
        maxMomentum: "max_momentum",
      };
      const shape = {
        totalSteps,
        pctStart: n(p.pct_start),
        annealStrategy: p.anneal_strategy as "cos",
        threePhase: p.three_phase as boolean,
      };
      const lr = _torchNames(where, cls, names, () =>
        oneCycleSchedule({
          maxLr: n(p.max_lr),
          divFactor: n(p.div_factor),
          finalDivFactor: n(p.final_div_factor),
          ...shape,
        }));
      const cycle = _boolean(w, "cycle_momentum", p.cycle_momentum, true);
      const momentum = cycle
        ? _torchNames(where, cls, names, () =>
          oneCycleMomentumSchedule({
            baseMomentum: n(p.base_momentum),
            maxMomentum: n(p.max_momentum),
            ...shape,
          }))
        : undefined;
      // The simulation reads the resolved total from here.
      p.total_steps = totalSteps;
      return { lr, momentum };
    }
    default:
      throw new Error(`internal: no closed form for '${cls}'`);
  }
}

/** `LambdaLR`: the Noam recipe or a JS function of the epoch. */
function _lambdaLr(r: _Resolved, baseLr: number, where: string): Schedule {
  const p = r.p;
  const w = `${where}: LambdaLR`;
  if (p.lr_lambda === "noam") {
    const conv = p.step_convention ?? "e, lr(0)=0";
    if (typeof conv !== "string" || !(conv in NOAM_CONVENTIONS)) {
      throw new RangeError(
        `${w}: 'step_convention' must be one of ${
          Object.keys(NOAM_CONVENTIONS).map((k) => `"${k}"`).join(", ")
        }: current value is ${_show(conv)}.${
          typeof conv === "string" ? _didYouMean(conv, Object.keys(NOAM_CONVENTIONS)) : ""
        }`,
      );
    }
    p.step_convention = conv;
    const f = _torchNames(where, "LambdaLR", { modelDim: "d_model" }, () =>
      noam({
        warmup: (p.warmup ?? undefined) as number,
        modelDim: (p.d_model ?? undefined) as number,
        stepConvention: NOAM_CONVENTIONS[conv],
      }));
    return (step) => {
      if (typeof step !== "number" || !Number.isSafeInteger(step) || step < 0) {
        throw new RangeError(
          `Cannot evaluate schedule 'fromTorch(LambdaLR)': 'step' must be a non-negative integer` +
            ` (0 is the first optimizer step): current value is ${_show(step)}`,
        );
      }
      return f({ globalTrainStep: step, epoch: 1, epochContinuous: null, learningRate: baseLr });
    };
  }
  for (const k of ["d_model", "warmup", "step_convention"]) {
    if (p[k] !== null) {
      throw new TypeError(`${w}: '${k}' is only valid with lr_lambda: "noam"`);
    }
  }
  if (typeof p.lr_lambda === "function") {
    const f = _lambdaOf(r);
    return (step) => {
      if (typeof step !== "number" || !Number.isSafeInteger(step) || step < 0) {
        throw new RangeError(
          `Cannot evaluate schedule 'fromTorch(LambdaLR)': 'step' must be a non-negative integer` +
            ` (0 is the first optimizer step): current value is ${_show(step)}`,
        );
      }
      return baseLr * f(step);
    };
  }
  if (typeof p.lr_lambda !== "string") {
    throw new TypeError(
      `${w}: 'lr_lambda' must be "noam" or a JS function (epoch) => factor: current value is ${
        _show(p.lr_lambda)
      } (${_kind(p.lr_lambda)})`,
    );
  }
  throw new TypeError(
    `${w}: 'lr_lambda' ${_show(p.lr_lambda)} is a Python lambda and cannot be ported. Use` +
      ` lr_lambda: "noam" (with d_model, warmup, step_convention), pass a JS function` +
      ` (epoch) => factor as 'lr_lambda', use multiplicativeSchedule for a constant per-step` +
      ` factor, or write the schedule as a JS function (step) => lr.`,
  );
}

/** A composite, simulated step by step and memoised. */
function _composite(r: _Resolved, baseLr: number, where: string): _Built {
  const { cls, p } = r;
  const schedulers = p.schedulers;
  if (!Array.isArray(schedulers) || schedulers.length === 0) {
    throw new TypeError(
      `${where}: ${cls} 'schedulers' must be a non-empty array of {class, params} objects:` +
        ` current value is ${_show(schedulers)}`,
    );
  }
  const inner = schedulers.map((s, i) => {
    const w = `${where}: ${cls} schedulers[${i}]`;
    if (s === null || typeof s !== "object" || Array.isArray(s) || !("class" in s)) {
      throw new TypeError(
        `${w} must be an object {class: "LinearLR", params: {...}}: current value is ${_show(s)}`,
      );
    }
    for (const key of Object.keys(s)) {
      if (key !== "class" && key !== "params") {
        throw new TypeError(
          `${w}: unknown key '${key}'; an inner scheduler is {class, params}.${
            _didYouMean(key, ["class", "params"])
          }`,
        );
      }
    }
    const spec = s as TorchSchedulerSpec;
    const ri = _resolve(spec.class, spec.params, w);
    if (ri.cls === "SequentialLR" || ri.cls === "ChainedScheduler") {
      throw new TypeError(
        `${w}: nesting ${ri.cls} inside ${cls} is not supported; flatten it into one list`,
      );
    }
    _closed(ri, baseLr, w);
    return ri;
  });
  let make: () => _Composite;
  if (cls === "SequentialLR") {
    if (!Array.isArray(p.milestones)) {
      throw new TypeError(
        `${where}: SequentialLR 'milestones' must be an array of ${inner.length - 1} step(s):` +
          ` current value is ${_show(p.milestones)}`,
      );
    }
    const milestones = (p.milestones as unknown[]).map((m, i) =>
      _number(`${where}: SequentialLR`, `milestones[${i}]`, m, { min: 0, integer: true })
    );
    if (milestones.length !== inner.length - 1) {
      throw new RangeError(
        `${where}: SequentialLR expects one milestone fewer than schedulers: got ${inner.length}` +
          ` schedulers and ${milestones.length} milestones ${_show(milestones)}`,
      );
    }
    for (let i = 1; i < milestones.length; i++) {
      if (milestones[i] < milestones[i - 1]) {
        throw new RangeError(
          `${where}: SequentialLR 'milestones' must be non-decreasing: current value is ${
            _show(milestones)
          }; sort them`,
        );
      }
    }
    make = () => _sequential(inner, milestones, baseLr, _lambdaOf);
  } else {
    make = () => _chained(inner, baseLr, _lambdaOf);
  }
  const sim = make();
  const lrs = [sim.group.lr];
  const moms = [sim.group.momentum];
  let failure: string | undefined;
  const label = `fromTorch(${cls})`;
  const advance = (step: unknown) => {
    if (typeof step !== "number" || !Number.isSafeInteger(step) || step < 0) {
      throw new RangeError(
        `Cannot evaluate schedule '${label}': 'step' must be a non-negative integer (0 is the` +
          ` first optimizer step): current value is ${_show(step)}`,
      );
    }
    while (lrs.length <= step) {
      if (failure !== undefined) break;
      try {
        sim.step();
      } catch (e) {
        failure = `${(e as Error).message} (at step ${lrs.length})`;
        break;
      }
      lrs.push(sim.group.lr);
      moms.push(sim.group.momentum);
    }
    if (step >= lrs.length) {
      throw new RangeError(`Cannot evaluate schedule '${label}' at step ${step}: ${failure}`);
    }
    return step;
  };
  const lr: Schedule = (step) => lrs[advance(step)];
  const momentum: Schedule | undefined = moms[0] === undefined
    ? undefined
    : (step) => moms[advance(step)]!;
  return { lr, momentum };
}

function _build(className: string, params: unknown, baseLr: number): _Built {
  const where = "fromTorch";
  const lr = _number(where, "baseLr", baseLr, { min: 0 });
  const r = _resolve(className, params, where);
  if (r.cls === "SequentialLR" || r.cls === "ChainedScheduler") return _composite(r, lr, where);
  return _closed(r, lr, where);
}

/**
 * Build the schedule equivalent to a PyTorch 1.13 `torch.optim.lr_scheduler` class with the given
 * keyword arguments, stepped once per optimizer step: the returned function's value at step `i`
 * is the learning rate PyTorch uses for the `i`-th `optimizer.step()` (0-based).
 *
 * Supported: `StepLR`, `MultiStepLR`, `ExponentialLR`, `CosineAnnealingLR` (not clamped after
 * `T_max`), `CosineAnnealingWarmRestarts`, `CyclicLR`, `OneCycleLR`, `LinearLR`, `ConstantLR`,
 * `PolynomialLR`, `MultiplicativeLR` (`factor`: the constant its lambda returns, or
 * `lr_lambda` as a JS function), `LambdaLR` (`lr_lambda: "noam"` with `d_model`, `warmup` and
 * `step_convention` `"e, lr(0)=0"` (default), `"e+1"` or `"max(e,1)"`; or a JS function), and
 * `SequentialLR` / `ChainedScheduler` with inner schedulers given as `{class, params}`.
 * Names and defaults are PyTorch's; class names also match case-insensitively.
 *
 * Single schedulers use closed forms (pure, O(1) per step). `SequentialLR` and
 * `ChainedScheduler` re-enact PyTorch's stepping on one parameter group (chainable formulas,
 * shared `initial_lr` and momentum), memoising the values computed so far: step `n` costs O(n)
 * once and O(n) memory.
 *
 * @param className PyTorch class name, e.g. `"CosineAnnealingLR"`.
 * @param params Its keyword arguments, PyTorch names (`{T_max: 100, eta_min: 0}`).
 * @param baseLr The optimizer's learning rate (`lr` of `SGD(..., lr=...)`); `CyclicLR` and
 * `OneCycleLR` take theirs from `params` instead.
 * @returns The learning-rate schedule; with a `momentum` property when momentum is cycled.
 * @throws {RangeError} For an unknown class (the message lists the valid ones and suggests the
 * closest), `last_epoch` other than -1, or an out-of-range value.
 * @throws {TypeError} For an unknown keyword argument (with a suggestion), a missing required
 * one, a wrong type, `ReduceLROnPlateau` (an epoch-level control: use `learning_rate_control:
 * "reduce_on_plateau"`), or a Python `lr_lambda` that cannot be ported.
 *
 * @example PyTorch's learning rate for the i-th `optimizer.step()`
 * ```ts
 * import { fromTorch } from "./from_torch.ts";
 * import { equal } from "node:assert/strict";
 *
 * const lr = fromTorch("StepLR", { step_size: 30, gamma: 0.1 }, 0.1);
 * equal(lr(0), 0.1);
 * equal(lr(30), 0.010000000000000002);
 * const warmupCosine = fromTorch("SequentialLR", {
 *   schedulers: [
 *     { class: "LinearLR", params: { start_factor: 0.1, total_iters: 10 } },
 *     { class: "CosineAnnealingLR", params: { T_max: 90 } },
 *   ],
 *   milestones: [10],
 * }, 0.1);
 * equal(warmupCosine(10), 0.1);
 * ```
 */
export function fromTorch(
  className: string,
  params: Readonly<Record<string, unknown>>,
  baseLr: number,
): TorchSchedule {
  const built = _build(className, params, baseLr);
  const fn = built.lr as TorchSchedule;
  if (built.momentum === undefined) return fn;
  const lr = built.lr;
  const withMomentum = ((step: number) => lr(step)) as TorchSchedule;
  Object.defineProperty(withMomentum, "momentum", { value: built.momentum, enumerable: true });
  return withMomentum;
}

/**
 * The momentum schedule of a PyTorch scheduler that cycles momentum (`CyclicLR` or `OneCycleLR`
 * with `cycle_momentum` true, the default; also inside `SequentialLR`/`ChainedScheduler`): the
 * optimizer's `momentum` (Adam: `beta1`) during each optimizer step. Same as
 * `fromTorch(...).momentum`.
 *
 * @param className PyTorch class name, e.g. `"OneCycleLR"`.
 * @param params Its keyword arguments, PyTorch names.
 * @param baseLr The optimizer's learning rate (default 0: `CyclicLR` and `OneCycleLR` do not
 * use it).
 * @returns The momentum schedule.
 * @throws {TypeError} If the scheduler does not cycle momentum, or for the reasons of
 * {@linkcode fromTorch}.
 * @throws {RangeError} For the reasons of {@linkcode fromTorch}.
 *
 * @example OneCycleLR cycles the momentum from 0.95 down to 0.85 and back
 * ```ts
 * import { fromTorchMomentum } from "./from_torch.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(fromTorchMomentum("OneCycleLR", { max_lr: 0.1, total_steps: 100 })(0), 0.95);
 * ```
 */
export function fromTorchMomentum(
  className: string,
  params: Readonly<Record<string, unknown>>,
  baseLr = 0,
): Schedule {
  const built = _build(className, params, baseLr);
  if (built.momentum === undefined) {
    throw _typeError(
      "fromTorchMomentum",
      `${_show(className)} with these arguments does not cycle momentum; only CyclicLR and` +
        ` OneCycleLR with cycle_momentum: true (the default) do`,
    );
  }
  return built.momentum;
}
