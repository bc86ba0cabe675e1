/**
 * Crash safety (fast version; `deno task stress` runs the long one): the trainer is killed with
 * SIGKILL at random moments (mid-step, mid-eval, mid-save) and resumed each time; after every
 * kill the learning-rate file and the checkpoint parse, and the final learning-rate file and
 * checkpoint equal an uninterrupted run's byte for byte (`cpu` backend).
 *
 * @module
 */

import { deepEqual, equal } from "node:assert/strict";
import { crashTrials, referenceRun, tinyConfig } from "./_crash.ts";
import { tempDir } from "./_gpu.ts";

Deno.test("crash: 5 SIGKILLs at random moments, resume, bitwise equal to an uninterrupted run", async () => {
  const dir = await tempDir("crash-");
  try {
    const config = tinyConfig(3);
    const reference = await referenceRun(dir, config);
    const stats = await crashTrials(dir, config, reference, 5, 20261124);
    deepEqual(stats.problems, []);
    equal(stats.losses, 0);
    equal(stats.kills >= 5, true);
    equal(stats.checks, stats.kills);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
