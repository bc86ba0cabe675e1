import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { compilePlan } from "../transforms/plan.ts";
import { MAX_MEMORY_BYTES } from "../wasm/shared_memory.ts";
import { planWasmLayout, SEGMENT_ELEMENTS } from "./engine_wasm_layout.ts";

const group = (sizes: number[], slots = ["exp_avg", "exp_avg_sq"]) => ({
  hyper: {},
  slots,
  slotInit: slots.map(() => 0),
  sizes,
  tensorBase: 0,
});

Deno.test("wasm layout: segments, 64-byte aligned columns at one stride, scales per reduction", () => {
  const plan = compilePlan(
    [{ kind: "clip_norm", maxNorm: 1 }, { kind: "accumulate", steps: 2, window: "global" }]
      .reverse() as never,
  );
  const l = planWasmLayout([group([5, SEGMENT_ELEMENTS + 3, 0])], plan, 20);
  deepEqual(l.columns, ["param", "grad", "accum", "exp_avg", "exp_avg_sq"]);
  equal(l.memories.length, 1);
  const [a, b, c] = l.tensors[0];
  deepEqual(a.map((s) => [s.start, s.count, s.column]), [[0, 5, 0]]);
  deepEqual(b.map((s) => [s.start, s.count, s.column]), [[0, SEGMENT_ELEMENTS, 16], [
    SEGMENT_ELEMENTS,
    3,
    16 + SEGMENT_ELEMENTS,
  ]]);
  deepEqual(c, []);
  const m = l.memories[0];
  equal(m.colBase % 64, 0);
  equal(m.stride % 64, 0);
  equal(l.segWords, 6); // 5 fixed words + 1 reduction scale
  equal(m.bytes, m.colBase + 5 * m.stride);
});

Deno.test("wasm layout: a state beyond one memory continues in the next (planned, not allocated)", () => {
  const plan = compilePlan([]);
  // Adam on 2^30 parameters: 4 columns x 4 GiB, far beyond one 4 GiB memory.
  const l = planWasmLayout([group([2 ** 29, 2 ** 29])], plan, 20);
  ok(l.memories.length >= 4, `${l.memories.length} memories`);
  for (const m of l.memories) ok(m.bytes <= MAX_MEMORY_BYTES);
  // Every element is placed once, in order.
  l.tensors[0].forEach((segs) => {
    let next = 0;
    for (const s of segs) {
      equal(s.start, next);
      next += s.count;
    }
    equal(next, 2 ** 29);
  });
  // A small limit spreads even small states; a limit below one segment is refused.
  // (40000 elements: 3 segments of 16 bytes per element, one memory each)
  equal(planWasmLayout([group([40000])], plan, 20, 300_000).memories.length, 3);
  throws(() => planWasmLayout([group([40000])], plan, 20, 1000), /raise the memory limit/);
});
