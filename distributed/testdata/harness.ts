/**
 * Running MPI ranks from a test. The test task may spawn only the deno binary, so a helper deno
 * process with exactly `--allow-run=mpirun.mpich` (and `--allow-env=NEWBOB_REQUIRE_MPI`) runs
 * `mpirun.mpich`; the ranks get `--allow-ffi`, the launcher's environment variables and, where a
 * scenario writes, read/write on one folder under `.tmp/`. When MPICH is missing the MPI tests
 * are skipped loudly, or fail when `NEWBOB_REQUIRE_MPI=1` (set by `.ci/run` after installing
 * mpich).
 *
 * @module
 */

import { LAUNCH_ENV_VARS } from "../launcher.ts";

const LAUNCH = new URL("./launch.ts", import.meta.url).pathname;
const RANK = new URL("./rank.ts", import.meta.url).pathname;

/** Flags every rank runs with. */
export const RANK_FLAGS: readonly string[] = [
  "--allow-ffi",
  `--allow-env=${LAUNCH_ENV_VARS.join(",")}`,
];

async function _launch(spec: unknown): Promise<Record<string, unknown>> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-run=mpirun.mpich",
      "--allow-env=NEWBOB_REQUIRE_MPI",
      LAUNCH,
      JSON.stringify(spec),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(r.stdout).trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(out);
  } catch {
    throw new Error(`the MPI launcher failed: ${new TextDecoder().decode(r.stderr)}${out}`);
  }
}

/** Whether `mpirun.mpich` can run here, and whether CI requires it. */
export const mpi = await _launch({ probe: true }) as {
  available: boolean;
  required: boolean;
  why: string;
};

let warned = false;

/** Register a test that needs MPICH's `mpirun` (skipped loudly without it). */
export function mpiTest(name: string, fn: () => Promise<void>): void {
  if (!mpi.available && !mpi.required) {
    if (!warned) {
      warned = true;
      console.warn(
        `\n!!! No MPICH (mpirun.mpich: ${mpi.why}): MPI tests are SKIPPED (install it: ` +
          "apt-get install mpich). Set NEWBOB_REQUIRE_MPI=1 to make this an error.\n",
      );
    }
    Deno.test({ name: `[mpi] ${name}`, ignore: true, fn });
    return;
  }
  Deno.test(`[mpi] ${name}`, async () => {
    if (!mpi.available) {
      throw new Error(`NEWBOB_REQUIRE_MPI=1 but mpirun.mpich cannot run: ${mpi.why}`);
    }
    await fn();
  });
}

/** The outcome of one `mpirun`. */
export interface MpiRun {
  /** mpirun's exit status. */
  code: number;
  /** Whether the launcher had to stop it (a hang). */
  timedOut: boolean;
  /** Wall time in milliseconds. */
  ms: number;
  /** stdout of all ranks. */
  stdout: string;
  /** stderr of all ranks and mpirun. */
  stderr: string;
  /** Rank 0's `@result` value, if it printed one. */
  result: unknown;
}

/** Options of {@linkcode runRanks}. */
export interface RunRanksOptions {
  /** Extra `mpirun.mpich` arguments before the program (e.g. `-genv K V`). */
  mpirunArgs?: string[];
  /** Extra rank flags (e.g. `--allow-write=.tmp/x`). */
  rankFlags?: string[];
  /** Stop mpirun after this long (a hang fails the test instead of blocking it). @default {120000} */
  timeoutMs?: number;
}

/** Run `rank.ts SCENARIO OPTIONS` on `np` ranks. */
export async function runRanks(
  np: number,
  scenario: string,
  scenarioOptions: Record<string, unknown> = {},
  options: RunRanksOptions = {},
): Promise<MpiRun> {
  return await runProgram(np, [RANK, scenario, JSON.stringify(scenarioOptions)], options);
}

/**
 * Run `deno run <rank flags> ...program` on `np` ranks (e.g. `cli.ts train CONFIG`).
 *
 * @param np Number of ranks.
 * @param program The script and its arguments.
 * @param options mpirun arguments, extra rank flags, the time limit.
 * @returns mpirun's status and output (`result`: rank 0's `@result` line, if any).
 */
export async function runProgram(
  np: number,
  program: readonly string[],
  options: RunRanksOptions = {},
): Promise<MpiRun> {
  const r = await _launch({
    np,
    timeoutMs: options.timeoutMs ?? 120_000,
    args: [
      ...(options.mpirunArgs ?? []),
      Deno.execPath(),
      "run",
      ...RANK_FLAGS,
      ...(options.rankFlags ?? []),
      ...program,
    ],
  }) as Omit<MpiRun, "result">;
  const line = r.stdout.split("\n").find((l) => l.startsWith("@result "));
  return { ...r, result: line === undefined ? undefined : JSON.parse(line.slice(8)) };
}

/** Run `rank.ts` directly (no mpirun), with the rank flags. */
export async function runAlone(
  scenario: string,
  scenarioOptions: Record<string, unknown> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...RANK_FLAGS, RANK, scenario, JSON.stringify(scenarioOptions)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: r.code, stdout: dec.decode(r.stdout), stderr: dec.decode(r.stderr) };
}
