/**
 * The one interface every transport implements (MPI over FFI, the single process, the in-process
 * loopback group; later NCCL or a browser transport), kept as small as RETURNN's
 * `torch/distributed.py`: rank and size, all-reduce, broadcast, barrier, abort, finalize.
 *
 * @module
 */

/** Reduction of {@linkcode Communicator.allReduce}. `avg` is the sum divided by `size`. */
export type ReduceOp = "sum" | "avg" | "max" | "min";

/** Arrays a collective works on (in place). `avg` needs a float array. */
export type NumericArray = Float32Array | Float64Array | Int32Array;

/** A typed array a broadcast can carry (bytes for messages, numbers for tensors). */
export type BroadcastArray = NumericArray | Uint8Array;

/**
 * A group of ranks that run the same program. Every collective must be called by every rank, in
 * the same order, with arrays of the same length and type; the promise resolves when the
 * collective is done on this rank. The array belongs to the collective until then: do not read
 * or write it before the promise resolves.
 *
 * Collectives of one communicator run one at a time in call order (a second call waits for the
 * first), so a caller may start the next one without awaiting the previous.
 */
export interface Communicator {
  /** This process's rank, `0..size-1`. Rank 0 writes files and prints. */
  readonly rank: number;
  /** Number of ranks. */
  readonly size: number;
  /** Rank among the ranks on this host (e.g. to pick a GPU). */
  readonly localRank: number;
  /** Number of ranks on this host. */
  readonly localSize: number;
  /** Transport name: `"single"`, `"mpi"`, `"loopback"`. */
  readonly transport: string;
  /** One line for logs, e.g. `MPICH 4.0.2 (libmpich.so.12), rank 0 of 2`. */
  readonly description: string;
  /**
   * Reduce `data` over all ranks, in place: afterwards every rank holds the same result.
   * @throws {TypeError} for `avg` on an `Int32Array` or an unsupported array.
   */
  allReduce(data: NumericArray, op?: ReduceOp): Promise<void>;
  /** Overwrite `data` on every rank with `root`'s (default rank 0), in place. */
  broadcast(data: BroadcastArray, root?: number): Promise<void>;
  /** Wait until every rank has called `barrier`. */
  barrier(): Promise<void>;
  /**
   * Stop the whole job: rank 0 prints `message` (naming the failing rank) and every process
   * ends with exit status `code` (default 1). Never returns.
   */
  abort(message: string, code?: number): Promise<never>;
  /** End the communicator (collective). No collective may follow. */
  finalize(): Promise<void>;
}
