/**
 * The learning-rate file on disk (Deno): load it if it exists, save it atomically. Kept apart
 * from the parser and formatter (`lr_file.ts`, which work on strings and load in a browser):
 * nothing in the graph of the root `mod.ts` imports this module statically; the learning-rate
 * control loads it with `import()` only when it is given a file.
 *
 * @module
 */

import { writeTextFileAtomic } from "../_util/atomic_write.ts";
import { type EpochRecord, formatLearningRateFile, parseLearningRateFile } from "./lr_file.ts";

/**
 * Read and parse a learning-rate file.
 *
 * @param path The file.
 * @returns Epoch records by epoch, or `undefined` when the file does not exist.
 * @throws {LearningRateFileError} If the file is malformed (it is left untouched).
 * @throws {Error} Deno's own errors when the file exists but cannot be read (permissions).
 *
 * @example Usage
 * ```ts
 * import { loadLearningRateFile } from "./lr_file_io.ts";
 * import { equal } from "node:assert/strict";
 * equal(await loadLearningRateFile(".tmp/no-such-learning-rate-file"), undefined);
 * ```
 */
export async function loadLearningRateFile(
  path: string,
): Promise<Map<number, EpochRecord> | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
  return parseLearningRateFile(text, path);
}

/**
 * Write epoch records as RETURNN's learning-rate file text, atomically (temporary file
 * `<path>.new_tmp`, fsync, rename; the folder is created if needed).
 *
 * @param path The file.
 * @param data Epoch records by epoch.
 * @returns Nothing, once the file is in place.
 * @throws {SaveError} When writing fails (the previous file is unchanged).
 * @throws {TypeError} If meta data holds a value with no Python literal.
 *
 * @example Usage
 * ```ts
 * import { loadLearningRateFile, saveLearningRateFile } from "./lr_file_io.ts";
 * import { equal } from "node:assert/strict";
 * await Deno.mkdir(".tmp", { recursive: true });
 * const path = `${await Deno.makeTempDir({ dir: ".tmp" })}/learning_rates`;
 * await saveLearningRateFile(path, new Map([[1, { learningRate: 0.5, error: new Map(), meta: {} }]]));
 * equal((await loadLearningRateFile(path))?.get(1)?.learningRate, 0.5);
 * ```
 */
export async function saveLearningRateFile(
  path: string,
  data: ReadonlyMap<number, EpochRecord>,
): Promise<void> {
  await writeTextFileAtomic(path, formatLearningRateFile(data));
}
