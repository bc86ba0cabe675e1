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
