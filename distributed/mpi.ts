/**
 * The MPI communicator: MPICH's ABI through `Deno.dlopen` (only `--allow-ffi` is needed). Deno's
 * event loop keeps running while a collective is in flight (the watchdog's timers fire, rank 0
 * listens for failure reports): collectives are MPI's nonblocking `MPI_Iallreduce`, `MPI_Ibcast`,
 * `MPI_Ibarrier`, progressed with `MPI_Test` on the main thread in slices with yields between;
 * calls that block by nature (`MPI_Init_thread`, the startup barrier, `MPI_Finalize`, a report's
 * `MPI_Send`) are `nonblocking` FFI calls on a helper thread, which needs
 * `MPI_Init_thread(MPI_THREAD_MULTIPLE)`.
 *
 * Failure handling (never a silent hang):
 * - startup: if the ranks do not meet (`MPI_Init` plus a barrier) within `startupTimeoutSec`,
 *   the rank prints why and exits; `mpirun` then stops the others.
 * - a rank that calls `abort` (e.g. it threw) sends its message to rank 0, which prints
 *   `rank R of N failed: ...` and calls `MPI_Abort` for the whole job; if rank 0 does not react
 *   within `abortWaitSec`, the rank prints the message itself and aborts.
 * - a collective that does not complete within `timeoutSec` (a peer hangs, is stopped, or its
 *   host vanished): every waiting rank reports to rank 0; rank 0 waits `graceSec` for the
 *   reports, prints which ranks were waiting and which never arrived, and aborts.
 * - a rank killed by a signal: MPICH's `mpirun` stops every rank at once and prints `BAD
 *   TERMINATION ... EXIT CODE` itself (no process can print after SIGKILL). Under
 *   `mpirun -disable-auto-cleanup` it sends the survivors SIGUSR1 instead, which is handled here
 *   like a failure report (and keeps Deno from opening its inspector on SIGUSR1).
 *
 * @module
 */

import { _checkBroadcast, _checkReduce, _divideBySize, _kind } from "./_check.ts";
import { MPI } from "./_mpich_abi.ts";
import { DistributedError } from "./errors.ts";
import { type MpichLibrary, openMpiLibrary } from "./find_library.ts";
import type { BroadcastArray, Communicator, NumericArray, ReduceOp } from "./types.ts";

/** Options of {@linkcode createMpiCommunicator}. */
export interface MpiOptions {
  /** The config's `mpi_library` (a path or soname). */
  library?: string;
  /** The value of `NEWBOB_MPI_LIBRARY` (wins over `library`). */
  envLibrary?: string;
  /**
   * Seconds a collective may take before the job is stopped as stuck (RETURNN's
   * `torch_distributed.timeout_sec`).
   * @default {1800}
   */
  timeoutSec?: number;
  /** Seconds the ranks have to meet at startup. @default {120} */
  startupTimeoutSec?: number;
  /** Seconds rank 0 collects the other ranks' reports after a timeout. @default {5} */
  graceSec?: number;
  /** Seconds a failing rank waits for rank 0 to stop the job before stopping it itself. @default {10} */
  abortWaitSec?: number;
  /** The number of ranks the launcher started (`PMI_SIZE`): checked against MPI's. */
  expectedSize?: number;
  /** The rank the launcher assigned (for messages before MPI knows it). */
  launchRank?: number;
  /** Elements per MPI call (MPI counts are 32-bit); larger arrays go in pieces. @default {2 ** 30} */
  maxCount?: number;
  /** `Deno.dlopen` (tests). */
  dlopen?: typeof Deno.dlopen;
}

/** Tag of failure reports sent to rank 0. */
const TAG_REPORT = 0x6e62;
/** Bytes of a failure report (longer messages are cut). */
const REPORT_BYTES = 16384;
/**
 * Milliseconds of `MPI_Test` polling on the main thread between two yields to the event loop
 * (timers, the watchdog, report polling run in the yields). Progress on the main thread matches
 * MPICH's own C loop; waiting on a helper thread (`nonblocking` FFI `MPI_Wait`) measured 20-40 %
 * slower for 16 MB and a thread hop per tiny collective.
 */
const SLICE_MS = 20;
/** Milliseconds between printing the abort message and `MPI_Abort`. */
const ABORT_FLUSH_MS = 300;

const DATATYPE = { f32: MPI.FLOAT, f64: MPI.DOUBLE, i32: MPI.INT, u8: MPI.BYTE } as const;
const TYPE_NAME = { f32: "float32", f64: "float64", i32: "int32", u8: "bytes" } as const;
const OP = { sum: MPI.SUM, avg: MPI.SUM, max: MPI.MAX, min: MPI.MIN } as const;

/** The collective in flight. */
interface Current {
  seq: number;
  what: string;
  started: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

interface Report {
  kind: "error" | "timeout";
  rank: number;
  message: string;
  code?: number;
}

/**
 * Initialise MPI and return the world communicator. Call once per process (MPI cannot be
 * initialised twice).
 *
 * @param options Library path, timeouts, the launcher's size.
 * @returns The communicator.
 * @throws {DistributedError} when no MPICH-ABI library is found (naming the package to install),
 *   FFI is not allowed, MPI was already initialised, or the library lacks thread support.
 *
 * @example Usage (under `mpirun.mpich -np 2 deno run --allow-ffi ...`)
 * ```ts ignore
 * import { createMpiCommunicator } from "./mpi.ts";
 * const comm = await createMpiCommunicator({ timeoutSec: 600 });
 * const g = new Float32Array(1000).fill(comm.rank);
 * await comm.allReduce(g, "avg"); // every rank: 0.5
 * await comm.finalize();
 * ```
 */
export async function createMpiCommunicator(options: MpiOptions = {}): Promise<Communicator> {
  const opened = openMpiLibrary({
    library: options.library,
    envLibrary: options.envLibrary,
    dlopen: options.dlopen,
  });
  const comm = new MpiCommunicator(opened.lib, opened.path, opened.version, options);
  await comm._start();
  return comm;
}

class MpiCommunicator implements Communicator {
  rank = 0;
  size = 1;
  localRank = 0;
  localSize = 1;
  readonly transport = "mpi";
  description = "";

  readonly #lib: MpichLibrary;
  readonly #path: string;
  readonly #version: string;
  readonly #timeoutMs: number;
  readonly #startupMs: number;
  readonly #graceMs: number;
  readonly #abortWaitMs: number;
  readonly #maxCount: number;
  readonly #expectedSize: number | undefined;
  readonly #launchRank: number;
  readonly #inPlace = Deno.UnsafePointer.create(MPI.IN_PLACE_ADDRESS);
  readonly #statusIgnore = Deno.UnsafePointer.create(MPI.STATUS_IGNORE_ADDRESS);

  #chain: Promise<unknown> = Promise.resolve();
  #seq = 0;
  #current: Current | undefined;
  #finalized = false;
  #stopping = false;
  // Rank 0's report channel.
  #reportBuf = new Uint8Array(REPORT_BYTES);
  #reportReq = new Int32Array([MPI.REQUEST_NULL]);
  #waiting = new Map<number, string>();
  #gathering: ReturnType<typeof setTimeout> | undefined;
  #onSigusr1 = () => this.#peerSignalled();
  // Yields of #progress (unref'd: the watchdog's timer keeps the process alive meanwhile).
  #port = new MessageChannel();
  #resume: (() => void) | undefined;

  constructor(lib: MpichLibrary, path: string, version: string, options: MpiOptions) {
    this.#lib = lib;
    this.#path = path;
    this.#version = version;
    this.#timeoutMs = 1000 * _positive("timeoutSec", options.timeoutSec ?? 1800);
    this.#startupMs = 1000 * _positive("startupTimeoutSec", options.startupTimeoutSec ?? 120);
    this.#graceMs = 1000 * _positive("graceSec", options.graceSec ?? 5);
    this.#abortWaitMs = 1000 * _positive("abortWaitSec", options.abortWaitSec ?? 10);
    const maxCount = options.maxCount ?? 2 ** 30;
    if (!Number.isInteger(maxCount) || maxCount < 1 || maxCount > 2 ** 31 - 1) {
      throw new RangeError(
        `Cannot create the MPI communicator as 'maxCount' must be an integer in 1..2^31-1: ` +
          `current value is ${maxCount}`,
      );
    }
    this.#maxCount = maxCount;
    this.#port.port1.onmessage = () => this.#resume?.();
    (this.#port.port1 as MessagePort & { unref?: () => void }).unref?.();
    (this.#port.port2 as MessagePort & { unref?: () => void }).unref?.();
    this.#expectedSize = options.expectedSize;
    this.#launchRank = options.launchRank ?? 0;
  }

  /** Initialise MPI, learn rank and size, meet the other ranks. */
  async _start(): Promise<void> {
    const s = this.#lib.symbols;
    const flag = new Int32Array(1);
    s.MPI_Initialized(flag);
    if (flag[0]) {
      throw new DistributedError(
        "Cannot initialise MPI as it is already initialised in this process: create one " +
          "communicator per process and share it",
      );
    }
    const deadline = performance.now() + this.#startupMs;
    const provided = new Int32Array(1);
    const rc = await this.#beforeDeadline(
      s.MPI_Init_thread(null, null, MPI.THREAD_MULTIPLE, provided),
      deadline,
      "MPI_Init did not complete",
    );
    this.#check(rc, "MPI_Init_thread");
    if (provided[0] < MPI.THREAD_MULTIPLE) {
      this.#mpiAbort(
        `the MPI library (${this.#version}) provides thread level ${provided[0]}, but newbob ` +
          "needs MPI_THREAD_MULTIPLE (3) to wait for collectives without blocking Deno's event " +
          "loop: use an MPICH built with thread support (Debian's mpich is)",
        1,
      );
    }
    s.MPI_Comm_set_errhandler(MPI.COMM_WORLD, MPI.ERRORS_RETURN);
    const out = new Int32Array(1);
    this.#check(s.MPI_Comm_rank(MPI.COMM_WORLD, out), "MPI_Comm_rank");
    this.rank = out[0];
    this.#check(s.MPI_Comm_size(MPI.COMM_WORLD, out), "MPI_Comm_size");
    this.size = out[0];
    const sizes: [number, number, string][] = [[MPI.FLOAT, 4, "MPI_FLOAT"], [
      MPI.DOUBLE,
      8,
      "MPI_DOUBLE",
    ]];
    for (const [type, bytes, name] of sizes) {
      const rcT = s.MPI_Type_size(type, out);
      if (rcT !== 0 || out[0] !== bytes) {
        this.#mpiAbort(
          `the MPI library ${this.#path} (${this.#version}) does not use MPICH's handle for ` +
            `${name}: it is not an MPICH-ABI library; install MPICH (apt-get install mpich)`,
          1,
        );
      }
    }
    if (this.#expectedSize !== undefined && this.#expectedSize !== this.size) {
      this.#mpiAbort(
        `mpirun started ${this.#expectedSize} ranks but MPI sees ${this.size}: the launcher ` +
          `and the library ${this.#path} do not belong together (e.g. Open MPI's mpirun with ` +
          "MPICH's library): start the job with mpirun.mpich",
        1,
      );
    }
    const local = new Int32Array(1);
    const rcSplit = await this.#beforeDeadline(
      s.MPI_Comm_split_type(MPI.COMM_WORLD, MPI.COMM_TYPE_SHARED, this.rank, MPI.INFO_NULL, local),
      deadline,
      "the ranks did not split by host",
    );
    this.#check(rcSplit, "MPI_Comm_split_type");
    this.#check(s.MPI_Comm_rank(local[0], out), "MPI_Comm_rank");
    this.localRank = out[0];
    this.#check(s.MPI_Comm_size(local[0], out), "MPI_Comm_size");
    this.localSize = out[0];
    s.MPI_Comm_free(local);
    this.description = `${this.#version} (${this.#path}), rank ${this.rank} of ${this.size}`;
    if (this.rank === 0) this.#postReceive();
    try {
      Deno.addSignalListener("SIGUSR1", this.#onSigusr1);
    } catch { /* no SIGUSR1 on this OS */ }
    const rcB = await this.#beforeDeadline(
      s.MPI_Barrier(MPI.COMM_WORLD),
      deadline,
      "the ranks did not meet at the first barrier",
    );
    this.#check(rcB, "MPI_Barrier");
  }

  allReduce(data: NumericArray, op?: ReduceOp): Promise<void> {
    const o = _checkReduce(data, op);
    const kind = _kind(data) as "f32" | "f64" | "i32";
    const what = `allReduce ${o} of ${data.length} ${TYPE_NAME[kind]}`;
    return this.#collective(what, async () => {
      const s = this.#lib.symbols;
      const req = new Int32Array([MPI.REQUEST_NULL]);
      for (let at = 0; at < data.length || at === 0; at += this.#maxCount) {
        const part = data.subarray(at, Math.min(data.length, at + this.#maxCount));
        const rc = s.MPI_Iallreduce(
          this.#inPlace,
          part,
          part.length,
          DATATYPE[kind],
          OP[o],
          MPI.COMM_WORLD,
          req,
        );
        this.#check(rc, "MPI_Iallreduce");
        await this.#progress(req, "MPI_Iallreduce");
        if (data.length === 0) break;
      }
      if (o === "avg") _divideBySize(data as Float32Array | Float64Array, this.size);
    });
  }

  broadcast(data: BroadcastArray, root?: number): Promise<void> {
    const r = _checkBroadcast(data, root, this.size);
    const kind = _kind(data)!;
    const what = `broadcast from rank ${r} of ${data.length} ${TYPE_NAME[kind]}`;
    return this.#collective(what, async () => {
      const s = this.#lib.symbols;
      const req = new Int32Array([MPI.REQUEST_NULL]);
      for (let at = 0; at < data.length || at === 0; at += this.#maxCount) {
        const part = data.subarray(at, Math.min(data.length, at + this.#maxCount));
        const rc = s.MPI_Ibcast(part, part.length, DATATYPE[kind], r, MPI.COMM_WORLD, req);
        this.#check(rc, "MPI_Ibcast");
        await this.#progress(req, "MPI_Ibcast");
        if (data.length === 0) break;
      }
    });
  }

  barrier(): Promise<void> {
    return this.#collective("barrier", async () => {
      const req = new Int32Array([MPI.REQUEST_NULL]);
      this.#check(this.#lib.symbols.MPI_Ibarrier(MPI.COMM_WORLD, req), "MPI_Ibarrier");
      await this.#progress(req, "MPI_Ibarrier");
    });
  }

  async abort(message: string, code = 1): Promise<never> {
    if (this.rank === 0 || this.#finalized) {
      this.#mpiAbort(`rank ${this.rank} of ${this.size} failed: ${message}`, code);
    }
    await this.#report({ kind: "error", rank: this.rank, message, code });
    await _sleep(this.#abortWaitMs);
    this.#mpiAbort(
      `rank ${this.rank} of ${this.size} failed: ${message} (rank 0 did not stop the job within ` +
        `${this.#abortWaitMs / 1000} s)`,
      code,
    );
  }

  async finalize(): Promise<void> {
    if (this.#finalized) return;
    await this.#collective("finalize", async () => {
      this.#slowCollective();
      const s = this.#lib.symbols;
      if (this.rank === 0 && this.#reportReq[0] !== MPI.REQUEST_NULL) {
        this.#pollReports();
        s.MPI_Cancel(this.#reportReq);
        await s.MPI_Wait(this.#reportReq, this.#statusIgnore);
      }
      this.#check(await s.MPI_Finalize(), "MPI_Finalize");
      this.#finalized = true;
    });
    this.#port.port1.close();
    try {
      Deno.removeSignalListener("SIGUSR1", this.#onSigusr1);
    } catch { /* not added */ }
  }

  /**
   * Complete a nonblocking MPI request by polling it on the main thread, yielding to the event
   * loop every `SLICE_MS` (through a message port: a macrotask without the timers' clamping).
   */
  async #progress(req: Int32Array, fn: string): Promise<void> {
    const s = this.#lib.symbols;
    const flag = new Int32Array(1);
    for (;;) {
      const until = performance.now() + SLICE_MS;
      for (let i = 1;; i++) {
        this.#check(s.MPI_Test(req, flag, this.#statusIgnore), fn);
        if (flag[0]) return;
        if ((i & 63) === 0 && performance.now() >= until) break; // the clock costs more than a test
      }
      this.#slowCollective();
      await new Promise<void>((resume) => {
        this.#resume = resume;
        this.#port.port2.postMessage(0);
      });
    }
  }

  /** Run one collective after the previous one, under the watchdog. */
  #collective(what: string, run: () => Promise<void>): Promise<void> {
    if (this.#finalized) {
      return Promise.reject(new Error(`Cannot run ${what} as MPI was finalized`));
    }
    const p = this.#chain.then(() => this.#watched(what, run));
    this.#chain = p.catch(() => {});
    return p;
  }

  async #watched(what: string, run: () => Promise<void>): Promise<void> {
    const seq = ++this.#seq;
    const cur: Current = { seq, what, started: performance.now(), timer: undefined };
    this.#current = cur;
    try {
      await run();
    } finally {
      if (cur.timer !== undefined) clearTimeout(cur.timer);
      this.#current = undefined;
    }
  }

  /**
   * The collective is taking long (it outlived its first polling slice, or it blocks by nature):
   * start its watchdog, measured from its start, and (rank 0) look at the report channel.
   * Collectives that finish at once never touch a timer.
   */
  #slowCollective(): void {
    const cur = this.#current;
    if (cur === undefined) return;
    if (cur.timer === undefined) {
      const left = Math.max(0, this.#timeoutMs - (performance.now() - cur.started));
      cur.timer = setTimeout(() => this.#timedOut(cur.seq, cur.what), left);
    }
    if (this.rank === 0) this.#pollReports();
  }

  /** This rank waited `timeoutMs` in collective `seq`. */
  #timedOut(seq: number, what: string): void {
    const sec = this.#timeoutMs / 1000;
    const message = `waited ${sec} s in collective #${seq} (${what})`;
    if (this.rank === 0) {
      this.#waiting.set(0, message);
      this.#startGathering();
      return;
    }
    void this.#report({ kind: "timeout", rank: this.rank, message }).then(async () => {
      await _sleep(this.#graceMs + this.#abortWaitMs);
      this.#mpiAbort(
        `rank ${this.rank} of ${this.size}: collective #${seq} (${what}) did not complete ` +
          `within ${sec} s and rank 0 did not stop the job: rank 0 hangs, or its host is gone`,
        1,
      );
    });
  }

  /** Rank 0: collect timeout reports for `graceMs`, then stop the job naming the missing ranks. */
  #startGathering(): void {
    if (this.#gathering !== undefined) return;
    this.#gathering = setTimeout(() => {
      this.#pollReports();
      const cur = this.#current;
      if (!this.#waiting.has(0) && cur !== undefined) {
        const sec = Math.round((performance.now() - cur.started) / 1000);
        this.#waiting.set(0, `waited ${sec} s in collective #${cur.seq} (${cur.what})`);
      }
      const waiting = [...this.#waiting.keys()].sort((a, b) => a - b);
      const missing = Array.from({ length: this.size }, (_, r) => r).filter(
        (r) => !this.#waiting.has(r),
      );
      const lines = waiting.map((r) => `rank ${r} ${this.#waiting.get(r)}`).join("; ");
      this.#mpiAbort(
        `the job is stuck: a collective did not complete within ${this.#timeoutMs / 1000} s: ` +
          `${lines}. Never arrived: ${_ranks(missing)} (hung, stopped, much slower than the ` +
          "others, or its host is gone). Raise the timeout (torch_distributed.timeout_sec or " +
          "distributed_timeout_sec) only if that rank is known to be that slow",
        1,
      );
    }, this.#graceMs);
  }

  /** Rank 0: handle every report that has arrived. */
  #pollReports(): void {
    if (this.rank !== 0 || this.#reportReq[0] === MPI.REQUEST_NULL) return;
    const s = this.#lib.symbols;
    const flag = new Int32Array(1);
    for (;;) {
      if (s.MPI_Test(this.#reportReq, flag, this.#statusIgnore) !== 0 || !flag[0]) return;
      const end = this.#reportBuf.indexOf(0);
      const text = new TextDecoder().decode(this.#reportBuf.subarray(0, end < 0 ? undefined : end));
      this.#postReceive();
      let report: Report;
      try {
        report = JSON.parse(text);
      } catch {
        report = { kind: "error", rank: -1, message: `an unreadable failure report: ${text}` };
      }
      if (report.kind === "error") {
        this.#mpiAbort(
          `rank ${report.rank} of ${this.size} failed: ${report.message}`,
          report.code ?? 1,
        );
      }
      this.#waiting.set(report.rank, report.message);
      this.#startGathering();
    }
  }

  #postReceive(): void {
    this.#reportBuf.fill(0);
    const rc = this.#lib.symbols.MPI_Irecv(
      this.#reportBuf,
      REPORT_BYTES - 1,
      MPI.BYTE,
      MPI.ANY_SOURCE,
      TAG_REPORT,
      MPI.COMM_WORLD,
      this.#reportReq,
    );
    this.#check(rc, "MPI_Irecv");
  }

  /** A non-root rank tells rank 0 (bounded wait: rank 0 may be the one that hangs). */
  async #report(report: Report): Promise<void> {
    let bytes = new TextEncoder().encode(JSON.stringify(report));
    if (bytes.length > REPORT_BYTES - 1) {
      const cut = { ...report, message: report.message.slice(0, REPORT_BYTES / 4) + " ..." };
      bytes = new TextEncoder().encode(JSON.stringify(cut));
    }
    const sent = this.#lib.symbols.MPI_Send(
      bytes,
      bytes.length,
      MPI.BYTE,
      0,
      TAG_REPORT,
      MPI.COMM_WORLD,
    );
    await Promise.race([sent, _sleep(this.#graceMs)]);
  }

  /** SIGUSR1 from MPICH's mpirun (with -disable-auto-cleanup): a peer's process ended. */
  #peerSignalled(): void {
    const message = "mpirun reported that another rank's process ended without MPI_Finalize " +
      "(SIGUSR1); its own output above says why";
    if (this.rank === 0) this.#mpiAbort(`the job lost a rank: ${message}`, 1);
    void this.abort(message, 1);
  }

  /** Print `newbob: message` and stop every rank of the job. Never returns. */
  #mpiAbort(message: string, code: number): never {
    if (!this.#stopping) {
      this.#stopping = true;
      console.error(`newbob: ${message}. Stopping all ${this.size} ranks.`);
      // mpirun's proxy forwards our stderr; MPI_Abort right away can kill it before the message
      // got through (seen as a job that stopped silently). Give it a moment.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ABORT_FLUSH_MS);
    }
    if (!this.#finalized) this.#lib.symbols.MPI_Abort(MPI.COMM_WORLD, code);
    Deno.exit(code);
  }

  /** Wait for `p`, or stop this rank when the startup deadline passes. */
  async #beforeDeadline<T>(p: Promise<T>, deadline: number, what: string): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((ok) => {
      timer = setTimeout(() => ok("late"), Math.max(0, deadline - performance.now()));
    });
    const r = await Promise.race([p, late]);
    clearTimeout(timer);
    if (r === "late") {
      const size = this.#expectedSize ?? "?";
      console.error(
        `newbob: rank ${this.#launchRank} of ${size}: the ranks did not meet within ` +
          `${this.#startupMs / 1000} s (${what}): a rank failed to start or is still loading, ` +
          "or the hosts cannot reach each other. Stopping (raise " +
          "distributed_startup_timeout_sec if the ranks start slowly).",
      );
      Deno.exit(1);
    }
    return r as T;
  }

  /** Throw a DistributedError for an MPI error code. */
  #check(rc: number, fn: string): void {
    if (rc === MPI.SUCCESS) return;
    const text = new Uint8Array(MPI.MAX_ERROR_STRING);
    const len = new Int32Array(1);
    const ok = this.#lib.symbols.MPI_Error_string(rc, text, len) === 0;
    const why = ok ? new TextDecoder().decode(text.subarray(0, len[0])) : `error code ${rc}`;
    throw new DistributedError(`${fn} failed on rank ${this.rank} of ${this.size}: ${why}`);
  }
}

function _positive(name: string, v: number): number {
  if (typeof v !== "number" || !(v > 0) || !Number.isFinite(v)) {
    throw new RangeError(
      `Cannot create the MPI communicator as '${name}' must be a positive number of seconds: ` +
        `current value is ${v}`,
    );
  }
  return v;
}

function _ranks(list: number[]): string {
  if (list.length === 0) return "none";
  return (list.length === 1 ? "rank " : "ranks ") + list.join(", ");
}

function _sleep(ms: number): Promise<void> {
  return new Promise((ok) => setTimeout(ok, ms));
}
