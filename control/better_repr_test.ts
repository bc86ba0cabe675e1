import { equal, throws } from "node:assert/strict";
import { betterRepr } from "./better_repr.ts";
import { pyStrRepr } from "./py_str_repr.ts";
import { PyDict, PyFloat, PyTuple } from "./py_value.ts";

Deno.test("pyStrRepr matches Python's repr (checked with CPython 3.11)", () => {
  equal(pyStrRepr("abc"), "'abc'");
  equal(pyStrRepr("a'b"), `"a'b"`);
  equal(pyStrRepr(`a'b"c`), `'a\\'b"c'`);
  equal(pyStrRepr('a"b'), `'a"b'`);
  equal(pyStrRepr("back\\slash"), "'back\\\\slash'");
  equal(pyStrRepr("\t\n\r\x00\x1f\x7f"), "'\\t\\n\\r\\x00\\x1f\\x7f'");
  equal(pyStrRepr("é\u00a0\u2028\u{1F600}\ud800"), "'é\\xa0\\u2028\u{1F600}\\ud800'");
});

Deno.test("betterRepr: RETURNN's rules", () => {
  equal(betterRepr({}), "{}");
  equal(betterRepr({ b: 1, a: 2 }), "{'a': 2.0, 'b': 1.0}");
  equal(
    betterRepr({ long_key_number_one: 1, long_key_number_2: 2 }),
    "{\n'long_key_number_2': 2.0,\n'long_key_number_one': 1.0,\n}",
  );
  equal(betterRepr([1, "a"], { integralNumbersAsInt: true }), "[\n1,\n'a',\n]");
  equal(betterRepr(new PyTuple([1n, 2n])), "(1, 2)");
  equal(betterRepr(new PyTuple([1n])), "(1,)");
  equal(betterRepr(new PyTuple([])), "()");
  equal(betterRepr(new PyDict([[2n, null], [1n, true]])), "{1: True, 2: None}");
  equal(betterRepr(new PyFloat(3)), "3.0");
  equal(betterRepr(new PyFloat(NaN, true)), "float('nan')");
  equal(betterRepr(-Infinity), "float('-inf')");
  equal(betterRepr(2 ** 70, { integralNumbersAsInt: true }), "1180591620717411303424");
  throws(() => betterRepr(() => 1), TypeError);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  throws(() => betterRepr(cyclic), /nested more than 100 levels/);
});
