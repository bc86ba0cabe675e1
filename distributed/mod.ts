/**
 * Data-parallel training over MPI with RETURNN's distributed semantics (`torch_distributed`,
 * `use_horovod` and the `horovod_*` keys). Loaded only when a config asks for distribution; the
 * root module never imports it.
 *
 * - {@linkcode parseDistributedConfig}: the keys, with RETURNN's meaning, every problem at once.
 * - {@linkcode createDataParallel}: the trainer's handle (one call per place in the loop).
 * - {@linkcode Communicator}: the transport interface; {@linkcode createMpiCommunicator} (MPICH
 *   through `Deno.dlopen`), {@linkcode createSingleProcess}, {@linkcode createLoopbackGroup}.
 * - Rules as pure functions (`rules.ts`, `data.ts`), the flat gradient arena (`arena.ts`,
 *   `gpu_arena.ts`), messages (`wire.ts`). The rules and their RETURNN sources:
 *   `docs/distributed.md`.
 *
 * @example Usage
 * ```ts
 * import { createDataParallel, createLoopbackGroup, parseDistributedConfig } from "./mod.ts";
 * import { equal } from "node:assert/strict";
 *
 * const { settings } = parseDistributedConfig({ use_horovod: true, horovod_scale_lr: true });
 * const [comm] = createLoopbackGroup(1);
 * const dp = await createDataParallel(settings!, { comm });
 * equal(dp.learningRateFactor, 1);
 * ```
 *
 * @module
 */

export * from "./types.ts";
export * from "./config.ts";
export * from "./rules.ts";
export * from "./data.ts";
export * from "./arena.ts";
export * from "./gpu_arena.ts";
export * from "./wire.ts";
export * from "./errors.ts";
export * from "./guard.ts";
export * from "./launcher.ts";
export { MPI_LIBRARY_ENV, mpiLibraryCandidates } from "./find_library.ts";
export * from "./single.ts";
export * from "./loopback.ts";
export * from "./mpi.ts";
export * from "./init.ts";
export * from "./data_parallel.ts";
