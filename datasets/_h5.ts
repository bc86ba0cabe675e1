/**
 * h5wasm, loaded on first use, with HDF files streamed through it: instead of copying a whole
 * file into the wasm file system, a file node is mounted whose reads (and writes) go to the file
 * on disk at the position HDF5 asks for. HDF5 reads only the blocks it needs (metadata, the rows
 * of a slice), so a file much larger than memory is never held whole.
 *
 * @module
 */

import type * as H5 from "h5wasm";

/** The h5wasm module namespace. */
export type H5Module = typeof H5;

let _loading: Promise<H5Module> | undefined;

/**
 * Load h5wasm (once per process) and wait until its wasm module is ready.
 *
 * @returns The module.
 * @throws {Error} If h5wasm cannot be loaded (the message says how to install it).
 */
export function loadH5(): Promise<H5Module> {
  _loading ??= (async () => {
    let h5: H5Module;
    try {
      h5 = await import("h5wasm");
    } catch (e) {
      _loading = undefined;
      throw new Error(
        `Cannot read or write HDF files: the 'h5wasm' package could not be loaded (${
          (e as Error).message
        }); run 'deno install' (it is in deno.json's imports) or add npm:h5wasm@0.10.3`,
      );
    }
    await h5.ready;
    return h5;
  })();
  return _loading;
}

/** Bytes of a file, read synchronously at a position (what HDF5's driver needs). */
export interface ByteSource {
  /** Size in bytes. */
  readonly size: number;
  /** Read up to `into.length` bytes at `position`; returns how many were read. */
  readAt(position: number, into: Uint8Array): number;
  /** Write `from` at `position` (writable sources only). */
  writeAt?(position: number, from: Uint8Array): void;
  /** Release the file. */
  close(): void;
}

/** Counters of what went through a mounted file. */
export interface IoStats {
  /** Bytes HDF5 has read from the file so far. */
  bytesRead: number;
  /** Read calls so far. */
  reads: number;
}

/**
 * A file on disk as a {@linkcode ByteSource} (needs read permission; write permission for
 * `writable`).
 *
 * @param path The file.
 * @param writable Create/truncate it for writing. @default false
 * @returns The source.
 */
export function denoFileSource(path: string, writable = false): ByteSource {
  const file = Deno.openSync(
    path,
    writable ? { read: true, write: true, create: true, truncate: true } : { read: true },
  );
  let size = writable ? 0 : file.statSync().size;
  return {
    get size() {
      return size;
    },
    readAt(position, into) {
      file.seekSync(position, Deno.SeekMode.Start);
      let got = 0;
      while (got < into.length) {
        const r = file.readSync(into.subarray(got));
        if (r === null || r === 0) break;
        got += r;
      }
      return got;
    },
    writeAt(position, from) {
      file.seekSync(position, Deno.SeekMode.Start);
      let put = 0;
      while (put < from.length) put += file.writeSync(from.subarray(put));
      size = Math.max(size, position + from.length);
    },
    close() {
      file.close();
    },
  };
}

/**
 * Bytes in memory as a {@linkcode ByteSource} (for browsers: a fetched or uploaded file).
 *
 * @param bytes The file's bytes.
 * @returns The source.
 */
export function bytesSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    readAt(position, into) {
      const n = Math.max(0, Math.min(into.length, bytes.length - position));
      into.set(bytes.subarray(position, position + n));
      return n;
    },
    close() {},
  };
}

let _mountCount = 0;

/** A source mounted in h5wasm's file system. */
export interface Mounted {
  /** The path to open with `new h5.File(path, mode)`. */
  readonly path: string;
  /** What went through it. */
  readonly stats: IoStats;
  /** Remove the node and close the source. */
  unmount(): void;
}

/**
 * Mount a source as a file in h5wasm's (emscripten) file system, so HDF5 reads (and writes) it
 * in place at the positions it needs.
 *
 * @param h5 The loaded module.
 * @param source The bytes.
 * @returns The mounted file.
 */
export function mountSource(h5: H5Module, source: ByteSource): Mounted {
  // deno-lint-ignore no-explicit-any
  const FS = h5.FS as any;
  const dir = "/newbob";
  if (!FS.analyzePath(dir).exists) FS.mkdirTree(dir);
  const name = `f${_mountCount++}.h5`;
  const node = FS.createFile(dir, name, { isDevice: false }, true, source.writeAt !== undefined);
  Object.defineProperty(node, "usedBytes", { get: () => source.size });
  const stats: IoStats = { bytesRead: 0, reads: 0 };
  const view = (buffer: Int8Array, offset: number, length: number) =>
    new Uint8Array(buffer.buffer, buffer.byteOffset + offset, length);
  node.stream_ops = {
    ...node.stream_ops,
    read(_stream: unknown, buffer: Int8Array, offset: number, length: number, position: number) {
      if (position >= source.size) return 0;
      const n = Math.min(length, source.size - position);
      const got = source.readAt(position, view(buffer, offset, n));
      stats.bytesRead += got;
      stats.reads++;
      return got;
    },
    write(_stream: unknown, buffer: Int8Array, offset: number, length: number, position: number) {
      if (source.writeAt === undefined) throw new FS.ErrnoError(29);
      source.writeAt(position, view(buffer, offset, length));
      return length;
    },
  };
  return {
    path: `${dir}/${name}`,
    stats,
    unmount() {
      try {
        FS.unlink(`${dir}/${name}`);
      } finally {
        source.close();
      }
    },
  };
}

/**
 * Bytes of h5wasm's wasm memory (it only grows): what HDF5 holds at most, caches included.
 *
 * @returns The size, or 0 before h5wasm was loaded.
 */
export async function wasmHeapBytes(): Promise<number> {
  if (_loading === undefined) return 0;
  // deno-lint-ignore no-explicit-any
  const h5 = (await _loading) as any;
  return h5.Module.HEAPU8.length;
}
