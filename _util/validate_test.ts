import { equal, ok } from "node:assert/strict";
import {
  booleanProblem,
  choiceProblem,
  numberProblem,
  problemError,
  problemOf,
  showValue,
  typeProblem,
} from "./validate.ts";

Deno.test("validate: one error-class rule, TypeError for a type, RangeError for a value", () => {
  const type = problemError("x: ", numberProblem("eps", "1", { min: 0 })!);
  const value = problemError("x: ", numberProblem("eps", -1, { min: 0 })!);
  ok(type instanceof TypeError && !(type instanceof RangeError));
  ok(value instanceof RangeError);
  equal(problemOf(value)?.label, "eps");
  equal(problemError("x: ", choiceProblem("mode", 3, ["a"])!).constructor, TypeError);
  equal(problemError("x: ", choiceProblem("mode", "b", ["a"])!).constructor, RangeError);
  equal(problemError("x: ", booleanProblem("flag", "yes")!).constructor, TypeError);
});

Deno.test("validate: numbers, integers, infinity and the PyTorch wording", () => {
  equal(numberProblem("n", 1.5, { min: 1, integer: true })?.kind, "value");
  equal(numberProblem("n", Infinity, { min: 0, infinite: true }), undefined);
  equal(numberProblem("n", NaN, { infinite: true })?.kind, "value");
  equal(
    numberProblem("momentum", NaN, { min: 0, noun: "" })?.text,
    "'momentum' must be a finite number: current value is NaN",
  );
  equal(
    numberProblem("lr", -1, { min: 0, noun: "" })?.text,
    "'lr' must be >= 0: current value is -1",
  );
});

Deno.test("validate: hostile names and values are clipped", () => {
  const p = typeProblem("k".repeat(100_000), "a number", "v".repeat(100_000));
  ok(p.text.length < 200, `${p.text.length}`);
  ok(showValue({ a: "x".repeat(1000) }, 40).length <= 40);
  equal(showValue(-0), "-0");
});

Deno.test("validate: deeply nested values do not overflow the stack", () => {
  let deep: unknown = 1;
  for (let i = 0; i < 20_000; i++) deep = [deep];
  ok(showValue(deep, 60).length <= 60);
  ok(typeProblem("x", "a number", deep).text.length < 200);
  equal(showValue([1, [2, [3]]]), "[1, [2, [3]]]");
});
