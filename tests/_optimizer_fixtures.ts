/**
 * Driver for `tests/fixtures/torch/optimizers.json`: runs every case (PyTorch reference trajectories) through
 * a `Stepper` (the float32 CPU references of the optimizer definitions, a kernel harness, or the
 * engine's public API on any backend), compared step by step with the
 * per-element tolerance the fixture README recommends:
 * `|a - e| <= 32 · 2^-23 · M_t`, M_t being the largest |p| the element has had so far (init,
 * earlier expected values and this step's expected value: an element starting at exactly 0 has
 * no other scale on its first step). In `ftz_sensitive` cases each element may match
 * `expected` or `expected_ftz`, or lie between them (`|expected - expected_ftz|` is added to its
 * tolerance, for devices that flush denormals in some operations only).
 *
 * The comparison is written against a small `Stepper` seam (`runFixtureCase(case, makeStepper)`)
 * so the same cases also run through the engine's public API (`createOptimizer`) on each
 * backend.
 *
 * Prints the worst error per optimizer in units of `hist` = |a-e| / (2^-23 · M_t).
 *
 * @module
 */

import { createOptimizer } from "../optimizers/engine_create.ts";
import type { Backend } from "../optimizers/engine.ts";
import { resolveOptimizerConfig } from "../optimizers/registry.ts";
import type { SavedOptimizerState } from "../optimizers/state.ts";
import type { HostState, Hyper, OptimizerDef } from "../optimizers/types.ts";

/** One optimizer case of the fixture file. */
export interface FixtureCase {
  id: string;
  optimizer: {
    class: string;
    params: Record<string, number | boolean | number[]>;
    given: Record<string, unknown>;
    torch_path: string;
  };
  shapes: number[][];
  grad_kind: string;
  init: number[][];
  steps: {
    lr: number;
    grads: number[][];
    expected: number[][];
    expected_ftz?: number[][];
  }[];
  ftz_sensitive: boolean;
  /** Per-element state after the last step, by slot name, one array per tensor (some files). */
  expected_state?: Record<string, number[][]>;
}

/** Something that takes optimizer steps on the case's parameters and reports them. */
export interface Stepper {
  /** Take one step with this learning rate and these gradients; return the parameters after. */
  step(lr: number, grads: Float32Array[]): Promise<Float32Array[]> | Float32Array[];
  /** Release resources (GPU buffers). */
  dispose?(): void | Promise<void>;
}

/** Build a stepper for a case, starting from `init`. */
export type StepperFactory = (c: FixtureCase, init: Float32Array[]) => Promise<Stepper> | Stepper;

/** Result of one case. */
export interface CaseResult {
  /** Worst |a-e| / (2^-23·M_t) over every element and step. */
  worstHist: number;
  /** Elements beyond the tolerance (0 = pass). */
  failures: number;
  /** First few failure descriptions. */
  messages: string[];
}

/** Tolerance of the per-element metric, in units of 2^-23·M_t. */
export const HIST_TOLERANCE = 32;
const EPS32 = 2 ** -23;

/** The optimizer dict of a case as a user would write it: class + params without `lr`. */
export function fixtureOptimizerDict(c: FixtureCase): Record<string, unknown> {
  const { lr: _lr, ...params } = c.optimizer.params;
  return { class: c.optimizer.class, ...params };
}

/** Run one fixture case through a stepper and compare every step. */
export async function runFixtureCase(
  c: FixtureCase,
  makeStepper: StepperFactory,
): Promise<CaseResult> {
  const init = c.init.map((a) => Float32Array.from(a));
  const maxAbs = c.init.map((a) => Float64Array.from(a, Math.abs));
  const stepper = await makeStepper(c, init.map((a) => a.slice()));
  let worst = 0;
  let failures = 0;
  const messages: string[] = [];
  try {
    for (let k = 0; k < c.steps.length; k++) {
      const st = c.steps[k];
      const out = await stepper.step(st.lr, st.grads.map((a) => Float32Array.from(a)));
      for (let t = 0; t < st.expected.length; t++) {
        const e = st.expected[t], eFtz = st.expected_ftz?.[t], a = out[t], m = maxAbs[t];
        if (a.length !== e.length) throw new Error(`${c.id}: tensor ${t} has length ${a.length}`);
        for (let i = 0; i < e.length; i++) {
          // The element's own scale: the largest |p| it has had so far, this step's value
          // included (an element that starts at exactly 0 has no other scale on step 1).
          if (Math.abs(e[i]) > m[i] && Number.isFinite(e[i])) m[i] = Math.abs(e[i]);
          let err = Math.abs(a[i] - e[i]);
          if (Number.isNaN(a[i]) && Number.isNaN(e[i])) err = 0;
          // ±Infinity (eps = 0 with an underflowed v) must match exactly; a non-finite value
          // on one side only is a failure however large the element's scale.
          if (err !== 0 && (!Number.isFinite(a[i]) || !Number.isFinite(e[i]))) {
            err = a[i] === e[i] ? 0 : Infinity;
          }
          if (c.ftz_sensitive && eFtz !== undefined) {
            // A device that flushes denormals in some operations only lands anywhere between
            // the two trajectories: |e - e_ftz| is added to the tolerance (fixture README).
            // This also accepts a match to `expected_ftz` itself (triangle inequality).
            const slack = Math.abs(e[i] - eFtz[i]);
            if (Number.isFinite(slack)) err = Math.max(0, err - slack);
            if (Number.isNaN(a[i]) && Number.isNaN(eFtz[i])) err = 0;
          }
          const scale = EPS32 * m[i];
          const hist = err === 0 ? 0 : scale === 0 || err === Infinity ? Infinity : err / scale;
          if (!(hist <= worst)) worst = Number.isNaN(hist) ? Infinity : Math.max(worst, hist);
          if (!(err <= HIST_TOLERANCE * scale) && err !== 0) {
            failures++;
            if (messages.length < 5) {
              messages.push(
                `${c.id} step ${k + 1} tensor ${t} [${i}]: got ${a[i]}, expected ${e[i]}` +
                  ` (hist ${hist.toFixed(2)}, M_t ${m[i]})`,
              );
            }
          }
        }
      }
    }
  } finally {
    await stepper.dispose?.();
  }
  return { worstHist: worst, failures, messages };
}

/**
 * The reference driver: resolves the case's dict through the registry, applies the engine's
 * prologue (maximize, then coupled or decoupled weight decay) and calls `scalars` and `cpu`
 * directly.
 */
export const referenceStepper: StepperFactory = (c, init) => {
  const { def, hyper } = resolveOptimizerConfig(fixtureOptimizerDict(c), {
    returnnEpsilon: false,
  });
  return _definitionStepper(def, hyper, init);
};

function _definitionStepper(def: OptimizerDef, h: Hyper, params: Float32Array[]): Stepper {
  const f = Math.fround;
  const names = def.slots(h);
  const slots = params.map((p) =>
    names.map((n) => new Float32Array(p.length).fill(def.slotInit(h, n)))
  );
  const host: HostState = { step: 0, ...def.hostInit(h) };
  const maximize = h.maximize === true;
  const wd = typeof h.weight_decay === "number" ? h.weight_decay : 0;
  return {
    step(lr, grads) {
      host.step++;
      const s = Float32Array.from(def.scalars(h, host, lr));
      for (let t = 0; t < params.length; t++) {
        const p = params[t], g = grads[t];
        if (maximize) { for (let i = 0; i < g.length; i++) g[i] = -g[i]; }
        if (wd !== 0 && def.weightDecay === "coupled") {
          const w = f(wd);
          // One fused multiply-add, as torch's grad.add(param, alpha=wd) (exact product).
          for (let i = 0; i < g.length; i++) g[i] = f(g[i] + w * p[i]);
        } else if (wd !== 0 && def.weightDecay === "decoupled") {
          const decay = f(1 - lr * wd);
          for (let i = 0; i < p.length; i++) p[i] = f(p[i] * decay);
        }
        def.cpu(h, s, p, g, slots[t], 0, p.length);
      }
      return params.map((p) => p.slice());
    },
  };
}

/** Options of {@linkcode engineStepper}. */
export interface EngineStepperOptions {
  /** Use this device on webgpu. */
  device?: GPUDevice;
  /** `createOptimizer`'s default options (RETURNN's epsilon default) instead of PyTorch's. */
  publicDefaults?: boolean;
  /** Check the exported state after the last step (throw to fail the case). */
  checkState?: (c: FixtureCase, saved: SavedOptimizerState) => void;
  /** `createOptimizer` from another build of newbob (the browser bundle). */
  create?: typeof createOptimizer;
}

/**
 * A stepper through the engine's public API: `createOptimizer(dict, {backend})`, `init`,
 * `step(state, grads, {learningRate})`, `read`. The dict is the case's `optimizer.params`
 * without `lr` (it goes per step), with PyTorch's epsilon defaults (`returnnEpsilon: false`;
 * the fixture dicts set `eps` explicitly anyway) unless `publicDefaults`. `options.create` is
 * `createOptimizer` from another build of newbob (the browser bundle) if given.
 */
export function engineStepper(
  backend: Backend,
  options: EngineStepperOptions = {},
): StepperFactory {
  return async (c, init) => {
    const create = options.create ?? createOptimizer;
    const opt = await create(fixtureOptimizerDict(c), {
      backend,
      ...(options.publicDefaults ? {} : { returnnEpsilon: false }),
      ...(options.device ? { device: options.device } : {}),
    });
    const state = await opt.init(init);
    return {
      async step(lr, grads) {
        await opt.step(state, grads, { learningRate: lr });
        return await opt.read(state);
      },
      async dispose() {
        const saved = options.checkState ? await opt.exportState(state) : null;
        opt.dispose(state);
        if (saved) options.checkState!(c, saved);
      },
    };
  };
}

/** Load the fixture cases. */
export async function loadFixtureCases(): Promise<FixtureCase[]> {
  const text = await Deno.readTextFile(
    new URL("./fixtures/torch/optimizers.json", import.meta.url),
  );
  return (JSON.parse(text) as { cases: FixtureCase[] }).cases;
}

function _decode(v: unknown): unknown {
  if (v === "NaN") return NaN;
  if (v === "Infinity") return Infinity;
  if (v === "-Infinity") return -Infinity;
  if (Array.isArray(v)) return v.map(_decode);
  return v;
}

/**
 * Load a fixture file (path relative to `tests/fixtures/`) whose NaN and ±Infinity are written as
 * the strings `"NaN"`, `"Infinity"`, `"-Infinity"` (JSON has no literal for them).
 */
export async function loadNonFiniteFixtureCases(path: string): Promise<FixtureCase[]> {
  const text = await Deno.readTextFile(new URL(`./fixtures/${path}`, import.meta.url));
  const cases = (JSON.parse(text) as { cases: FixtureCase[] }).cases;
  for (const c of cases) {
    c.init = _decode(c.init) as number[][];
    for (const st of c.steps) {
      st.grads = _decode(st.grads) as number[][];
      st.expected = _decode(st.expected) as number[][];
      if (st.expected_ftz) st.expected_ftz = _decode(st.expected_ftz) as number[][];
    }
    for (const [slot, arrays] of Object.entries(c.expected_state ?? {})) {
      c.expected_state![slot] = _decode(arrays) as number[][];
    }
  }
  return cases;
}

/** A NaN result where torch has a finite value (or the reverse): one line per mismatch. */
export function nanMismatches(c: FixtureCase, got: Float32Array[][]): string[] {
  const out: string[] = [];
  got.forEach((ps, k) =>
    ps.forEach((p, t) =>
      p.forEach((a, i) => {
        const e = c.steps[k].expected[t][i];
        const eFtz = c.steps[k].expected_ftz?.[t][i];
        const nanOk = Number.isNaN(e) || (eFtz !== undefined && Number.isNaN(eFtz));
        if (Number.isNaN(a) !== Number.isNaN(e) && !(Number.isNaN(a) && nanOk)) {
          if (out.length < 5) {
            out.push(`${c.id} step ${k + 1} tensor ${t} [${i}]: got ${a}, expected ${e}`);
          }
        }
      })
    )
  );
  return out;
}

/**
 * Run every case as a test step through `make`, recording the worst errors in `table`; a step
 * fails on an element beyond the tolerance or on a NaN mismatch.
 */
export async function runFixtureSteps(
  t: Deno.TestContext,
  cases: readonly FixtureCase[],
  backend: string,
  make: StepperFactory,
  table: WorstTable,
): Promise<void> {
  for (const c of cases) {
    await t.step(c.id, async () => {
      const seen: Float32Array[][] = [];
      const recording: StepperFactory = async (c, init) => {
        const s = await make(c, init);
        return {
          async step(lr, grads) {
            const out = await s.step(lr, grads);
            seen.push(out.map((a) => a.slice()));
            return out;
          },
          dispose: () => s.dispose?.(),
        };
      };
      const r = await runFixtureCase(c, recording);
      table.add(backend, c.optimizer.class, c.id, r);
      const nan = nanMismatches(c, seen);
      if (r.failures > 0 || nan.length > 0) {
        throw new Error(
          `${r.failures} elements beyond tolerance, NaN mismatches ${nan.length}:\n` +
            [...r.messages, ...nan].join("\n"),
        );
      }
    });
  }
}

/** Collect results per backend and optimizer class, and print them as a table. */
export class WorstTable {
  #rows = new Map<string, Map<string, { worst: number; cases: number; worstId: string }>>();

  /** Record a case result. */
  add(backend: string, cls: string, id: string, r: CaseResult): void {
    let b = this.#rows.get(backend);
    if (!b) this.#rows.set(backend, b = new Map());
    const row = b.get(cls) ?? { worst: 0, cases: 0, worstId: id };
    row.cases++;
    if (r.worstHist >= row.worst) {
      row.worst = r.worstHist;
      row.worstId = id;
    }
    b.set(cls, row);
  }

  /** Render the table. */
  toString(): string {
    const lines = [];
    for (const [backend, b] of this.#rows) {
      lines.push(
        `\nworst error per optimizer, backend '${backend}' (hist = |a-e|/(2^-23·M_t), ` +
          `tolerance ${HIST_TOLERANCE}):`,
      );
      lines.push("  optimizer  cases  worst hist  worst case");
      for (const [cls, r] of [...b].sort()) {
        lines.push(
          `  ${cls.padEnd(9)}  ${String(r.cases).padStart(5)}  ${
            r.worst.toFixed(3).padStart(10)
          }  ${r.worstId}`,
        );
      }
    }
    return lines.join("\n");
  }
}
