/**
 * Messages over any {@linkcode Communicator}: bytes and JSON-like values (epoch scores, control
 * decisions, checkpoint metadata) broadcast from one rank, with the numbers JSON cannot carry
 * (`NaN`, `Infinity`, `-Infinity`, `-0`) kept exactly.
 *
 * @module
 */

import type { Communicator } from "./types.ts";

const TAG = "$num";

/**
 * Encode a JSON-like value as UTF-8 bytes, keeping non-finite numbers and `-0`.
 *
 * @param value Plain objects, arrays, strings, numbers, booleans, `null`.
 * @returns The bytes.
 * @throws {TypeError} for values JSON cannot hold (functions, bigint, cycles) or an object
 *   whose only key is `"$num"` (the encoding's marker).
 *
 * @example Usage
 * ```ts
 * import { decodeValue, encodeValue } from "./wire.ts";
 * import { deepEqual } from "node:assert/strict";
 * const scores = { dev_score: NaN, train_score: { output: Infinity }, ok: -0 };
 * deepEqual(decodeValue(encodeValue(scores)), scores);
 * ```
 */
export function encodeValue(value: unknown): Uint8Array {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, function (key, v) {
      const raw = (this as Record<string, unknown>)[key];
      if (typeof raw === "number" && (!Number.isFinite(raw) || Object.is(raw, -0))) {
        return { [TAG]: Object.is(raw, -0) ? "-0" : String(raw) };
      }
      if (typeof v === "function" || typeof v === "bigint" || typeof v === "symbol") {
        throw new TypeError(`a ${typeof v} at '${key}'`);
      }
      if (typeof v === "object" && v !== null && !Array.isArray(v)) {
        const keys = Object.keys(v);
        if (keys.length === 1 && keys[0] === TAG) throw new TypeError(`an object {"${TAG}": ...}`);
      }
      return v;
    });
  } catch (e) {
    throw new TypeError(
      `Cannot encode the value for other ranks as it holds ${(e as Error).message}: send plain ` +
        "data (objects, arrays, strings, numbers, booleans, null)",
    );
  }
  if (text === undefined) {
    throw new TypeError("Cannot encode the value for other ranks as it is undefined: send null");
  }
  return new TextEncoder().encode(text);
}

/**
 * Decode bytes written by {@linkcode encodeValue}.
 *
 * @param bytes The bytes.
 * @returns The value.
 * @throws {SyntaxError} for bytes that are not such a message.
 *
 * @example Usage
 * ```ts
 * import { decodeValue, encodeValue } from "./wire.ts";
 * import { equal } from "node:assert/strict";
 * equal(decodeValue(encodeValue(-Infinity)), -Infinity);
 * ```
 */
export function decodeValue(bytes: Uint8Array): unknown {
  return JSON.parse(new TextDecoder().decode(bytes), (_key, v) => {
    if (typeof v === "object" && v !== null && !Array.isArray(v)) {
      const keys = Object.keys(v);
      if (keys.length === 1 && keys[0] === TAG) {
        const s = v[TAG];
        return s === "-0" ? -0 : Number(s);
      }
    }
    return v;
  });
}

/**
 * Broadcast bytes from `root`: two collectives (the length, then the bytes).
 *
 * @param comm The communicator.
 * @param bytes The message on `root` (ignored elsewhere).
 * @param root The sending rank. @default {0}
 * @returns The message, on every rank.
 * @throws {TypeError} when `root` passes no bytes.
 *
 * @example Usage
 * ```ts
 * import { broadcastBytes } from "./wire.ts";
 * import { createLoopbackGroup } from "./loopback.ts";
 * import { deepEqual } from "node:assert/strict";
 * const [a, b] = createLoopbackGroup(2);
 * const [, got] = await Promise.all([
 *   broadcastBytes(a, new Uint8Array([1, 2, 3])),
 *   broadcastBytes(b, undefined),
 * ]);
 * deepEqual([...got], [1, 2, 3]);
 * ```
 */
export async function broadcastBytes(
  comm: Communicator,
  bytes: Uint8Array | undefined,
  root = 0,
): Promise<Uint8Array> {
  const len = new Float64Array(1);
  if (comm.rank === root) {
    if (!(bytes instanceof Uint8Array)) {
      throw new TypeError(`Cannot broadcast a message as rank ${root} (the root) passed no bytes`);
    }
    len[0] = bytes.length;
  }
  await comm.broadcast(len, root);
  const out = comm.rank === root ? bytes! : new Uint8Array(len[0]);
  if (len[0] > 0) await comm.broadcast(out, root);
  return out;
}

/**
 * Broadcast a JSON-like value from `root` (e.g. rank 0's epoch scores, so that every rank's
 * learning-rate control takes the same decision: RETURNN's fix for its issue 1493).
 *
 * @param comm The communicator.
 * @param value The value on `root` (ignored elsewhere).
 * @param root The sending rank. @default {0}
 * @returns `root`'s value, on every rank (a copy; on `root` the decoded copy too).
 *
 * @example Usage
 * ```ts
 * import { broadcastValue } from "./wire.ts";
 * import { createLoopbackGroup } from "./loopback.ts";
 * import { deepEqual } from "node:assert/strict";
 * const [a, b] = createLoopbackGroup(2);
 * const [, got] = await Promise.all([
 *   broadcastValue(a, { dev_score: 0.25 }),
 *   broadcastValue(b, { dev_score: 0.5 }),
 * ]);
 * deepEqual(got, { dev_score: 0.25 });
 * ```
 */
export async function broadcastValue<T>(comm: Communicator, value: T, root = 0): Promise<T> {
  const bytes = comm.rank === root ? encodeValue(value) : undefined;
  return decodeValue(await broadcastBytes(comm, bytes, root)) as T;
}
