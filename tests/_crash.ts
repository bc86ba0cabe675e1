/**
 * Crash harness: runs the trainer (`tests/_crash_child.ts`, the real loop on `cpu`) in a
 * subprocess, kills it with SIGKILL at random moments (mid-step, mid-eval, mid-save of the
 * learning-rate file or of the checkpoint), checks after every kill that the learning-rate file
 * and the checkpoint parse, resumes, and compares the final files with an uninterrupted run's,
 * byte for byte.
 *
 * Used by `tests/crash_test.ts` (a few kills) and `tests/stress.ts` (many).
 *
 * @module
 */

import { join } from "node:path";
import { parseLearningRateFile } from "../control/lr_file.ts";
import { decodeCheckpoint } from "../trainer/checkpoint.ts";
import { Rng } from "../trainer/rng.ts";

/** A small seeded random generator (mulberry32: the trainer's {@linkcode Rng}). */
export function rng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.next();
}

/** A tiny training job: digits, an 8-unit MLP, 12 steps per epoch, Adam, newbob_rel. */
export function tinyConfig(numEpochs: number): Record<string, unknown> {
  return {
    model: { type: "mlp", hidden: [8] },
    num_epochs: numEpochs,
    batch_size: 128,
    learning_rate: 0.01,
    learning_rate_control: "newbob_rel",
    newbob_learning_rate_decay: 0.7,
    newbob_relative_error_threshold: -0.05,
    optimizer: { class: "adam" },
    backend: "cpu",
    log_every_steps: 4,
  };
}

/** The files a run leaves behind. */
export interface RunFiles {
  /** Text of the learning-rate file. */
  lrText: string;
  /** Bytes of the checkpoint. */
  checkpoint: Uint8Array;
  /** Text of the plot. */
  plot: string;
}

/** What happened to one child process. */
interface ChildOutcome {
  killed: boolean;
  completed: boolean;
  code: number;
  stderr: string;
  phase?: string;
}

/** Flags of the child: read the project, write the output folder only, no network. */
function childArgs(configPath: string, outDir: string): string[] {
  return [
    "run",
    "--quiet",
    "--no-prompt",
    "--allow-read=.",
    `--allow-write=${outDir}`,
    "--allow-env=XDG_RUNTIME_DIR,DENO_WEBGPU_BACKEND",
    "tests/_crash_child.ts",
    configPath,
    outDir,
  ];
}

/** Run the child; with `kill`, SIGKILL it `delayMs` after the `n`-th `@phase` marker. */
async function runChild(
  configPath: string,
  outDir: string,
  kill?: { phase: string; n: number; delayMs: number },
): Promise<ChildOutcome> {
  const child = new Deno.Command(Deno.execPath(), {
    args: childArgs(configPath, outDir),
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderrP = new Response(child.stderr).text();
  let seen = 0;
  let killed = false;
  let completed = false;
  let pending = "";
  const dec = new TextDecoder();
  for await (const bytes of child.stdout) {
    pending += dec.decode(bytes, { stream: true });
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line === "@done") completed = true;
      if (kill && !killed && line === `@${kill.phase}` && ++seen === kill.n) {
        killed = true;
        const doKill = () => {
          try {
            child.kill("SIGKILL");
          } catch { /* already exited */ }
        };
        if (kill.delayMs <= 0) doKill();
        else setTimeout(doKill, kill.delayMs);
      }
    }
  }
  const status = await child.status;
  const stderr = await stderrP;
  const reallyKilled = status.signal === "SIGKILL";
  return {
    killed: reallyKilled,
    completed: completed && !reallyKilled,
    code: status.code,
    stderr,
    ...(reallyKilled ? { phase: kill!.phase } : {}),
  };
}

/**
 * Check that whatever files exist parse.
 *
 * @returns Problems found (empty when both files are fine or absent).
 */
export async function checkFiles(outDir: string): Promise<string[]> {
  const problems: string[] = [];
  const lrPath = join(outDir, "learning_rates");
  const ckPath = join(outDir, "checkpoint.nbck");
  try {
    parseLearningRateFile(await Deno.readTextFile(lrPath), lrPath);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) problems.push(`${lrPath}: ${(e as Error).message}`);
  }
  try {
    decodeCheckpoint(await Deno.readFile(ckPath), ckPath);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) problems.push(`${ckPath}: ${(e as Error).message}`);
  }
  return problems;
}

/** Whether a temporary file of an atomic save is there (the kill landed inside the save). */
async function tempFileLeft(outDir: string): Promise<boolean> {
  for (const name of ["learning_rates.new_tmp", "checkpoint.nbck.tmp"]) {
    try {
      await Deno.stat(join(outDir, name));
      return true;
    } catch { /* not there */ }
  }
  return false;
}

async function readRunFiles(outDir: string): Promise<RunFiles> {
  return {
    lrText: await Deno.readTextFile(join(outDir, "learning_rates")),
    checkpoint: await Deno.readFile(join(outDir, "checkpoint.nbck")),
    plot: await Deno.readTextFile(join(outDir, "learning_rates.svg")),
  };
}

/**
 * Run the job once without interruption.
 *
 * @param dir A scratch folder (config and output go there).
 * @param config The job.
 * @returns The final files.
 */
export async function referenceRun(
  dir: string,
  config: Record<string, unknown>,
): Promise<RunFiles> {
  const configPath = join(dir, "reference.json");
  const outDir = join(dir, "reference");
  await Deno.writeTextFile(configPath, JSON.stringify(config));
  const r = await runChild(configPath, outDir);
  if (!r.completed) {
    throw new Error(`the uninterrupted run failed (exit ${r.code}):\n${r.stderr}`);
  }
  return await readRunFiles(outDir);
}

/** Counts of a crash trial. */
export interface CrashStats {
  /** SIGKILLs delivered (the process died of them). */
  kills: number;
  /** Kills by the phase they were aimed at. */
  byPhase: Record<string, number>;
  /** Processes started. */
  runs: number;
  /** File checks after kills (each must parse). */
  checks: number;
  /** Kills that left a half-written temporary file: they landed inside a save. */
  midWrite: number;
  /** Trials whose files did not parse or whose final result differed from the reference. */
  losses: number;
  /** What went wrong, one line each. */
  problems: string[];
}

const PHASES: readonly { phase: string; max: number }[] = [
  { phase: "step", max: 24 },
  { phase: "eval", max: 4 },
  { phase: "save-lr", max: 4 },
  { phase: "save-ck", max: 2 },
];

/**
 * Kill the job at least `kills` times in total (over as many fresh trials as needed), resuming
 * after each kill, and compare every trial's final files with `reference`.
 *
 * @param dir Scratch folder.
 * @param config The job (as for {@linkcode referenceRun}).
 * @param reference The uninterrupted run's files.
 * @param kills Kills to deliver in total.
 * @param seed Seed of the random kill moments.
 * @returns The counts.
 */
export async function crashTrials(
  dir: string,
  config: Record<string, unknown>,
  reference: RunFiles,
  kills: number,
  seed: number,
): Promise<CrashStats> {
  const random = rng(seed);
  const stats: CrashStats = {
    kills: 0,
    byPhase: {},
    runs: 0,
    checks: 0,
    midWrite: 0,
    losses: 0,
    problems: [],
  };
  const configPath = join(dir, "crash.json");
  await Deno.writeTextFile(configPath, JSON.stringify(config));
  for (let trial = 0; stats.kills < kills; trial++) {
    const outDir = join(dir, `trial${trial}`);
    let lost = false;
    for (let guard = 0;; guard++) {
      if (guard > 4 * kills + 20) throw new Error("the crash harness made no progress");
      const aim = stats.kills < kills ? PHASES[Math.floor(random() * PHASES.length)] : undefined;
      const kill = aim && {
        phase: aim.phase,
        n: 1 + Math.floor(random() * aim.max),
        delayMs: Math.floor(random() * 8),
      };
      const r = await runChild(configPath, outDir, kill);
      stats.runs++;
      if (r.killed) {
        stats.kills++;
        stats.byPhase[r.phase!] = (stats.byPhase[r.phase!] ?? 0) + 1;
        const problems = await checkFiles(outDir);
        stats.checks++;
        if (await tempFileLeft(outDir)) stats.midWrite++;
        if (problems.length > 0) {
          stats.problems.push(...problems.map((p) => `trial ${trial}, kill ${stats.kills}: ${p}`));
          lost = true;
        }
        continue;
      }
      if (!r.completed) {
        stats.problems.push(
          `trial ${trial}: the resumed trainer failed (exit ${r.code}): ${r.stderr.slice(-2000)}`,
        );
        lost = true;
        break;
      }
      const got = await readRunFiles(outDir);
      if (got.lrText !== reference.lrText) {
        stats.problems.push(`trial ${trial}: the learning-rate file differs from the reference`);
        lost = true;
      }
      if (got.plot !== reference.plot) {
        stats.problems.push(`trial ${trial}: the plot differs from the reference`);
        lost = true;
      }
      if (!equalBytes(got.checkpoint, reference.checkpoint)) {
        stats.problems.push(`trial ${trial}: the checkpoint differs from the reference`);
        lost = true;
      }
      break;
    }
    if (lost) stats.losses++;
  }
  return stats;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
