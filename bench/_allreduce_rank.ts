/**
 * One rank of bench/allreduce.ts: newbob's MPI communicator, the same loop as
 * `bench/allreduce.c` (in-place sum of N floats, warm-up calls, timed calls between barriers).
 * Rank 0 prints one JSON line. Usage: `_allreduce_rank.ts N REPS WARMUP`.
 *
 * @module
 */

import { createMpiCommunicator } from "../distributed/mpi.ts";

const [n, reps, warmup] = Deno.args.map(Number);
const comm = await createMpiCommunicator({ envLibrary: Deno.env.get("NEWBOB_MPI_LIBRARY") });
const a = new Float32Array(n).fill(1);
for (let i = 0; i < warmup; i++) await comm.allReduce(a);
await comm.barrier();
const t0 = performance.now();
for (let i = 0; i < reps; i++) await comm.allReduce(a);
const seconds = (performance.now() - t0) / 1000 / reps;
if (comm.rank === 0) console.log(JSON.stringify({ seconds }));
await comm.finalize();
