/**
 * Atomic file writing, as RETURNN saves its learning-rate file.
 *
 * @module
 */

import { dirname } from "node:path";

/**
 * Write a text file atomically, as RETURNN saves its learning-rate file: write
 * `<path>.new_tmp`, flush it to disk, close it, then rename it onto `path` (so a crash never
 * leaves a half-written file). The parent directory is created if needed.
 *
 * @param path The file.
 * @param text The content.
 * @returns Nothing, once the file is in place.
 * @throws {Deno.errors.PermissionDenied} Without write permission for the folder.
 *
 * @example Usage
 * ```ts ignore
 * import { writeTextFileAtomic } from "./atomic_write.ts";
 * await writeTextFileAtomic("out/learning_rates", "{}\n");
 * ```
 */
export async function writeTextFileAtomic(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  if (dir !== "" && dir !== ".") await Deno.mkdir(dir, { recursive: true });
  const tmp = `${path}.new_tmp`;
  const bytes = new TextEncoder().encode(text);
  const file = await Deno.open(tmp, { write: true, create: true, truncate: true });
  try {
    for (let off = 0; off < bytes.length;) off += await file.write(bytes.subarray(off));
    await file.sync();
  } finally {
    file.close();
  }
  await Deno.rename(tmp, path);
}
