/**
 * Training checkpoints: one binary file holding the parameters, the optimizer state arrays and a
 * JSON header (format version, epoch, step counters, RNG state, optimizer scalars, a config
 * fingerprint, a checksum). Written atomically: a temporary file beside the target is written,
 * flushed to disk (`fsync`) and renamed over the target, so a crash never leaves a half file.
 *
 * Layout: the 8 bytes `NEWBOBCK`, a little-endian u32 header length, the UTF-8 JSON header, zero
 * padding to a multiple of 4, then the float32 arrays back to back in header order.
 *
 * @module
 */

import { writeFileAtomic } from "../_util/atomic_write.ts";

const MAGIC = "NEWBOBCK";
/** Version of the checkpoint layout; bumped on incompatible changes. */
export const CHECKPOINT_FORMAT_VERSION = 1;

/** Everything a checkpoint holds. */
export interface CheckpointData {
  /** The last completed epoch (1-based). */
  epoch: number;
  /** Steps taken so far (the next step's `global_train_step`). */
  globalTrainStep: number;
  /** Names of the model's parameters, in order. */
  paramNames: readonly string[];
  /** Parameter values, in `paramNames` order. */
  params: readonly Float32Array[];
  /** Optimizer state arrays by stable name (e.g. `dense/kernel/exp_avg`). */
  optimizerArrays: Readonly<Record<string, Float32Array>>;
  /** Optimizer scalars and settings (JSON). */
  optimizerMeta: unknown;
  /** Non-trainable model tensors by name (batch-norm statistics); absent: none. */
  stateArrays?: Readonly<Record<string, Float32Array>>;
  /** RNG states and seeds (JSON). */
  rng: unknown;
  /** JSON description of the settings that must not change on resume. */
  fingerprint: Readonly<Record<string, unknown>>;
  /** Per-epoch history (JSON), for summaries and the plot after a resume. */
  history: unknown;
}

interface Header {
  format: string;
  version: number;
  epoch: number;
  globalTrainStep: number;
  paramNames: string[];
  arrays: { name: string; length: number }[];
  optimizerMeta: unknown;
  rng: unknown;
  fingerprint: Record<string, unknown>;
  history: unknown;
  checksum: string;
}

/**
 * A checkpoint file cannot be used. The message names the file, what is wrong and how to
 * proceed.
 */
export class CheckpointError extends Error {
  /** The checkpoint file. */
  readonly path: string;
  /**
   * Create the error.
   *
   * @param path The checkpoint file.
   * @param message What is wrong and how to proceed.
   */
  constructor(path: string, message: string) {
    super(`Cannot resume from checkpoint '${path}': ${message}`);
    this.name = "CheckpointError";
    this.path = path;
  }
}

function fnv1a(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}

/**
 * Serialise a checkpoint to bytes.
 *
 * @param data The checkpoint contents.
 * @returns The file bytes.
 *
 * @example Round trip
 * ```ts
 * import { decodeCheckpoint, encodeCheckpoint } from "./checkpoint.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const data = {
 *   epoch: 1, globalTrainStep: 10, paramNames: ["w"], params: [new Float32Array([1, 2])],
 *   optimizerArrays: { "0/exp_avg": new Float32Array([0.5, 0]) }, optimizerMeta: { step: 10 },
 *   rng: { seed: 1 }, fingerprint: {}, history: [],
 * };
 * deepEqual(decodeCheckpoint(encodeCheckpoint(data), "mem"), data);
 * ```
 */
export function encodeCheckpoint(data: CheckpointData): Uint8Array {
  const arrays: { name: string; values: Float32Array }[] = [];
  data.paramNames.forEach((name, i) =>
    arrays.push({ name: `param/${name}`, values: data.params[i] })
  );
  for (const name of Object.keys(data.optimizerArrays).sort()) {
    arrays.push({ name: `optimizer/${name}`, values: data.optimizerArrays[name] });
  }
  for (const name of Object.keys(data.stateArrays ?? {})) {
    arrays.push({ name: `state/${name}`, values: data.stateArrays![name] });
  }
  const total = arrays.reduce((n, a) => n + a.values.length, 0);
  const body = new Float32Array(total);
  let off = 0;
  for (const a of arrays) {
    body.set(a.values, off);
    off += a.values.length;
  }
  const bodyBytes = new Uint8Array(body.buffer);
  const header: Header = {
    format: "newbob-checkpoint",
    version: CHECKPOINT_FORMAT_VERSION,
    epoch: data.epoch,
    globalTrainStep: data.globalTrainStep,
    paramNames: [...data.paramNames],
    arrays: arrays.map((a) => ({ name: a.name, length: a.values.length })),
    optimizerMeta: data.optimizerMeta,
    rng: data.rng,
    fingerprint: { ...data.fingerprint },
    history: data.history,
    checksum: fnv1a(bodyBytes),
  };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const pad = (4 - ((12 + headerBytes.length) % 4)) % 4;
  const out = new Uint8Array(12 + headerBytes.length + pad + bodyBytes.length);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, headerBytes.length + pad, true);
  out.set(headerBytes, 12);
  out.fill(0x20, 12 + headerBytes.length, 12 + headerBytes.length + pad);
  out.set(bodyBytes, 12 + headerBytes.length + pad);
  return out;
}

/**
 * Parse and validate checkpoint bytes.
 *
 * @param bytes The file bytes.
 * @param path The file name, for messages.
 * @returns The checkpoint contents.
 * @throws {CheckpointError} naming what is wrong (not a checkpoint, newer format, truncated,
 *   checksum mismatch).
 */
export function decodeCheckpoint(bytes: Uint8Array, path: string): CheckpointData {
  const fix = "delete it to start over, or pass another --output-dir";
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
    throw new CheckpointError(path, `the file is not a newbob checkpoint; ${fix}`);
  }
  const headerLen = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  if (12 + headerLen > bytes.length) {
    throw new CheckpointError(path, `the file is truncated (header cut off); ${fix}`);
  }
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLen)));
  } catch (e) {
    throw new CheckpointError(
      path,
      `the header is not valid JSON (${(e as Error).message}); ${fix}`,
    );
  }
  if (header.format !== "newbob-checkpoint" || typeof header.version !== "number") {
    throw new CheckpointError(path, `the header does not describe a newbob checkpoint; ${fix}`);
  }
  if (header.version > CHECKPOINT_FORMAT_VERSION) {
    throw new CheckpointError(
      path,
      `it has format version ${header.version}, newer than this newbob reads ` +
        `(${CHECKPOINT_FORMAT_VERSION}); update newbob`,
    );
  }
  const isCount = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
  if (
    !isCount(header.epoch) || !isCount(header.globalTrainStep) ||
    !Array.isArray(header.paramNames) || !header.paramNames.every((n) => typeof n === "string") ||
    !Array.isArray(header.arrays) ||
    !header.arrays.every((a) =>
      typeof a?.name === "string" && isCount(a.length) &&
      (a.name.startsWith("param/") || a.name.startsWith("optimizer/") ||
        a.name.startsWith("state/"))
    ) || typeof header.checksum !== "string"
  ) {
    throw new CheckpointError(
      path,
      `the header is malformed (epoch, step counter, names or array lengths); ${fix}`,
    );
  }
  const total = header.arrays.reduce((n, a) => n + a.length, 0);
  const bodyStart = 12 + headerLen;
  if (bytes.length - bodyStart !== total * 4) {
    throw new CheckpointError(
      path,
      `the file is truncated or padded: expected ${total * 4} bytes of arrays, found ` +
        `${bytes.length - bodyStart}; ${fix}`,
    );
  }
  const body = bytes.slice(bodyStart);
  if (fnv1a(body) !== header.checksum) {
    throw new CheckpointError(path, `the checksum does not match (the file is corrupt); ${fix}`);
  }
  const values = new Float32Array(body.buffer);
  const params: Float32Array[] = [];
  const optimizerArrays: Record<string, Float32Array> = {};
  const stateArrays: Record<string, Float32Array> = {};
  let off = 0;
  for (const a of header.arrays) {
    const v = values.slice(off, off + a.length);
    off += a.length;
    if (a.name.startsWith("param/")) params.push(v);
    else if (a.name.startsWith("state/")) stateArrays[a.name.slice("state/".length)] = v;
    else optimizerArrays[a.name.slice("optimizer/".length)] = v;
  }
  if (params.length !== header.paramNames.length) {
    throw new CheckpointError(
      path,
      `the header names ${header.paramNames.length} parameters but holds ${params.length}; ${fix}`,
    );
  }
  return {
    epoch: header.epoch,
    globalTrainStep: header.globalTrainStep,
    paramNames: header.paramNames,
    params,
    optimizerArrays,
    optimizerMeta: header.optimizerMeta,
    ...(Object.keys(stateArrays).length > 0 ? { stateArrays } : {}),
    rng: header.rng,
    fingerprint: header.fingerprint,
    history: header.history,
  };
}

/**
 * Write a checkpoint atomically: `<path>.tmp` is written and flushed to disk, then renamed onto
 * `path` (an atomic replace on POSIX file systems).
 *
 * @param path The checkpoint file.
 * @param data The checkpoint contents.
 * @throws {SaveError} When writing fails (disk full, folder read-only or gone); the previous
 *   checkpoint is unchanged and the temporary file removed.
 */
export async function saveCheckpoint(path: string, data: CheckpointData): Promise<void> {
  await writeFileAtomic(path, encodeCheckpoint(data), ".tmp", "the checkpoint");
}

/**
 * Read and validate a checkpoint file.
 *
 * @param path The checkpoint file.
 * @returns The contents, or `undefined` when the file does not exist.
 * @throws {CheckpointError} when the file exists but cannot be used.
 *
 * @example Save and load
 * ```ts
 * import { loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";
 * import { equal } from "node:assert/strict";
 *
 * await Deno.mkdir(".tmp", { recursive: true });
 * const dir = await Deno.makeTempDir({ dir: ".tmp" });
 * await saveCheckpoint(`${dir}/c.nbck`, {
 *   epoch: 2, globalTrainStep: 20, paramNames: ["w"], params: [new Float32Array([1])],
 *   optimizerArrays: {}, optimizerMeta: null, rng: null, fingerprint: {}, history: [],
 * });
 * equal((await loadCheckpoint(`${dir}/c.nbck`))?.epoch, 2);
 * equal(await loadCheckpoint(`${dir}/none.nbck`), undefined);
 * ```
 */
export async function loadCheckpoint(path: string): Promise<CheckpointData | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw new CheckpointError(path, `the file cannot be read: ${(e as Error).message}`);
  }
  return decodeCheckpoint(bytes, path);
}
