/**
 * Private: a step-by-step re-enactment of PyTorch 1.13's `lr_scheduler` classes acting on one
 * shared parameter group, used for `SequentialLR` and `ChainedScheduler`, where the inner
 * schedulers interact through the group's `lr` (chainable forms), `initial_lr` and momentum.
 * Each class follows torch's own `get_lr` (chainable, recursive) and `_get_closed_form_lr` (used
 * by `step(epoch)`) formulas in float64.
 *
 * @module
 */

/** A torch `param_group`: the keys the schedulers read and write. */
export interface _Group {
  lr: number;
  initial_lr?: number;
  max_lr?: number;
  min_lr?: number;
  momentum?: number;
  max_momentum?: number;
  base_momentum?: number;
}

/** One simulated scheduler. */
export interface _Sim {
  lastEpoch: number;
  /** `scheduler.step()` or, with an epoch, the deprecated `scheduler.step(epoch)`. */
  step(epoch?: number): void;
}

/** A resolved inner scheduler: canonical class name and every kwarg (torch defaults filled). */
export interface _Resolved {
  cls: string;
  p: Record<string, unknown>;
}

/** Python's `%` (the result has the sign of the divisor). */
function _pymod(a: number, m: number): number {
  return ((a % m) + m) % m;
}

/** The multiplicative factor function of a `LambdaLR`/`MultiplicativeLR` (resolved kwargs). */
export type _LambdaOf = (r: _Resolved) => (epoch: number) => number;

/** Construct a simulated scheduler on `group`, running torch's constructor and initial step. */
export function _makeSim(r: _Resolved, group: _Group, lambdaOf: _LambdaOf): _Sim {
  const p = r.p;
  const num = (k: string) => p[k] as number;
  let base = 0;
  let getLr: (sim: _Sim) => number;
  let closed: ((sim: _Sim) => number) | undefined;
  let customStep: ((sim: _Sim, epoch?: number) => void) | undefined;
  let postInit: (() => void) | undefined;

  switch (r.cls) {
    case "LambdaLR": {
      const f = lambdaOf(r);
      getLr = (s) => base * f(s.lastEpoch);
      break;
    }
    case "MultiplicativeLR": {
      const f = lambdaOf(r);
      getLr = (s) => s.lastEpoch > 0 ? group.lr * f(s.lastEpoch) : group.lr;
      break;
    }
    case "StepLR": {
      const size = num("step_size");
      const gamma = num("gamma");
      getLr = (s) => s.lastEpoch === 0 || s.lastEpoch % size !== 0 ? group.lr : group.lr * gamma;
      closed = (s) => base * gamma ** Math.floor(s.lastEpoch / size);
      break;
    }
    case "MultiStepLR": {
      const ms = [...(p.milestones as number[])].sort((a, b) => a - b);
      const gamma = num("gamma");
      const count = (e: number) => ms.filter((m) => m === e).length;
      getLr = (s) => {
        const c = count(s.lastEpoch);
        return c === 0 ? group.lr : group.lr * gamma ** c;
      };
      closed = (s) => base * gamma ** ms.filter((m) => m <= s.lastEpoch).length;
      break;
    }
    case "ConstantLR": {
      const factor = num("factor");
      const total = num("total_iters");
      getLr = (s) => {
        if (s.lastEpoch === 0) return group.lr * factor;
        if (s.lastEpoch !== total) return group.lr;
        return group.lr * (1 / factor);
      };
      closed = (s) => base * (factor + (s.lastEpoch >= total ? 1 : 0) * (1 - factor));
      break;
    }
    case "LinearLR": {
      const start = num("start_factor");
      const end = num("end_factor");
      const total = num("total_iters");
      getLr = (s) => {
        const e = s.lastEpoch;
        if (e === 0) return group.lr * start;
        if (e > total) return group.lr;
        return group.lr * (1 + (end - start) / (total * start + (e - 1) * (end - start)));
      };
      closed = (s) => base * (start + (end - start) * Math.min(total, s.lastEpoch) / total);
      break;
    }
    case "ExponentialLR": {
      const gamma = num("gamma");
      getLr = (s) => s.lastEpoch === 0 ? group.lr : group.lr * gamma;
      closed = (s) => base * gamma ** s.lastEpoch;
      break;
    }
    case "PolynomialLR": {
      const total = num("total_iters");
      const power = num("power");
      getLr = (s) => {
        const e = s.lastEpoch;
        if (e === 0 || e > total) return group.lr;
        return group.lr * ((1 - e / total) / (1 - (e - 1) / total)) ** power;
      };
      closed = (s) => base * (1 - Math.min(total, s.lastEpoch) / total) ** power;
      break;
    }
    case "CosineAnnealingLR": {
      const tMax = num("T_max");
      const eta = num("eta_min");
      getLr = (s) => {
        const e = s.lastEpoch;
        if (e === 0) return group.lr;
        if (_pymod(e - 1 - tMax, 2 * tMax) === 0) {
          return group.lr + (base - eta) * (1 - Math.cos(Math.PI / tMax)) / 2;
        }
        return (1 + Math.cos(Math.PI * e / tMax)) / (1 + Math.cos(Math.PI * (e - 1) / tMax)) *
            (group.lr - eta) + eta;
      };
      closed = (s) => eta + (base - eta) * (1 + Math.cos(Math.PI * s.lastEpoch / tMax)) / 2;
      break;
    }
    case "CosineAnnealingWarmRestarts": {
      const t0 = num("T_0");
      const tMult = num("T_mult");
      const eta = num("eta_min");
      let tI = t0;
      let tCur = -1;
      getLr = () => eta + (base - eta) * (1 + Math.cos(Math.PI * tCur / tI)) / 2;
      customStep = (s, epoch) => {
        if (epoch === undefined && s.lastEpoch < 0) epoch = 0;
        if (epoch === undefined) {
          epoch = s.lastEpoch + 1;
          tCur = tCur + 1;
          if (tCur >= tI) {
            tCur = tCur - tI;
            tI = tI * tMult;
          }
        } else if (epoch >= t0) {
          if (tMult === 1) {
            tCur = epoch % t0;
          } else {
            const n = Math.floor(Math.log(epoch / t0 * (tMult - 1) + 1) / Math.log(tMult));
            tCur = epoch - t0 * (tMult ** n - 1) / (tMult - 1);
            tI = t0 * tMult ** n;
          }
        } else {
          tI = t0;
          tCur = epoch;
        }
        s.lastEpoch = Math.floor(epoch);
        group.lr = getLr(s);
      };
      break;
    }
    case "CyclicLR": {
      const baseLr = num("base_lr");
      const maxLr = num("max_lr");
      const up = num("step_size_up");
      const down = p.step_size_down === null || p.step_size_down === undefined
        ? up
        : num("step_size_down");
      const totalSize = up + down;
      const ratio = up / totalSize;
      const gamma = num("gamma");
      const mode = p.mode as string;
      const userFn = p.scale_fn as ((x: number) => number) | null | undefined;
      const scaleFn = userFn ??
        (mode === "triangular"
          ? () => 1
          : mode === "triangular2"
          ? (x: number) => 1 / 2 ** (x - 1)
          : (x: number) => gamma ** x);
      const byCycle = userFn ? p.scale_mode === "cycle" : mode !== "exp_range";
      const cycleMomentum = p.cycle_momentum as boolean;
      const maxM = num("max_momentum");
      let baseM = num("base_momentum");
      group.lr = baseLr;
      if (cycleMomentum) {
        group.momentum = baseM;
        baseM = group.momentum;
      }
      getLr = (s) => {
        const e = s.lastEpoch;
        const cycle = Math.floor(1 + e / totalSize);
        const x = 1 + e / totalSize - cycle;
        const scale = x <= ratio ? x / ratio : (x - 1) / (ratio - 1);
        const f = scaleFn(byCycle ? cycle : e);
        if (cycleMomentum) group.momentum = maxM - (maxM - baseM) * scale * f;
        return base + (maxLr - base) * scale * f;
      };
      postInit = () => {
        base = baseLr;
      };
      break;
    }
    case "OneCycleLR": {
      const total = p.total_steps !== null && p.total_steps !== undefined
        ? num("total_steps")
        : num("epochs") * num("steps_per_epoch");
      const pct = num("pct_start");
      const phases: [number, keyof _Group, keyof _Group, keyof _Group, keyof _Group][] =
        p.three_phase
          ? [
            [pct * total - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"],
            [2 * pct * total - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"],
            [total - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"],
          ]
          : [
            [pct * total - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"],
            [total - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"],
          ];
      const anneal = p.anneal_strategy === "cos"
        ? (a: number, b: number, t: number) => b + (a - b) / 2 * (Math.cos(Math.PI * t) + 1)
        : (a: number, b: number, t: number) => (b - a) * t + a;
      const maxLr = num("max_lr");
      group.initial_lr = maxLr / num("div_factor");
      group.max_lr = maxLr;
      group.min_lr = group.initial_lr / num("final_div_factor");
      const cycleMomentum = p.cycle_momentum as boolean;
      if (cycleMomentum) {
        group.momentum = num("max_momentum");
        group.max_momentum = num("max_momentum");
        group.base_momentum = num("base_momentum");
      }
      getLr = (s) => {
        const e = s.lastEpoch;
        if (e > total) {
          throw new RangeError(
            `OneCycleLR: tried to step ${e + 1} times; the specified number of total steps is` +
              ` ${total}`,
          );
        }
        let startStep = 0;
        for (let i = 0; i < phases.length; i++) {
          const [endStep, a, b, ma, mb] = phases[i];
          if (e <= endStep || i === phases.length - 1) {
            if (endStep === startStep) {
              throw new RangeError(`OneCycleLR: phase ${i + 1} has zero length (division by zero)`);
            }
            const t = (e - startStep) / (endStep - startStep);
            if (cycleMomentum) group.momentum = anneal(group[ma]!, group[mb]!, t);
            return anneal(group[a]!, group[b]!, t);
          }
          startStep = endStep;
        }
        throw new Error("unreachable");
      };
      break;
    }
    default:
      throw new Error(`internal: no simulation for '${r.cls}'`);
  }

  // _LRScheduler.__init__ with last_epoch = -1.
  if (group.initial_lr === undefined) group.initial_lr = group.lr;
  base = group.initial_lr;
  const sim: _Sim = {
    lastEpoch: -1,
    step(epoch?: number) {
      if (customStep) return customStep(sim, epoch);
      let v: number;
      if (epoch === undefined) {
        sim.lastEpoch += 1;
        v = getLr(sim);
      } else {
        sim.lastEpoch = epoch;
        v = closed ? closed(sim) : getLr(sim);
      }
      group.lr = v;
    },
  };
  sim.step();
  postInit?.();
  return sim;
}

/** A simulated composite: the values of `lr` and `momentum` after each `step()`. */
export interface _Composite {
  /** The group after construction. */
  group: _Group;
  /** Advance by one `scheduler.step()`. */
  step(): void;
}

/** Build a simulated `SequentialLR` on a fresh group with lr `baseLr`. */
export function _sequential(
  inner: readonly _Resolved[],
  milestones: readonly number[],
  baseLr: number,
  lambdaOf: _LambdaOf,
): _Composite {
  const group: _Group = { lr: baseLr };
  const sims = inner.map((r) => _makeSim(r, group, lambdaOf));
  group.lr = group.initial_lr!;
  for (const s of sims) s.lastEpoch -= 1;
  sims[0].step();
  let lastEpoch = 0;
  return {
    group,
    step() {
      lastEpoch += 1;
      let idx = 0;
      while (idx < milestones.length && milestones[idx] <= lastEpoch) idx++;
      if (idx > 0 && milestones[idx - 1] === lastEpoch) sims[idx].step(0);
      else sims[idx].step();
    },
  };
}

/** Build a simulated `ChainedScheduler` on a fresh group with lr `baseLr`. */
export function _chained(
  inner: readonly _Resolved[],
  baseLr: number,
  lambdaOf: _LambdaOf,
): _Composite {
  const group: _Group = { lr: baseLr };
  const sims = inner.map((r) => _makeSim(r, group, lambdaOf));
  return {
    group,
    step() {
      for (const s of sims) s.step();
    },
  };
}
