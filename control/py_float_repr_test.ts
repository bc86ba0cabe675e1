import { equal } from "node:assert/strict";
import { pyFloatRepr } from "./py_float_repr.ts";

Deno.test("pyFloatRepr matches Python's repr (values checked with CPython 3.11)", () => {
  const cases: [number, string][] = [
    [0, "0.0"],
    [-0, "-0.0"],
    [1, "1.0"],
    [-2.5, "-2.5"],
    [0.001, "0.001"],
    [0.0001, "0.0001"],
    [0.00001, "1e-05"],
    [0.00025, "0.00025"],
    [1.5e-7, "1.5e-07"],
    [0.011000000000000001, "0.011000000000000001"],
    [0.1 + 0.2, "0.30000000000000004"],
    [1e15, "1000000000000000.0"],
    [1e16, "1e+16"],
    [123456789012345678, "1.2345678901234568e+17"],
    [1e22, "1e+22"],
    [1.7976931348623157e308, "1.7976931348623157e+308"],
    [5e-324, "5e-324"],
    [2.2250738585072014e-308, "2.2250738585072014e-308"],
    [12345.678, "12345.678"],
    [NaN, "nan"],
    [Infinity, "inf"],
    [-Infinity, "-inf"],
  ];
  for (const [x, r] of cases) equal(pyFloatRepr(x), r, String(x));
});
