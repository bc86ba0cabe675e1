/**
 * MPICH's ABI (shared by MPICH, Intel MPI, MVAPICH and Cray MPICH, `libmpi(ch).so.12`): handles
 * are plain 32-bit integers, the values below are those of MPICH 4's `mpi.h`
 * (`/usr/include/x86_64-linux-gnu/mpich/mpi.h` on Debian), and the FFI signatures of the few
 * functions newbob calls. Open MPI's handles are addresses of exported symbols instead, so these
 * signatures do not fit it.
 *
 * @module
 */

/** Handle and constant values of MPICH's `mpi.h`. */
export const MPI = Object.freeze({
  COMM_WORLD: 0x44000000,
  FLOAT: 0x4c00040a,
  DOUBLE: 0x4c00080b,
  INT: 0x4c000405,
  BYTE: 0x4c00010d,
  SUM: 0x58000003,
  MAX: 0x58000001,
  MIN: 0x58000002,
  ERRORS_RETURN: 0x54000001,
  REQUEST_NULL: 0x2c000000,
  INFO_NULL: 0x1c000000,
  COMM_TYPE_SHARED: 1,
  ANY_SOURCE: -2,
  THREAD_MULTIPLE: 3,
  SUCCESS: 0,
  MAX_ERROR_STRING: 512,
  MAX_LIBRARY_VERSION_STRING: 8192,
  /** `MPI_IN_PLACE` is the pointer `(void *) -1`. */
  IN_PLACE_ADDRESS: -1n,
  /** `MPI_STATUS_IGNORE` is the pointer `(MPI_Status *) 1`. */
  STATUS_IGNORE_ADDRESS: 1n,
});

const nb = true;

/**
 * FFI signatures. Collectives are MPI's nonblocking `MPI_I*` calls, polled with `MPI_Test` on
 * the main thread. Calls that block by nature are `nonblocking` FFI calls (a helper thread, a
 * promise), which keeps Deno's event loop (timers, the watchdog, I/O) alive; this needs
 * `MPI_Init_thread(MPI_THREAD_MULTIPLE)`. Handles are `i32`; `buffer` parameters take
 * typed arrays (their `byteOffset` is honoured).
 */
export const MPICH_SYMBOLS = {
  MPI_Initialized: { parameters: ["buffer"], result: "i32" },
  MPI_Init_thread: {
    parameters: ["pointer", "pointer", "i32", "buffer"],
    result: "i32",
    nonblocking: nb,
  },
  MPI_Comm_rank: { parameters: ["i32", "buffer"], result: "i32" },
  MPI_Comm_size: { parameters: ["i32", "buffer"], result: "i32" },
  MPI_Comm_split_type: {
    parameters: ["i32", "i32", "i32", "i32", "buffer"],
    result: "i32",
    nonblocking: nb,
  },
  MPI_Comm_free: { parameters: ["buffer"], result: "i32" },
  MPI_Comm_set_errhandler: { parameters: ["i32", "i32"], result: "i32" },
  MPI_Type_size: { parameters: ["i32", "buffer"], result: "i32" },
  MPI_Error_string: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  MPI_Get_library_version: { parameters: ["buffer", "buffer"], result: "i32" },
  MPI_Iallreduce: {
    parameters: ["pointer", "buffer", "i32", "i32", "i32", "i32", "buffer"],
    result: "i32",
  },
  MPI_Ibcast: { parameters: ["buffer", "i32", "i32", "i32", "i32", "buffer"], result: "i32" },
  MPI_Ibarrier: { parameters: ["i32", "buffer"], result: "i32" },
  MPI_Barrier: { parameters: ["i32"], result: "i32", nonblocking: nb },
  MPI_Send: {
    parameters: ["buffer", "i32", "i32", "i32", "i32", "i32"],
    result: "i32",
    nonblocking: nb,
  },
  MPI_Irecv: { parameters: ["buffer", "i32", "i32", "i32", "i32", "i32", "buffer"], result: "i32" },
  MPI_Test: { parameters: ["buffer", "buffer", "pointer"], result: "i32" },
  MPI_Cancel: { parameters: ["buffer"], result: "i32" },
  MPI_Wait: { parameters: ["buffer", "pointer"], result: "i32", nonblocking: nb },
  MPI_Abort: { parameters: ["i32", "i32"], result: "i32" },
  MPI_Finalize: { parameters: [], result: "i32", nonblocking: nb },
} as const;

/** Only the version query: safe to call before `MPI_Init` on any MPI (MPI-3). */
export const VERSION_SYMBOLS = {
  MPI_Get_library_version: { parameters: ["buffer", "buffer"], result: "i32" },
} as const;
