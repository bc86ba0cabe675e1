import { match } from "node:assert/strict";
import { formatSeqDemos } from "./seq_demos.ts";

Deno.test("seq demos: the table shows the median s/epoch, the FER per epoch, the time to RETURNN's threshold and the notes", () => {
  const text = formatSeqDemos([
    {
      demo: "conv",
      impl: "newbob wasm",
      secondsPerEpoch: [30, 10, 20],
      devFer: [0.1, 0.0158, 0.03],
    },
    {
      demo: "lstm",
      impl: "torch cpu (1 thread)",
      secondsPerEpoch: [2, 2],
      devFer: [0.1, 0.05],
    },
  ], ["PyTorch loop skipped: no torch"]);
  match(
    text,
    /\| conv \| newbob wasm \| 20\.00 \| 3 \| 0\.1000, 0\.0158, 0\.0300 \| 40\.00 \(epoch 2\) \|/,
  );
  match(
    text,
    /\| lstm \| torch cpu \(1 thread\) \| 2\.00 \| 2 \| 0\.1000, 0\.0500 \| not reached \|/,
  );
  match(text, /- PyTorch loop skipped: no torch/);
});
