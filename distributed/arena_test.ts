import { deepEqual, equal, throws } from "node:assert/strict";
import { arenaViews, flatLayout, packArena, unpackArena } from "./arena.ts";
import { arenaLayout, BLOCK_FLOATS } from "../optimizers/engine_layout.ts";

Deno.test("arena: the optimizer engine's layout (256-byte aligned), one flat buffer", () => {
  const sizes = [1, 64, 65, 0, 300];
  const l = flatLayout(sizes);
  const engine = arenaLayout(sizes, 1 << 20);
  deepEqual(l.offsets, engine.offsets);
  equal(l.length, engine.length);
  equal(l.chunks.length, 1);
  for (const o of l.offsets) equal(o % BLOCK_FLOATS, 0);
  equal(flatLayout([]).length, BLOCK_FLOATS);
});

Deno.test("arena: pack, views and unpack round-trip; padding stays zero", () => {
  const sizes = [3, 70, 1];
  const l = flatLayout(sizes);
  const tensors = sizes.map((n, t) => new Float32Array(n).map((_, i) => t * 1000 + i + 1));
  const flat = packArena(tensors, l);
  const views = arenaViews(flat, l);
  deepEqual(views.map((v) => [...v]), tensors.map((t) => [...t]));
  let padding = 0;
  const used = new Set<number>();
  l.offsets.forEach((o, t) => {
    for (let i = 0; i < sizes[t]; i++) used.add(o + i);
  });
  flat.forEach((v, i) => {
    if (!used.has(i)) padding += Math.abs(v);
  });
  equal(padding, 0);
  views[1][0] = -5; // views alias the arena
  equal(flat[l.offsets[1]], -5);
  const out = sizes.map((n) => new Float32Array(n));
  unpackArena(flat, l, out);
  equal(out[1][0], -5);
  throws(() => packArena([new Float32Array(2)], l), RangeError);
  throws(() => packArena(tensors.map((t) => t.subarray(1)), l), /tensor 0 has 2 elements/);
  throws(() => arenaViews(new Float32Array(3), l), RangeError);
  throws(() => flatLayout([1.5]), RangeError);
});
