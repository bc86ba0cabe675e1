/**
 * A failing-write shim for disk-fault tests: while armed, file writes under one folder fail the
 * way the operating system fails them (`ENOSPC` "No space left on device" after a few bytes, or
 * `EACCES` for a read-only folder). It patches `Deno.open`, `Deno.FsFile.prototype.write`,
 * `Deno.writeFile`, `Deno.writeTextFile` and `Deno.rename` of this process only (each test module
 * runs in its own worker) and is removed by `restore()`.
 *
 * A shim instead of a real full disk: CI gives no root tmpfs or quota, and Deno refuses
 * `/dev/full` without `--allow-all`; a shim instead of `chmod 0555`: CI runs as root, where
 * permission bits do not stop writes.
 *
 * @module
 */

import { resolve } from "node:path";

/** How armed writes fail. */
export type WriteFault = "full" | "readonly";

/** Control of an installed shim. */
export interface WriteShim {
  /** Start failing writes under the folder. */
  arm(fault: WriteFault): void;
  /** Stop failing writes. */
  disarm(): void;
  /** Writes that failed so far. */
  readonly faults: number;
  /** Remove the shim. */
  restore(): void;
}

/** As Deno reports a failed `write`: no path in the message. */
function enospc(): Error {
  return Object.assign(new Error("No space left on device (os error 28)"), { code: "ENOSPC" });
}

function eacces(path: string): Error {
  return new Deno.errors.PermissionDenied(
    `Permission denied (os error 13): open '${path}'`,
  );
}

/**
 * Install the shim for writes under `folder`.
 *
 * @param folder The folder whose files fail while armed.
 * @returns The control.
 */
export function installWriteShim(folder: string): WriteShim {
  const root = resolve(folder);
  const under = (p: string | URL) => {
    const abs = resolve(String(p instanceof URL ? p.pathname : p));
    return abs === root || abs.startsWith(root + "/");
  };
  let fault: WriteFault | null = null;
  let faults = 0;
  const paths = new WeakMap<Deno.FsFile, string>();
  const proto = Deno.FsFile.prototype;
  const orig = {
    open: Deno.open,
    write: proto.write,
    writeFile: Deno.writeFile,
    writeTextFile: Deno.writeTextFile,
    rename: Deno.rename,
  };
  const fail = (path: string): never => {
    faults++;
    throw fault === "full" ? enospc() : eacces(path);
  };
  Deno.open = async (path, options) => {
    const writing = options?.write || options?.append || options?.create;
    if (fault === "readonly" && writing && under(path)) fail(String(path));
    const file = await orig.open(path, options);
    paths.set(file, String(path));
    return file;
  };
  proto.write = async function (this: Deno.FsFile, p: Uint8Array): Promise<number> {
    const path = paths.get(this);
    if (fault === "full" && path !== undefined && under(path)) {
      // The disk fills up a few bytes into the write.
      if (p.length > 16) await orig.write.call(this, p.subarray(0, 16));
      fail(path);
    }
    return await orig.write.call(this, p);
  };
  Deno.writeFile = async (path, data, options) => {
    if (fault && under(path)) fail(String(path));
    return await orig.writeFile(path, data, options);
  };
  Deno.writeTextFile = async (path, data, options) => {
    if (fault && under(path)) fail(String(path));
    return await orig.writeTextFile(path, data, options);
  };
  Deno.rename = async (from, to) => {
    if (fault === "readonly" && (under(from) || under(to))) fail(String(to));
    return await orig.rename(from, to);
  };
  return {
    arm(f) {
      fault = f;
    },
    disarm() {
      fault = null;
    },
    get faults() {
      return faults;
    },
    restore() {
      Deno.open = orig.open;
      proto.write = orig.write;
      Deno.writeFile = orig.writeFile;
      Deno.writeTextFile = orig.writeTextFile;
      Deno.rename = orig.rename;
    },
  };
}
