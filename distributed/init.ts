/**
 * Choosing the transport: MPI when `mpirun` started several ranks, else one process (and the
 * note that says so). The MPI binding is loaded only then (a dynamic import), so a run without
 * `mpirun` needs neither MPICH nor `--allow-ffi`.
 *
 * @module
 */

import type { DistributedSettings } from "./config.ts";
import { DistributedError } from "./errors.ts";
import { MPI_LIBRARY_ENV } from "./find_library.ts";
import { denoEnvReader, detectLaunch } from "./launcher.ts";
import type { MpiOptions } from "./mpi.ts";
import { createSingleProcess } from "./single.ts";
import type { Communicator } from "./types.ts";

/** Options of {@linkcode initCommunicator}. */
export interface InitCommunicatorOptions {
  /** Reads an environment variable. @default {denoEnvReader()} */
  getEnv?: (name: string) => string | undefined;
  /** Extra MPI options (tests: `graceSec`, `maxCount`). */
  mpi?: Omit<MpiOptions, "library" | "envLibrary" | "expectedSize" | "launchRank">;
}

/** What {@linkcode initCommunicator} returns. */
export interface InitializedCommunicator {
  /** The communicator. */
  readonly comm: Communicator;
  /** Why it runs as one process although distribution was asked for (print it on rank 0). */
  readonly note: string | undefined;
}

/**
 * Create the communicator for a distributed config: MPI under `mpirun -np N` (N > 1), else a
 * single process with a note.
 *
 * @param settings The validated distributed settings.
 * @param options Environment reader, MPI test options.
 * @returns The communicator and the note.
 * @throws {DistributedError} when Open MPI's `mpirun` started the process, the environment
 *   may not be read, or MPI cannot be loaded (see `createMpiCommunicator`).
 *
 * @example Outside mpirun: one process, and a note saying so
 * ```ts
 * import { initCommunicator } from "./init.ts";
 * import { parseDistributedConfig } from "./config.ts";
 * import { equal } from "node:assert/strict";
 * const { settings } = parseDistributedConfig({ torch_distributed: {} });
 * const { comm, note } = await initCommunicator(settings!, { getEnv: () => undefined });
 * equal(comm.size, 1);
 * equal(note?.includes("not started by mpirun"), true);
 * ```
 */
export async function initCommunicator(
  settings: Pick<DistributedSettings, "source" | "timeoutSec" | "startupTimeoutSec" | "library">,
  options: InitCommunicatorOptions = {},
): Promise<InitializedCommunicator> {
  const getEnv = options.getEnv ?? denoEnvReader();
  const launch = detectLaunch(getEnv);
  const asked = settings.source === "torch_distributed" ? "torch_distributed" : "use_horovod";
  if (launch.launcher === "none") {
    return {
      comm: createSingleProcess(),
      note: `${asked} is set but this process was not started by mpirun: running as one ` +
        "process (start N ranks with: mpirun.mpich -np N deno run --allow-ffi ...)",
    };
  }
  if (launch.launcher === "openmpi") {
    throw new DistributedError(
      "Cannot run under Open MPI's mpirun (OMPI_COMM_WORLD_SIZE is set): newbob's MPI binding " +
        "speaks MPICH's ABI; install MPICH (apt-get install mpich) and start the job with " +
        "mpirun.mpich",
    );
  }
  if (launch.size === 1) {
    return {
      comm: createSingleProcess(),
      note: `${asked} is set but mpirun started a single rank: running as one process`,
    };
  }
  const { createMpiCommunicator } = await import("./mpi.ts");
  const comm = await createMpiCommunicator({
    ...options.mpi,
    library: settings.library,
    envLibrary: getEnv(MPI_LIBRARY_ENV),
    timeoutSec: settings.timeoutSec,
    startupTimeoutSec: settings.startupTimeoutSec,
    expectedSize: launch.size,
    launchRank: launch.rank,
  });
  return { comm, note: undefined };
}
