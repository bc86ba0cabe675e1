/**
 * The PyTorch optimizer fixture cases run through a browser bundle of newbob
 * (`tests/fixtures/torch/optimizers.json`, fetched from the page's server), with the same driver
 * and tolerance as the Deno suite (`runFixtureCase`): on `webgpu` (with a device) or on `wasm`
 * with 2 threads and no inline cut-off (even 1-element cases run on the Worker pool). Shared by
 * the conformance page (`conformance_page.ts`, main thread) and the wasm Worker
 * (`wasm_worker.ts`, a dedicated Worker of the page); loads no DOM.
 *
 * @module
 */

import {
  type CaseResult,
  engineStepper,
  type FixtureCase,
  runFixtureCase,
} from "../_optimizer_fixtures.ts";
import { type Deviation, expectedDeviation } from "./_subnormal_deviation.ts";

/** The bundle's module (`newbob.js`, the bundle of `mod.ts`). */
export type Newbob = typeof import("../../mod.ts");

/** One case's outcome. */
export interface CaseReport {
  suite: "optimizers" | "optimizers_wasm" | "optimizers_wasm_worker" | "transforms" | "returnn";
  id: string;
  pass: boolean;
  /** Failure messages (first few). */
  messages: string[];
  /** Optimizers: worst error in ε32 of the element's scale. */
  worstHist?: number;
  /** A documented deviation this adapter is allowed (see `_subnormal_deviation.ts`). */
  deviation?: Deviation;
}

/** GET a JSON file of the page's server. */
export async function fetchJson<T>(path: string): Promise<T> {
  const r = await fetch(path);
  if (!r.ok) throw new Error(`GET ${path}: HTTP ${r.status}`);
  return await r.json() as T;
}

/**
 * `createOptimizer` of the bundle, noting the backend each optimizer really got and awaiting
 * `afterInit` after each `init`.
 */
function _tracked(
  nb: Newbob,
  backends: Set<string>,
  afterInit?: () => Promise<void>,
): Newbob["createOptimizer"] {
  return async (...args) => {
    const opt = await nb.createOptimizer(...args);
    backends.add(opt.backend);
    if (!afterInit) return opt;
    const init = opt.init.bind(opt);
    return Object.assign(opt, {
      init: async (...a: Parameters<typeof init>) => {
        const state = await init(...a);
        await afterInit();
        return state;
      },
    });
  };
}

/** Options of {@linkcode optimizerCases}. */
export interface OptimizerCasesOptions {
  /** Run on `webgpu` with this device; `null`: on `wasm` with 2 threads. */
  device: GPUDevice | null;
  /** The adapter flushes subnormals: hold the subnormal Adam case to its documented deviation. */
  flushes: boolean;
  /** Gets the backend each optimizer really ran on. */
  backends: Set<string>;
  /** The suite name of the reports. @default {"optimizers" or "optimizers_wasm"} */
  suite?: CaseReport["suite"];
  /** Gets one line per case. */
  log: (line: string) => void;
  /** Awaited after each optimizer's `init` (before its first step). */
  afterInit?: () => Promise<void>;
}

/**
 * Run every PyTorch optimizer fixture case through the bundle.
 *
 * @param nb The bundle.
 * @param options Backend (device or wasm), subnormal handling, where to log.
 * @returns One report per case, in fixture order.
 * @throws {Error} When the fixture file cannot be fetched.
 */
export async function optimizerCases(
  nb: Newbob,
  options: OptimizerCasesOptions,
): Promise<CaseReport[]> {
  const { device, flushes } = options;
  const suite = options.suite ?? (device ? "optimizers" : "optimizers_wasm");
  const create = _tracked(nb, options.backends, options.afterInit);
  const stepper = device ? engineStepper("webgpu", { device, create }) : engineStepper("wasm", {
    create: (dict, o) => create(dict, { ...o, wasm: { threads: 2, inlineBelow: 0 } }),
  });
  const { cases } = await fetchJson<{ cases: FixtureCase[] }>(
    "/tests/fixtures/torch/optimizers.json",
  );
  const out: CaseReport[] = [];
  for (const c of cases) {
    const deviation = flushes ? await expectedDeviation(c) : undefined;
    const r: CaseResult = await runFixtureCase(deviation ? deviation.fixtureCase : c, stepper);
    out.push({
      suite,
      id: c.id,
      pass: r.failures === 0,
      messages: r.messages,
      worstHist: r.worstHist,
      ...(deviation ? { deviation: deviation.summary } : {}),
    });
    options.log(
      `${r.failures === 0 ? "ok  " : "FAIL"} ${suite} ${c.id} (${r.worstHist.toFixed(2)} ε32)`,
    );
  }
  return out;
}
