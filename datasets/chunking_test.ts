import assert from "node:assert/strict";
import { parseChunking } from "./chunking.ts";

Deno.test("parseChunking accepts RETURNN's forms", () => {
  const c = (v: unknown) => {
    const p = parseChunking(v);
    return p === null
      ? null
      : [p.size.value ?? p.size.toRecord(), p.step.value ?? p.step.toRecord()];
  };
  assert.deepEqual(c("20:10"), [20, 10]);
  assert.deepEqual(c("20"), [20, 20]);
  assert.deepEqual(c(" 20 : 0 "), [20, 20]); // Python's int() strips spaces; step 0 means size
  assert.deepEqual(c(20), [20, 20]);
  assert.deepEqual(c([20, 5]), [20, 5]);
  assert.deepEqual(c([20, null]), [20, 20]);
  assert.deepEqual(c({ data: 20, classes: 10 }), [{ data: 20, classes: 10 }, {
    data: 20,
    classes: 10,
  }]);
  assert.deepEqual(c([{ data: 20, orth: 4 }, { data: 10, orth: 0 }]), [{ data: 20, orth: 4 }, {
    data: 10,
    orth: 0,
  }]);
  for (const none of [null, undefined, 0, "0", [0, 5], { data: 0, classes: 0 }]) {
    assert.equal(c(none), null);
  }
});

Deno.test("parseChunking rejects what RETURNN rejects", () => {
  const bad: [unknown, RegExp][] = [
    ["20:x", /each part must be an integer/],
    ["20:10:5", /at most two parts/],
    ["-5", /must not be negative/],
    ["20:-1", /step must be positive/],
    [2.5, /size must be an integer/],
    [[1, 2, 3], /must be \[size, step\]/],
    [[{ data: 20 }, { classes: 10 }], /same keys/],
    [[{ data: 20 }, 10], /same keys/],
    [() => 5, /functions are not supported/],
  ];
  for (const [v, re] of bad) {
    assert.throws(() => parseChunking(v), re, JSON.stringify(v));
  }
});
