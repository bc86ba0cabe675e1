import assert from "node:assert/strict";
import { ctcGreedyDecode, labelErrors } from "./ctc_decode.ts";
import { editDistance } from "./edit_distance.ts";

Deno.test("editDistance counts insertions, deletions and substitutions", () => {
  assert.equal(editDistance([1, 2, 3], [1, 2, 3]), 0);
  assert.equal(editDistance([1, 2, 3], [3, 2, 1]), 2);
  assert.equal(editDistance([1, 2, 3, 4], [2, 3]), 2);
  assert.equal(editDistance([], []), 0);
  assert.equal(editDistance([5, 5, 5], []), 3);
});

Deno.test("ctcGreedyDecode merges repeats, drops blanks (first or last) and ignores padding", () => {
  // blank last (2): frames a b b _ b | padding a
  const onehot = (cs: number[], C: number) =>
    cs.flatMap((c) => [...Array(C)].map((_, i) => +(i === c)));
  const s = new Float32Array([...onehot([0, 1, 1, 2, 1, 0], 3), ...onehot([2, 2, 0, 0, 0, 0], 3)]);
  assert.deepEqual(ctcGreedyDecode(s, [2, 6, 3], [5, 3], 2), [[0, 1, 1], [0]]);
  assert.throws(() => ctcGreedyDecode(s, [2, 6, 3], [7, 3], 2), RangeError);
  assert.throws(() => ctcGreedyDecode(s, [2, 5, 3], [5, 3], 2), RangeError);
});

Deno.test("labelErrors sums edit distances over the reference labels", () => {
  assert.deepEqual(labelErrors([[], [1]], new Int32Array([1, 1, 2, -1]), [2, 1]), {
    errors: 3,
    labels: 3,
  });
});
