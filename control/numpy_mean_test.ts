import { equal, throws } from "node:assert/strict";
import { numpyMean } from "./numpy_mean.ts";

Deno.test("numpyMean equals numpy.mean bit for bit (values computed with numpy 2.4)", () => {
  const xs = (n: number) =>
    Array.from({ length: n }, (_, i) => (((i * 7919) % 1000) - 500) / 997 * 10.0 ** ((i % 7) - 3));
  const expected: [number, number][] = [
    [7, 3.6616263074939104],
    [8, 3.2039146188565693],
    [17, 24.84710950498554],
    [129, 3.8168854081624706],
    [300, 1.3877397492477432],
    [1000, 0.740750961885657],
  ];
  for (const [n, mean] of expected) equal(numpyMean(xs(n)), mean, `n=${n}`);
  equal(numpyMean([1e16, 1.0, -1e16, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]), 0.5555555555555556);
  const nine = [
    -0.004762,
    0.005977,
    0.042421,
    -0.003435,
    0.000784,
    0.008738,
    -0.031534,
    0.001191,
    0.012988,
  ];
  equal(numpyMean(nine), 0.0035964444444444446);
  equal(nine.reduce((a, b) => a + b, 0) / 9, 0.0035964444444444455); // a naive sum differs
  throws(() => numpyMean([]), RangeError);
});
