import { deepEqual, equal, ok, rejects, throws } from "node:assert/strict";
import { createLoopbackGroup } from "./loopback.ts";
import { createSingleProcess } from "./single.ts";
import type { Communicator } from "./types.ts";

Deno.test("single: collectives are the identity, arguments are checked like MPI's", async () => {
  const aborts: [string, number][] = [];
  const c = createSingleProcess({ onAbort: (m, code) => aborts.push([m, code]) });
  const f = new Float32Array([1.5, -2]);
  await c.allReduce(f, "avg");
  await c.allReduce(f, "max");
  await c.broadcast(f);
  await c.barrier();
  deepEqual([...f], [1.5, -2]);
  throws(() => c.allReduce(new Int32Array(1), "avg"), TypeError);
  throws(() => c.allReduce([1] as unknown as Float32Array), TypeError);
  throws(() => c.allReduce(f, "prod" as "sum"), RangeError);
  throws(() => c.broadcast(f, 1), RangeError);
  void c.abort("stop", 3);
  deepEqual(aborts, [["stop", 3]]);
  await c.finalize();
  throws(() => c.barrier(), /finalized/);
});

async function all(ranks: Communicator[], fn: (c: Communicator) => Promise<unknown>) {
  return await Promise.all(ranks.map(fn));
}

Deno.test("loopback: sum/avg/max/min fold in rank order with each type's rounding", async () => {
  const ranks = createLoopbackGroup(3);
  const f = ranks.map((c) => new Float32Array([0.1 * (c.rank + 1), 1e8, c.rank]));
  await all(ranks, (c) => c.allReduce(f[c.rank], "sum"));
  const f32 = Math.fround;
  const want = f32(f32(f32(0.1) + f32(0.2)) + f32(0.3));
  for (const a of f) deepEqual([...a], [want, 3e8, 3]);
  const avg = ranks.map((c) => new Float32Array([c.rank, 1]));
  await all(ranks, (c) => c.allReduce(avg[c.rank], "avg"));
  deepEqual([...avg[2]], [1, 1]);
  const i = ranks.map((c) => new Int32Array([c.rank, -c.rank, 2 ** 30]));
  await all(ranks, (c) => c.allReduce(i[c.rank], "sum"));
  deepEqual([...i[0]], [3, -3, -(2 ** 30)]); // int32 wraps like C
  const m = ranks.map((c) => new Float64Array([c.rank, -c.rank]));
  await all(ranks, (c) => c.allReduce(m[c.rank], "max"));
  deepEqual([...m[1]], [2, 0]);
  await all(ranks, (c) => c.allReduce(m[c.rank], "min"));
  deepEqual([...m[1]], [2, 0]);
});

Deno.test("loopback: broadcast from any root, barrier, collectives in call order", async () => {
  const ranks = createLoopbackGroup(3);
  const b = ranks.map((c) => new Uint8Array([c.rank, c.rank]));
  await all(ranks, (c) => c.broadcast(b[c.rank], 1));
  for (const a of b) deepEqual([...a], [1, 1]);
  // Two collectives started without awaiting: they complete in order on every rank.
  const x = ranks.map(() => new Float32Array([1]));
  await all(ranks, (c) => {
    const p1 = c.allReduce(x[c.rank]);
    const p2 = c.barrier();
    return Promise.all([p1, p2]);
  });
  deepEqual(x.map((a) => a[0]), [3, 3, 3]);
});

Deno.test("loopback: mismatched collectives reject on every rank; abort rejects what is pending", async () => {
  const ranks = createLoopbackGroup(2);
  const r = await Promise.allSettled([
    ranks[0].allReduce(new Float32Array(2)),
    ranks[1].allReduce(new Float32Array(3)),
  ]);
  ok(r.every((x) => x.status === "rejected" && /does not match/.test(String(x.reason))));
  const seen: string[] = [];
  const group = createLoopbackGroup(2, { onAbort: (m, _c, rank) => seen.push(`${rank}: ${m}`) });
  const pending = group[0].barrier();
  await rejects(group[1].abort("boom"), /rank 1 aborted the job: boom/);
  await rejects(pending, /boom/);
  await rejects(group[0].barrier(), /boom/);
  deepEqual(seen, ["1: boom"]);
  throws(() => createLoopbackGroup(0), RangeError);
  equal(createLoopbackGroup(1)[0].description, "loopback group (rank 0 of 1)");
});
