import { match } from "node:assert/strict";
import { formatSeqDemos } from "./seq_demos.ts";

Deno.test("seq demos: the table shows the median s/epoch and the last dev FER, and the notes", () => {
  const text = formatSeqDemos([
    {
      demo: "conv",
      impl: "newbob wasm",
      secondsPerEpoch: [30, 10, 20],
      devFer: [0.1, 0.05, 0.0158],
    },
  ], ["PyTorch loop skipped: no torch"]);
  match(text, /\| conv \| newbob wasm \| 20\.00 \| 3 \| 0\.0158 \|/);
  match(text, /- PyTorch loop skipped: no torch/);
});
