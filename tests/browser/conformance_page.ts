/// <reference lib="dom" />
/**
 * The browser conformance page's script (bundled by `conformance_test.ts`): loads `newbob.js`
 * (the bundle of `mod.ts`, beside this script) and runs through its public API
 *
 * - every PyTorch optimizer case (`tests/fixtures/torch/optimizers.json`) through
 *   `createOptimizer(dict, { backend: "webgpu" })` on the browser's adapter, compared with the
 *   same driver and tolerance as the Deno suite (`runFixtureCase`);
 * - every PyTorch optimizer case again on the `wasm` backend, asked for 2 threads (the page is
 *   served cross-origin isolated; on its main thread, which cannot block, the backend runs on
 *   one thread and says so), even without an adapter;
 * - every PyTorch transform case (`transforms.json`) on webgpu, with the fixture README's
 *   tolerances (value clip exact, norms rtol 1e-5, parameters 32·2^-23·M_t);
 * - every RETURNN control case (`returnn/cases_public.jsonl`) through
 *   `createLearningRateControl`, the learning-rate file kept as text (`toText()`, `{ text }`):
 *   rates, error keys, exceptions, and the file's text byte for byte.
 *
 * Result: `window.__conformance` = {@linkcode ConformanceReport}.
 *
 * @module
 */

import { type CaseReport, fetchJson, type Newbob, optimizerCases } from "./_optimizer_cases.ts";
import { ALIAS_CONFLICTS, decode, normalise, type ReturnnCase } from "../_returnn_fixtures.ts";

export type { CaseReport } from "./_optimizer_cases.ts";

/** What the page reports. */
export interface ConformanceReport {
  adapter: {
    vendor: string;
    architecture: string;
    description: string;
    isFallbackAdapter: boolean | null;
  } | null;
  /** The backend the optimizers really ran on (`webgpu` unless something fell back). */
  backends: string[];
  subnormals: { flushesInputs: boolean; flushesResults: boolean } | null;
  /**
   * The wasm backend: whether the page was cross-origin isolated (SharedArrayBuffer, so Workers)
   * and the backend's one-thread notice, if it printed one.
   */
  wasm: { crossOriginIsolated: boolean; oneThreadNote: string | null } | null;
  cases: CaseReport[];
  seconds: number;
  error?: string;
}

const log = (line: string) => {
  document.getElementById("log")!.textContent += line + "\n";
};

// deno-lint-ignore no-explicit-any
type TransformCase = any;

async function transformCases(nb: Newbob, device: GPUDevice): Promise<CaseReport[]> {
  const { cases } = await fetchJson<{ cases: TransformCase[] }>(
    "/tests/fixtures/torch/transforms.json",
  );
  const F = (xs: number[][]) => xs.map((x) => Float32Array.from(x));
  const normType = (v: unknown) => v === "inf" ? "inf" as const : v === 1 ? 1 as const : 2 as const;
  const dict = (c: TransformCase) => {
    const { lr: _lr, ...params } = c.optimizer.params;
    return { class: c.optimizer.class, ...params };
  };
  const out: CaseReport[] = [];
  for (const c of cases) {
    const messages: string[] = [];
    const fail = (m: string) => messages.length < 5 && messages.push(m);
    const close = (a: number, e: number, rtol: number, what: string) => {
      if (!(Math.abs(a - e) <= rtol * Math.abs(e) || (a === 0 && e === 0))) {
        fail(`${what}: ${a} vs ${e}`);
      }
    };
    const checkParams = (k: number, got: Float32Array[], M: Float32Array[]) => {
      const exp = c.steps[k].expected;
      got.forEach((g, i) =>
        g.forEach((v, j) => {
          M[i][j] = Math.max(M[i][j], Math.abs(exp[i][j]));
          if (!(Math.abs(v - exp[i][j]) <= 32 * 2 ** -23 * M[i][j])) {
            fail(`step ${k + 1} [${i}][${j}]: ${v} vs ${exp[i][j]}`);
          }
        })
      );
    };
    const p = c.transform.params;
    try {
      if (c.transform.name === "accumulate") {
        const s = p.reduction === "mean" ? Math.fround(1 / p.micro_batches) : 1;
        const opt = await nb.createOptimizer(
          nb.chain(nb.accumulateGradients(p.micro_batches), dict(c)),
          { backend: "webgpu", device },
        );
        const st = await opt.init(F(c.init));
        const M = F(c.init).map((a) => a.map(Math.abs));
        for (let k = 0; k < c.steps.length; k++) {
          for (const micro of c.steps[k].micro_grads) {
            const g = F(micro).map((a) => a.map((v) => Math.fround(v * s)));
            await opt.step(st, g, { learningRate: c.steps[k].lr });
          }
          checkParams(k, await opt.read(st), M);
        }
        opt.dispose(st);
      } else if (c.optimizer) {
        const t = nb.clipByGlobalNorm(p.max_norm, { normType: normType(p.norm_type) });
        const opt = await nb.createOptimizer(nb.chain(t, dict(c)), { backend: "webgpu", device });
        const st = await opt.init(F(c.init));
        const M = F(c.init).map((a) => a.map(Math.abs));
        for (let k = 0; k < c.steps.length; k++) {
          await opt.step(st, F(c.steps[k].grads), { learningRate: c.steps[k].lr });
          close(await opt.lastGradNorm(st), c.steps[k].total_norm, 1e-5, `step ${k + 1} norm`);
          checkParams(k, await opt.read(st), M);
        }
        opt.dispose(st);
      } else {
        const byValue = c.transform.name === "clip_grad_value_";
        const t = byValue
          ? nb.clipByValue(p.clip_value)
          : nb.clipByGlobalNorm(p.max_norm, { normType: normType(p.norm_type) });
        const opt = await nb.createOptimizer(nb.chain(t, { class: "sgd" }), {
          backend: "webgpu",
          device,
        });
        const st = await opt.init(c.grads.map((g: number[]) => new Float32Array(g.length)));
        await opt.step(st, F(c.grads), { learningRate: 1 });
        (await opt.read(st)).forEach((g, i) =>
          g.forEach((v, j) => {
            const e = c.expected_grads[i][j];
            if (byValue) {
              if (-v !== e) fail(`[${i}][${j}] ${-v} vs ${e}`);
            } else close(-v, e, 1e-5, `[${i}][${j}]`);
          })
        );
        if (!byValue) close(await opt.lastGradNorm(st), c.total_norm, 1e-5, "total_norm");
        opt.dispose(st);
      }
    } catch (e) {
      fail(`threw ${(e as Error).name}: ${(e as Error).message}`);
    }
    out.push({ suite: "transforms", id: c.id, pass: messages.length === 0, messages });
    log(`${messages.length === 0 ? "ok  " : "FAIL"} transforms ${c.id}`);
  }
  return out;
}

async function returnnCases(nb: Newbob): Promise<CaseReport[]> {
  const text = await (await fetch("/tests/fixtures/returnn/cases_public.jsonl")).text();
  const cases = text.split("\n").filter((l) => l.trim() !== "").map((l) =>
    JSON.parse(l) as ReturnnCase
  );
  const out: CaseReport[] = [];
  for (const c of cases) {
    const messages: string[] = [];
    const same = (a: unknown, e: unknown, what: string) => {
      if (!(a === e || (Number.isNaN(a) && Number.isNaN(e)))) {
        if (messages.length < 5) {
          messages.push(`${what}: ${JSON.stringify(a)} vs ${JSON.stringify(e)}`);
        }
      }
    };
    try {
      const config = { ...c.config };
      if (ALIAS_CONFLICTS.has(c.id)) delete config.relative_error_div_by_old;
      const start = (text: string | null) =>
        nb.createLearningRateControl(config, { file: null, ...(text !== null ? { text } : {}) });
      let control = await start(c.initial_lr_file_text);
      for (const e of c.epochs) {
        if (e.epoch === c.restart_before_epoch) {
          same(control.toText(), normalise(c.restart_file_text!), `epoch ${e.epoch} restart file`);
          control = await start(control.toText());
        }
        same(control.learningRateForEpoch(e.epoch), e.expected_lr, `epoch ${e.epoch} lr`);
        if (e.meta) Object.assign(control.epochMeta(e.epoch), e.meta);
        if (e.scores !== null) {
          control.setEpochError(e.epoch, decode(e.scores) as Record<string, number>);
        }
        same(control.errorKey(e.epoch), e.error_key, `epoch ${e.epoch} error key`);
      }
      if (c.exception !== null) {
        const epoch = c.exception.epoch;
        try {
          control.learningRateForEpoch(epoch);
          messages.push(`epoch ${epoch}: expected a LearningRateControlError`);
        } catch (err) {
          if (!(err instanceof nb.LearningRateControlError) || err.epoch !== epoch) {
            messages.push(`epoch ${epoch}: threw ${err}`);
          }
        }
      }
      same(control.toText(), normalise(c.lr_file_text), "final file text");
      if (c.next_lr !== null) {
        const last = c.epochs[c.epochs.length - 1].epoch;
        same(control.learningRateForEpoch(last + 1), c.next_lr, "next_lr");
      }
    } catch (e) {
      messages.push(`threw ${(e as Error).name}: ${(e as Error).message}`);
    }
    out.push({ suite: "returnn", id: c.id, pass: messages.length === 0, messages });
    log(`${messages.length === 0 ? "ok  " : "FAIL"} returnn ${c.id}`);
  }
  return out;
}

async function main(): Promise<ConformanceReport> {
  const t0 = performance.now();
  const report: ConformanceReport = {
    adapter: null,
    backends: [],
    subnormals: null,
    wasm: null,
    cases: [],
    seconds: 0,
  };
  try {
    const nb: Newbob = await import(new URL("./newbob.js", import.meta.url).href);
    const adapter = await navigator.gpu?.requestAdapter();
    if (adapter) {
      report.adapter = {
        vendor: adapter.info.vendor,
        architecture: adapter.info.architecture,
        description: adapter.info.description,
        isFallbackAdapter: (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter ??
          (adapter.info as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? null,
      };
    }
    report.cases.push(...await returnnCases(nb));
    // The wasm backend says once when it runs on one thread (console.warn): keep that line.
    let oneThreadNote: string | null = null;
    const warn = console.warn;
    console.warn = (...a: unknown[]) => {
      const text = a.map(String).join(" ");
      if (text.startsWith("newbob wasm backend:")) oneThreadNote = text;
      warn(...a);
    };
    const wasmBackends = new Set<string>();
    try {
      report.cases.push(
        ...await optimizerCases(nb, {
          device: null,
          flushes: false,
          backends: wasmBackends,
          log,
        }),
      );
    } finally {
      console.warn = warn;
    }
    report.wasm = { crossOriginIsolated: globalThis.crossOriginIsolated === true, oneThreadNote };
    if (adapter) {
      // newbob's own device acquisition, as a browser user would call it.
      const { device } = await nb.acquireGpu();
      report.subnormals = await nb.subnormalModes(device);
      const flushes = report.subnormals.flushesInputs || report.subnormals.flushesResults;
      const backends = new Set<string>();
      report.cases.push(...await optimizerCases(nb, { device, flushes, backends, log }));
      report.cases.push(...await transformCases(nb, device));
      report.backends = [...backends];
    }
  } catch (e) {
    report.error = `${(e as Error)?.name}: ${(e as Error)?.message}\n${(e as Error)?.stack}`;
  }
  report.seconds = (performance.now() - t0) / 1000;
  return report;
}

(globalThis as { __conformance?: ConformanceReport }).__conformance = await main();
