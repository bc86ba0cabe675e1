/**
 * Was this process started by a launcher (`mpirun`), and with how many ranks? Read from the
 * environment variables the launchers set, before any MPI library is loaded: a distributed
 * config outside `mpirun` runs as one process without needing MPI at all.
 *
 * @module
 */

import { DistributedError } from "./errors.ts";

/**
 * The variables {@linkcode detectLaunch} reads (grant them with `--allow-env=...`): MPICH's
 * Hydra `mpirun`/`mpiexec` (and Intel MPI, MVAPICH) set `PMI_RANK`/`PMI_SIZE`; Open MPI's
 * `mpirun` sets `OMPI_COMM_WORLD_*` (detected to refuse it clearly); `NEWBOB_MPI_LIBRARY`
 * overrides the library path.
 */
export const LAUNCH_ENV_VARS: readonly string[] = Object.freeze([
  "PMI_RANK",
  "PMI_SIZE",
  "OMPI_COMM_WORLD_RANK",
  "OMPI_COMM_WORLD_SIZE",
  "NEWBOB_MPI_LIBRARY",
]);

/** What the environment says about how this process was started. */
export interface Launch {
  /** `mpich` (Hydra's PMI variables), `openmpi`, or `none` (started directly). */
  readonly launcher: "mpich" | "openmpi" | "none";
  /** The rank the launcher assigned (0 when not launched). */
  readonly rank: number;
  /** The number of ranks the launcher started (1 when not launched). */
  readonly size: number;
}

/**
 * Detect the launcher from environment variables.
 *
 * @param getEnv Reads one variable (`undefined` when unset).
 * @returns The launcher, rank and size.
 * @throws {DistributedError} for malformed values (e.g. `PMI_SIZE=abc`).
 *
 * @example Usage
 * ```ts
 * import { detectLaunch, type Launch } from "./launcher.ts";
 * import { deepEqual } from "node:assert/strict";
 * const env: Record<string, string> = { PMI_RANK: "1", PMI_SIZE: "2" };
 * const launch: Launch = detectLaunch((k) => env[k]);
 * deepEqual(launch, { launcher: "mpich", rank: 1, size: 2 });
 * ```
 */
export function detectLaunch(getEnv: (name: string) => string | undefined): Launch {
  for (const [launcher, rankVar, sizeVar] of LAUNCHERS) {
    const size = getEnv(sizeVar);
    if (size !== undefined) {
      return {
        launcher,
        rank: _int(rankVar, getEnv(rankVar) ?? "0", 0),
        size: _int(sizeVar, size, 1),
      };
    }
  }
  return { launcher: "none", rank: 0, size: 1 };
}

/** Launchers by the variables they set: name, rank variable, size variable. */
const LAUNCHERS: readonly ["mpich" | "openmpi", string, string][] = [
  ["mpich", "PMI_RANK", "PMI_SIZE"],
  ["openmpi", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"],
];

/**
 * An environment reader for {@linkcode detectLaunch} over `Deno.env` that refuses to guess: a
 * variable it is not allowed to read is an error naming the flag to add (reading it as unset
 * would run N independent copies of the job under `mpirun`, all writing the same files).
 *
 * @returns The reader.
 * @throws {DistributedError} (from the reader) when a variable may not be read.
 *
 * @example Usage
 * ```ts
 * import { denoEnvReader } from "./launcher.ts";
 * import { DistributedError } from "./errors.ts";
 * import { ok } from "node:assert/strict";
 * const read = denoEnvReader(); // needs --allow-env=PMI_RANK,PMI_SIZE,...
 * try {
 *   const size = read("PMI_SIZE");
 *   ok(size === undefined || typeof size === "string");
 * } catch (e) {
 *   ok(e instanceof DistributedError); // not allowed: the message names the flag
 * }
 * ```
 */
export function denoEnvReader(): (name: string) => string | undefined {
  return (name) => {
    const state = Deno.permissions.querySync({ name: "env", variable: name }).state;
    if (state !== "granted") {
      throw new DistributedError(
        `Cannot tell whether mpirun started this process as reading the environment variable ` +
          `${name} is not allowed: add --allow-env=${LAUNCH_ENV_VARS.join(",")} (with the ` +
          "other variables the command needs)",
      );
    }
    return Deno.env.get(name);
  };
}

function _int(name: string, text: string, min: number): number {
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(n) || n < min) {
    throw new DistributedError(
      `Cannot read the launcher's ${name} as it must be an integer >= ${min}: current value is ` +
        `${JSON.stringify(text.slice(0, 40))}`,
    );
  }
  return n;
}
