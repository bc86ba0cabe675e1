import { equal } from "node:assert/strict";
import { didYouMean, didYouMeanSuffix, levenshtein } from "./did_you_mean.ts";

Deno.test("levenshtein: basic distances", () => {
  equal(levenshtein("", ""), 0);
  equal(levenshtein("abc", ""), 3);
  equal(levenshtein("", "abc"), 3);
  equal(levenshtein("adam", "adam"), 0);
  equal(levenshtein("adma", "adam"), 1);
  equal(levenshtein("ca", "abc"), 3);
  equal(levenshtein("flaw", "lawn"), 2);
});

Deno.test("didYouMean: picks the closest candidate, case-insensitive", () => {
  const names = ["adam", "adamw", "sgd", "rmsprop", "adagrad", "adadelta"];
  equal(didYouMean("Adma", names), "adam");
  equal(didYouMean("rmsprob", names), "rmsprop");
  equal(didYouMean("adamoptimizer2", ["adamoptimizer"]), "adamoptimizer");
  equal(didYouMean("xyz", names), undefined);
  equal(didYouMeanSuffix("sdg", names), " Did you mean 'sgd'?");
});

Deno.test("didYouMean: prefixes and longer candidates (the schedules' cases)", () => {
  equal(didYouMean("triangle", ["triangular", "triangular2", "exp_range"]), "triangular");
  equal(didYouMean("cosine", ["cos", "linear"]), "cos");
  equal(didYouMean("step + 1", ["step", "step+1"]), "step+1");
  equal(didYouMean("tmax", ["tMax", "etaMin"]), "tMax");
  equal(didYouMean("ab", ["adam", "sgd"]), undefined);
});

Deno.test("didYouMean: a 100k-character name gets no suggestion", () => {
  const huge = "a".repeat(100_000);
  equal(didYouMean(huge, ["a", "aa", "aaaa"]), undefined);
  equal(didYouMeanSuffix(huge + "b", ["a".repeat(100_000)]), "");
});
