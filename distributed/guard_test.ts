import { deepEqual, equal, rejects } from "node:assert/strict";
import { describeError, runGuarded } from "./guard.ts";
import { createLoopbackGroup } from "./loopback.ts";
import { createSingleProcess } from "./single.ts";

Deno.test("guard: one rank's error aborts the job with its message; other ranks are released", async () => {
  const seen: string[] = [];
  const ranks = createLoopbackGroup(2, {
    onAbort: (m, code, rank) => seen.push(`${rank}/${code}: ${m}`),
  });
  const results = await Promise.allSettled(ranks.map((c) =>
    runGuarded(c, async () => {
      await c.barrier();
      if (c.rank === 1) throw new RangeError("bad batch\nat somewhere");
      await c.barrier(); // rank 0 would wait here forever
      return "done";
    })
  ));
  deepEqual(seen, ["1/1: RangeError: bad batch"]);
  equal(results.every((r) => r.status === "rejected"), true);
});

Deno.test("guard: with one rank the error is rethrown as it is", async () => {
  await rejects(
    runGuarded(createSingleProcess(), () => Promise.reject(new TypeError("x"))),
    TypeError,
  );
  equal(describeError("plain\nline"), "plain");
});
