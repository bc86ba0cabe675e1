import { deepEqual, equal, ok, rejects, throws } from "node:assert/strict";
import { createLoopbackGroup } from "./loopback.ts";
import { broadcastBytes, broadcastValue, decodeValue, encodeValue } from "./wire.ts";

Deno.test("wire: values round-trip with NaN, infinities and -0", () => {
  const v = { a: [NaN, Infinity, -Infinity, -0, 0, 1.5], s: "x\u0000y", n: null, t: true };
  const back = decodeValue(encodeValue(v)) as typeof v;
  deepEqual(back, v);
  ok(Object.is(back.a[3], -0));
  throws(() => encodeValue({ f: () => 1 }), /a function at 'f'/);
  throws(() => encodeValue({ big: 1n }), TypeError);
  throws(() => encodeValue({ $num: "1" }), /marker|\$num/);
  throws(() => encodeValue(undefined), /undefined/);
});

Deno.test("wire: broadcast bytes and values from a non-zero root", async () => {
  const ranks = createLoopbackGroup(3);
  const got = await Promise.all(
    ranks.map((c) => broadcastValue(c, { from: c.rank, score: c.rank === 2 ? NaN : 0 }, 2)),
  );
  for (const g of got) {
    equal(g.from, 2);
    ok(Number.isNaN(g.score));
  }
  const bytes = await Promise.all(
    ranks.map((c) => broadcastBytes(c, c.rank === 0 ? new Uint8Array(0) : undefined)),
  );
  deepEqual(bytes.map((b) => b.length), [0, 0, 0]);
  const [a] = createLoopbackGroup(1);
  await rejects(broadcastBytes(a, undefined), /passed no bytes/);
});
