/**
 * Private: the control buffer layout shared by the pool (`pool.ts`) and its Workers
 * (`_worker_source.ts`), in Int32 words.
 *
 * @module
 */

/**
 * Control words: `seq` is bumped to wake the Workers, `cmd` says what they do (1 run the tasks,
 * 2 return to the message loop, 3 close), `done` counts acknowledgements, `tasks` is the task count of a
 * run, `failed` is set by a thread whose kernel threw; tasks start at `taskBase`, `taskWords`
 * words each (program, export index, units, batch, next unit).
 *
 * @example Usage
 * ```ts
 * import { CTRL_WORDS } from "./_worker_layout.ts";
 * import { equal } from "node:assert/strict";
 * equal(CTRL_WORDS.taskWords, 5);
 * ```
 */
export const CTRL_WORDS = Object.freeze({
  seq: 0,
  cmd: 1,
  done: 2,
  tasks: 3,
  failed: 4,
  taskBase: 16,
  taskWords: 5,
});
