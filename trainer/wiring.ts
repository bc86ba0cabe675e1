/**
 * Wiring of the training loop to newbob's real pieces (placeholder until they land).
 *
 * @module
 */
import type { TrainDeps } from "./train_deps.ts";

/** The real pieces. */
export function defaultDeps(): Promise<TrainDeps> {
  return Promise.reject(new Error("not wired yet"));
}
