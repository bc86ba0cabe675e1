import assert from "node:assert/strict";
import { NumpyRandomState } from "./numpy_random.ts";

interface Case {
  seed: number | number[];
  calls: [string, number[]][];
  results: number[][];
}

const fixture = JSON.parse(
  await Deno.readTextFile(
    new URL("../tests/fixtures/numpy_random/numpy_random.json", import.meta.url),
  ),
) as { cases: Case[] };

Deno.test("NumpyRandomState matches numpy's legacy RandomState on every recorded case", () => {
  assert.ok(fixture.cases.length > 100);
  for (const c of fixture.cases) {
    const rs = new NumpyRandomState(c.seed);
    c.calls.forEach(([name, args], i) => {
      let got: number[];
      switch (name) {
        case "permutation":
          got = rs.permutation(args[0]);
          break;
        case "randint":
          got = rs.randint(args[0], args[1], args[2]);
          break;
        case "random_sample":
          got = Array.from({ length: args[0] }, () => rs.randomSample());
          break;
        case "uniform":
          got = Array.from({ length: args[0] }, () => rs.uniform());
          break;
        case "shuffle":
          got = rs.shuffle(Array.from({ length: args[0] }, (_, k) => k));
          break;
        case "choice": {
          const pool = Array.from({ length: args[0] }, (_, k) => k);
          got = Array.from({ length: args[1] }, () => rs.choice(pool));
          break;
        }
        default:
          throw new Error(`unknown call ${name}`);
      }
      assert.deepEqual(
        got,
        c.results[i],
        `seed ${JSON.stringify(c.seed)}, call ${i} ${name}(${args})`,
      );
    });
  }
});

Deno.test("NumpyRandomState rejects seeds numpy rejects", () => {
  assert.throws(() => new NumpyRandomState(-1), RangeError);
  assert.throws(() => new NumpyRandomState(2 ** 32), RangeError);
  assert.throws(() => new NumpyRandomState(1.5), RangeError);
  assert.throws(() => new NumpyRandomState([]), RangeError);
  assert.throws(() => new NumpyRandomState(0).randint(3, 3), RangeError);
});

Deno.test("NumpyRandomState.seed re-seeds to the initial state", () => {
  const rs = new NumpyRandomState(5);
  const first = rs.permutation(10);
  rs.seed(5);
  assert.deepEqual(rs.permutation(10), first);
});
