/**
 * Atomic file writing, as RETURNN saves its learning-rate file (used by the learning-rate file,
 * the checkpoints and the plot). Deno only, but safe to import anywhere: `Deno.*` and
 * `node:path` are reached only when a file is written.
 *
 * @module
 */

/**
 * Write a text file atomically, as RETURNN saves its learning-rate file: write
 * `<path>.new_tmp`, flush it to disk, close it, then rename it onto `path` (so a crash never
 * leaves a half-written file). The parent directory is created if needed.
 *
 * @param path The file.
 * @param text The content.
 * @returns Nothing, once the file is in place.
 * @throws {SaveError} When writing fails (the previous file is unchanged); Deno's permission
 * errors (`NotCapable`) pass through.
 *
 * @example Usage
 * ```ts
 * import { writeTextFileAtomic } from "./atomic_write.ts";
 * import { equal } from "node:assert/strict";
 * await Deno.mkdir(".tmp", { recursive: true });
 * await writeTextFileAtomic(".tmp/atomic_write_example.txt", "{}\n");
 * equal(await Deno.readTextFile(".tmp/atomic_write_example.txt"), "{}\n");
 * ```
 */
export async function writeTextFileAtomic(path: string, text: string): Promise<void> {
  await writeFileAtomic(path, new TextEncoder().encode(text), ".new_tmp", "the file");
}

/**
 * Saving a file failed (disk full, folder read-only or gone): the previous version of the file
 * is unchanged, and the half-written temporary file was removed. The message names the file,
 * the cause and how to continue.
 *
 * @example Usage
 * ```ts
 * import { SaveError } from "./atomic_write.ts";
 * import { match } from "node:assert/strict";
 * const e = new SaveError("out/learning_rates", "the learning-rate file", new Error("No space left on device (os error 28)"));
 * match(e.message, /^Cannot save the learning-rate file 'out\/learning_rates': No space .* unchanged/);
 * ```
 */
export class SaveError extends Error {
  /** The file that could not be saved. */
  readonly path: string;
  /**
   * Create the error.
   *
   * @param path The file.
   * @param what What the file is, for the message (e.g. `"the checkpoint"`).
   * @param cause The underlying error.
   */
  constructor(path: string, what: string, cause: unknown) {
    super(
      `Cannot save ${what} '${path}': ${(cause as Error)?.message ?? cause}. The previous ` +
        "version of the file is unchanged. Free disk space or make the folder writable, then " +
        "run the same command again (training resumes from the last checkpoint)",
      { cause },
    );
    this.name = "SaveError";
    this.path = path;
  }
}

/**
 * Write bytes atomically: `<path><suffix>` is written, flushed to disk and renamed onto `path`;
 * then the folder is flushed too, so the rename itself survives a power loss.
 * On failure the temporary file is removed and a {@linkcode SaveError} is thrown; Deno's own
 * permission errors (`NotCapable`) pass through unchanged.
 *
 * @param path The file.
 * @param bytes The content.
 * @param suffix Suffix of the temporary file beside it.
 * @param what What the file is, for error messages.
 * @throws {SaveError} When writing fails; the previous file is unchanged.
 *
 * @example Usage
 * ```ts
 * import { writeFileAtomic } from "./atomic_write.ts";
 * import { deepEqual } from "node:assert/strict";
 * await Deno.mkdir(".tmp", { recursive: true });
 * await writeFileAtomic(".tmp/atomic_example.bin", new Uint8Array([1, 2]), ".new", "the data");
 * deepEqual(await Deno.readFile(".tmp/atomic_example.bin"), new Uint8Array([1, 2]));
 * ```
 */
export async function writeFileAtomic(
  path: string,
  bytes: Uint8Array,
  suffix: string,
  what: string,
): Promise<void> {
  const tmp = `${path}${suffix}`;
  try {
    // Loaded here, not at the top: a browser bundle that contains this module never loads it.
    const { dirname } = await import("node:path");
    const dir = dirname(path);
    if (dir !== "" && dir !== ".") await Deno.mkdir(dir, { recursive: true });
    const file = await Deno.open(tmp, { write: true, create: true, truncate: true });
    try {
      for (let off = 0; off < bytes.length;) off += await file.write(bytes.subarray(off));
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(tmp, path);
    await _syncDirectory(dir === "" ? "." : dir);
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable) throw e;
    await Deno.remove(tmp).catch(() => {});
    throw new SaveError(path, what, e);
  }
}

/**
 * Flush a folder's entries (the rename just done) to disk. Best effort: where the folder cannot
 * be opened for reading (no read permission granted for it), the rename is still atomic, only
 * not yet durable against a power loss.
 */
async function _syncDirectory(dir: string): Promise<void> {
  let handle: Deno.FsFile | undefined;
  try {
    handle = await Deno.open(dir, { read: true });
    await handle.sync();
  } catch {
    // Not durable yet, but still atomic: nothing to report.
  } finally {
    handle?.close();
  }
}
