/**
 * The long reliability runs (`deno task stress`; the fast versions are in `deno task test`):
 *
 * - crash safety: at least 30 SIGKILLs at random moments (mid-step, mid-eval, mid-save), each
 *   followed by a file check and a resume; every trial ends bitwise equal to an uninterrupted run;
 * - hostile inputs: tens of thousands of random and mutated inputs plus 10 MB hostile ones for
 *   the learning-rate-file parser and the JSON config loader, each job in a worker with a
 *   deadline (a hang is reported, not waited for);
 * - disk faults: ENOSPC / read-only at random saves; the previous files stay intact and the
 *   resumed run equals an undisturbed one;
 * - numeric faults: random NaN/Inf gradient sequences on `cpu` (and `webgpu` when present)
 *   against a model of `num_allowed_consec_invalid_gradient_steps`;
 * - hardware faults: the WebGPU device destroyed at random steps (when an adapter exists).
 *
 * Prints the counts (kills survived, fuzz inputs tried, faults injected, losses) and exits 1 when
 * anything was lost.
 *
 * @module
 */

import { join } from "node:path";
import { crashTrials, referenceRun, rng, tinyConfig } from "./_crash.ts";
import { fuzzCheckpoint, type FuzzStats } from "./_fuzz.ts";
import type { FuzzJob } from "./_fuzz_worker.ts";
import { tempDir } from "./_gpu.ts";
import { trainWithHooks } from "./_train_hooks.ts";
import { installWriteShim } from "./_write_shim.ts";
import { createOptimizer, InvalidGradientError } from "../optimizers/mod.ts";
import { chain, skipInvalidGradients } from "../transforms/mod.ts";
import { GpuDeviceLostError } from "../gpu/errors.ts";
import { CheckpointError, decodeCheckpoint } from "../trainer/checkpoint.ts";
import { parseLearningRateFile } from "../control/lr_file.ts";

const problems: string[] = [];
const t00 = performance.now();
const say = (line: string) => console.log(line);
const secs = (t0: number) => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
const hasGpu = (await navigator.gpu?.requestAdapter().catch(() => null) ?? null) !== null;
const root = await tempDir("stress-");

// ------------------------------------------------------------------ crash safety
async function crash() {
  const t0 = performance.now();
  const totals = {
    kills: 0,
    runs: 0,
    checks: 0,
    midWrite: 0,
    losses: 0,
    byPhase: {} as Record<string, number>,
  };
  const jobs: [Record<string, unknown>, number][] = [
    [tinyConfig(4), 18],
    [{
      ...tinyConfig(4),
      learning_rate_control: "newbob_multi_epoch",
      newbob_multi_num_epochs: 2,
      newbob_multi_update_interval: 1,
      optimizer: { class: "sgd", momentum: 0.9 },
      gradient_clip_global_norm: 1,
    }, 18],
  ];
  for (const [i, [config, kills]] of jobs.entries()) {
    const dir = join(root, `crash${i}`);
    await Deno.mkdir(dir, { recursive: true });
    const reference = await referenceRun(dir, config);
    const s = await crashTrials(dir, config, reference, kills, 1000 + i);
    totals.kills += s.kills;
    totals.runs += s.runs;
    totals.checks += s.checks;
    totals.midWrite += s.midWrite;
    totals.losses += s.losses;
    for (const [k, v] of Object.entries(s.byPhase)) {
      totals.byPhase[k] = (totals.byPhase[k] ?? 0) + v;
    }
    problems.push(...s.problems);
  }
  say(
    `crash: ${totals.kills} SIGKILLs survived (${
      Object.entries(totals.byPhase).map(([k, v]) => `${k} ${v}`).join(", ")
    }; ${totals.midWrite} inside a file write), ${totals.runs} processes, ${totals.checks} file checks, ${totals.losses} losses (${
      secs(t0)
    })`,
  );
  return totals;
}

// ------------------------------------------------------------------ hostile inputs
function fuzzInWorker(job: FuzzJob, deadlineMs: number): Promise<FuzzStats> {
  const worker = new Worker(new URL("./_fuzz_worker.ts", import.meta.url), { type: "module" });
  return new Promise<FuzzStats>((resolve) => {
    const timer = setTimeout(() => {
      worker.terminate();
      resolve({
        tried: 0,
        accepted: 0,
        rejected: 0,
        maxMs: deadlineMs,
        maxHeapMb: 0,
        problems: [`${job.target} fuzz job (seed ${job.seed}) hung: no answer in ${deadlineMs} ms`],
      });
    }, deadlineMs);
    worker.onmessage = (e: MessageEvent<FuzzStats>) => {
      clearTimeout(timer);
      worker.terminate();
      resolve(e.data);
    };
    worker.onerror = (e) => {
      e.preventDefault();
      clearTimeout(timer);
      worker.terminate();
      resolve({
        tried: 0,
        accepted: 0,
        rejected: 0,
        maxMs: 0,
        maxHeapMb: 0,
        problems: [`${job.target} fuzz worker crashed: ${e.message}`],
      });
    };
    worker.postMessage(job);
  });
}

async function fuzz() {
  const t0 = performance.now();
  const jobs: FuzzJob[] = [
    { target: "lr", count: 0, seed: 1, big: true },
    { target: "config", count: 0, seed: 2, big: true },
    { target: "lr", count: 12_000, seed: 3, big: false },
    { target: "lr", count: 12_000, seed: 4, big: false },
    { target: "config", count: 12_000, seed: 5, big: false },
    { target: "config", count: 12_000, seed: 6, big: false },
  ];
  const total = {
    lr: 0,
    config: 0,
    checkpoint: 0,
    rejected: 0,
    maxMs: 0,
    maxHeapMb: 0,
    problems: 0,
  };
  for (const job of jobs) {
    const s = await fuzzInWorker(job, 300_000);
    total[job.target] += s.tried;
    total.rejected += s.rejected;
    total.maxMs = Math.max(total.maxMs, s.maxMs);
    total.maxHeapMb = Math.max(total.maxHeapMb, s.maxHeapMb);
    if (s.maxHeapMb > 2048) s.problems.push(`${job.target}: heap grew by ${s.maxHeapMb} MB`);
    total.problems += s.problems.length;
    problems.push(...s.problems);
  }
  // Checkpoints: mutations of a real one (from the crash reference run).
  const ck = await Deno.readFile(join(root, "crash0", "reference", "checkpoint.nbck"));
  const c = fuzzCheckpoint(ck, 20_000, 8, decodeCheckpoint, (e) => e instanceof CheckpointError);
  total.checkpoint = c.tried;
  total.problems += c.problems.length;
  problems.push(...c.problems.map((p) => `checkpoint: ${p}`));
  say(
    `fuzz: ${
      total.lr + total.config + total.checkpoint
    } inputs tried (learning-rate file ${total.lr}, JSON config ${total.config}, checkpoint ${total.checkpoint}; 10 MB hostile ones included), ${total.rejected} text inputs rejected with line/column errors, ${total.problems} problems, slowest input ${
      total.maxMs.toFixed(0)
    } ms, largest heap growth ${total.maxHeapMb.toFixed(0)} MB (${secs(t0)})`,
  );
  return total;
}

// ------------------------------------------------------------------ disk faults
async function disk() {
  const t0 = performance.now();
  const random = rng(77);
  const config = tinyConfig(3);
  const refOut = join(root, "disk-ref");
  await trainWithHooks(config, refOut);
  const ref = await Deno.readTextFile(join(refOut, "learning_rates"));
  const refCk = await Deno.readFile(join(refOut, "checkpoint.nbck"));
  let injected = 0;
  let losses = 0;
  const rounds = 24;
  for (let i = 0; i < rounds; i++) {
    const out = join(root, `disk${i}`);
    const shim = installWriteShim(out);
    const fault = random() < 0.5 ? "full" : "readonly";
    const where = random() < 0.5 ? "saveLr" : "saveCheckpoint";
    const n = where === "saveLr" ? 2 + Math.floor(random() * 5) : 1 + Math.floor(random() * 3);
    let before: [string, Uint8Array] | null = null;
    const arm = async () => {
      before = await Promise.all([
        Deno.readTextFile(join(out, "learning_rates")).catch(() => ""),
        Deno.readFile(join(out, "checkpoint.nbck")).catch(() => new Uint8Array()),
      ]);
      shim.arm(fault);
    };
    let lost = false;
    try {
      await trainWithHooks(config, out, {
        saveLr: (k) => where === "saveLr" && k === n ? arm() : undefined,
        saveCheckpoint: (k) => where === "saveCheckpoint" && k === n ? arm() : undefined,
      });
      if (shim.faults > 0) {
        problems.push(`disk round ${i}: a ${fault} fault at ${where} ${n} went unreported`);
        lost = true;
      }
    } catch (e) {
      if ((e as Error).name !== "SaveError") {
        problems.push(`disk round ${i}: ${(e as Error).name}: ${(e as Error).message}`);
        lost = true;
      }
      injected += shim.faults > 0 ? 1 : 0;
      shim.disarm();
      const [lr, ck] = await Promise.all([
        Deno.readTextFile(join(out, "learning_rates")).catch(() => ""),
        Deno.readFile(join(out, "checkpoint.nbck")).catch(() => new Uint8Array()),
      ]);
      if (before && (lr !== before[0] || !sameBytes(ck, before[1]))) {
        problems.push(`disk round ${i}: the previous files changed after a ${fault} fault`);
        lost = true;
      }
    } finally {
      shim.restore();
    }
    await trainWithHooks(config, out);
    const lr = await Deno.readTextFile(join(out, "learning_rates"));
    const ck = await Deno.readFile(join(out, "checkpoint.nbck"));
    parseLearningRateFile(lr);
    decodeCheckpoint(ck, "checkpoint");
    if (lr !== ref || !sameBytes(ck, refCk)) {
      problems.push(`disk round ${i}: the resumed run differs from the undisturbed one`);
      lost = true;
    }
    if (lost) losses++;
  }
  say(
    `disk: ${injected} faults injected (ENOSPC, read-only) in ${rounds} runs, ${losses} losses (${
      secs(t0)
    })`,
  );
  return { injected, losses };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

// ------------------------------------------------------------------ numeric faults
/** Expected outcome of SGD (lr 0.5) with the invalid-gradient rule. */
function model(allowed: number, steps: { g: number; epoch: number }[]) {
  let p = [1, 2, 3, 4].map(Math.fround);
  let consec = 0;
  let lastEpoch: number | null = null;
  for (const [i, s] of steps.entries()) {
    if (s.epoch !== lastEpoch) consec = 0;
    lastEpoch = s.epoch;
    if (!Number.isFinite(s.g)) {
      consec++;
      if (consec > allowed) return { abortStep: i + 1, p };
      continue;
    }
    consec = 0;
    p = p.map((x) => Math.fround(x - Math.fround(0.5 * s.g)));
  }
  return { abortStep: 0, p };
}

async function numeric(backend: "cpu" | "webgpu", sequences: number) {
  const t0 = performance.now();
  const random = rng(backend === "cpu" ? 5 : 6);
  let injected = 0;
  let losses = 0;
  const values = [1, -1, 0.25, NaN, Infinity, -Infinity];
  for (let k = 0; k < sequences; k++) {
    const allowed = Math.floor(random() * 4);
    let epoch = 1;
    const steps = Array.from({ length: 3 + Math.floor(random() * 12) }, () => {
      if (random() < 0.15) epoch++;
      return { g: values[Math.floor(random() * values.length)], epoch };
    });
    injected += steps.filter((s) => !Number.isFinite(s.g)).length;
    const want = model(allowed, steps);
    const opt = await createOptimizer(
      chain(skipInvalidGradients(allowed, { checkInterval: 1 }), { class: "sgd" }),
      { backend },
    );
    const state = await opt.init([new Float32Array([1, 2, 3, 4])], { names: ["w"] });
    let abortStep = 0;
    let p: Float32Array | undefined;
    try {
      for (const s of steps) {
        await opt.step(state, [new Float32Array(4).fill(s.g)], {
          learningRate: 0.5,
          epoch: s.epoch,
        });
      }
      [p] = await opt.read(state);
    } catch (e) {
      if (!(e instanceof InvalidGradientError)) throw e;
      abortStep = e.step;
    } finally {
      opt.dispose(state);
    }
    const ok = abortStep === want.abortStep &&
      (want.abortStep !== 0 || (p !== undefined && p.every((x, i) => x === want.p[i])));
    if (!ok) {
      losses++;
      problems.push(
        `numeric ${backend}: allowed ${allowed}, grads ${
          JSON.stringify(steps.map((s) => `${s.g}@${s.epoch}`))
        }: got abort ${abortStep} params ${p}, expected abort ${want.abortStep} params ${want.p}`,
      );
    }
  }
  say(
    `numeric ${backend}: ${injected} NaN/Inf gradients injected in ${sequences} sequences, ${losses} mismatches (${
      secs(t0)
    })`,
  );
  return { injected, losses };
}

// ------------------------------------------------------------------ hardware faults
async function hardware(rounds: number) {
  const t0 = performance.now();
  const random = rng(99);
  let injected = 0;
  let losses = 0;
  for (let i = 0; i < rounds; i++) {
    const out = join(root, `lost${i}`);
    const at = 13 + Math.floor(random() * 24); // epochs 2 and 3
    let error: unknown;
    try {
      await trainWithHooks({ ...tinyConfig(3), backend: "webgpu" }, out, {
        grads: (n, _g, device) => {
          if (n === at) {
            injected++;
            device!.destroy();
          }
        },
      });
    } catch (e) {
      error = e;
    }
    let lost = !(error instanceof GpuDeviceLostError) || !/--backend cpu/.test(error.message);
    if (lost) problems.push(`device lost at step ${at}: ${error}`);
    try {
      const r = await trainWithHooks({ ...tinyConfig(3), backend: "cpu" }, out);
      if (r.history.length !== 3 || !r.parameters.every((x) => x.every(Number.isFinite))) {
        throw new Error("the resumed run did not finish 3 finite epochs");
      }
    } catch (e) {
      problems.push(`device lost at step ${at}: resume on cpu failed: ${e}`);
      lost = true;
    }
    if (lost) losses++;
  }
  say(`hardware: ${injected} device losses injected, ${losses} losses (${secs(t0)})`);
  return { injected, losses };
}

// ------------------------------------------------------------------ main
try {
  say(`newbob stress (${hasGpu ? "with" : "without"} a WebGPU adapter)`);
  const c = await crash();
  const f = await fuzz();
  const d = await disk();
  const nc = await numeric("cpu", 1500);
  const ng = hasGpu ? await numeric("webgpu", 150) : { injected: 0, losses: 0 };
  const h = hasGpu ? await hardware(6) : { injected: 0, losses: 0 };
  const losses = c.losses + f.problems + d.losses + nc.losses + ng.losses + h.losses;
  say("");
  say("summary");
  say(`  kills survived:    ${c.kills} (SIGKILL mid-step, mid-eval, mid-save; each resumed)`);
  say(`  fuzz inputs tried: ${f.lr + f.config + f.checkpoint}`);
  say(
    `  faults injected:   ${
      d.injected + nc.injected + ng.injected + h.injected
    } (disk ${d.injected}, NaN/Inf gradients ${
      nc.injected + ng.injected
    }, device lost ${h.injected})`,
  );
  say(`  losses:            ${losses}`);
  say(`  time:              ${secs(t00)}`);
  if (problems.length > 0) {
    say("\nproblems:");
    for (const p of problems.slice(0, 50)) say(`  - ${p.slice(0, 500)}`);
  }
  if (losses > 0 || problems.length > 0) Deno.exitCode = 1;
} finally {
  await Deno.remove(root, { recursive: true }).catch(() => {});
}
