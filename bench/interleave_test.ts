import assert from "node:assert/strict";
import { type Prepared, timeInterleaved } from "./interleave.ts";

const item = (impl: string, once: () => Promise<void | number>, log: string[]): Prepared => ({
  impl,
  optimizer: "adam",
  shape: "1M",
  work: 100,
  steps: 2,
  reps: 3,
  once: () => {
    log.push(impl);
    return once();
  },
  dispose: () => log.push(`free ${impl}`),
});

Deno.test("timeInterleaved: turns, one warm-up each, and a peer's own clock", async () => {
  const log: string[] = [];
  const [here, there] = await timeInterleaved([
    item("here", () => Promise.resolve(), log),
    item("there", () => Promise.resolve(0.5), log),
  ]);
  assert.deepEqual(log, [
    ...["here", "there"], // warm-up
    ...["here", "there", "here", "there", "here", "there"],
    "free here",
    "free there",
  ]);
  // The peer's seconds are its rate (100 / 0.5), with no CPU-time rate of this process.
  assert.equal(there.rate?.median, 200);
  assert.equal(there.cpuRate, undefined);
  assert.ok(here.cpuRate !== undefined && here.rate!.median > 200);
});
