import { deepEqual, equal } from "node:assert/strict";
import { flattenScores, resolveErrorKey } from "./error_key.ts";

Deno.test("resolveErrorKey follows RETURNN's order", () => {
  equal(resolveErrorKey([], null), null);
  equal(resolveErrorKey(["old_format_score"], "dev_score"), "old_format_score");
  equal(
    resolveErrorKey(["dev_error_output", "dev_score"], ["dev_error", "dev_score"]),
    "dev_error_output",
  );
  equal(resolveErrorKey(["dev_score", "x"], "missing"), "dev_score");
  equal(resolveErrorKey(["dev_score_output", "a"], null), "dev_score_output");
  equal(
    resolveErrorKey(["dev_score_output/z", "dev_score_output/output_ce", "dev_a"], null),
    "dev_score_output/output_ce",
  );
  equal(resolveErrorKey(["dev_score_output/z", "dev_a"], null), "dev_score_output/z");
  equal(
    resolveErrorKey(["dev_score_ctc", "dev_error_ctc", "devtrain_score"], null),
    "dev_error_ctc",
  );
  equal(
    resolveErrorKey(["devtrain_score", "train_score_output", "train_score"], null),
    "train_score",
  );
  equal(resolveErrorKey(["devtrain_score", "train_score_output"], null), "train_score_output");
  equal(resolveErrorKey(["train_loss_fer", "train_loss_ce"], null), "train_loss_ce");
});

Deno.test("flattenScores: one level, like set_epoch_error", () => {
  deepEqual(
    [...flattenScores({
      dev_score_output: 9,
      dev_score: { "cost:output": 1, "cost:ctc": 2, "cost:output:exp": 3 },
      train_score: { "cost:output": 4 },
      dev_error: {},
      x: { a: 5, "b:c": 6 },
    })],
    [
      ["dev_score_output", 1],
      ["dev_score_ctc", 2],
      ["dev_score_output:exp", 3],
      ["train_score", 4],
      ["x_a", 5],
      ["x_c", 6],
    ],
  );
});
