import { match } from "node:assert/strict";
import { formatLstmOps, OP_PREFIX } from "./lstm.ts";
import { summarize } from "./_stats.ts";

Deno.test("formatLstmOps: layer rows against the fused layer, 'op alone' rows against the fused op alone", () => {
  const s = (us: number) => summarize([us]);
  const shape = "B32 T100 256->256";
  const text = formatLstmOps([
    { shape, impl: "fused wasm 2t", usPerFrame: s(200) },
    { shape, impl: `${OP_PREFIX}fused wasm 2t`, usPerFrame: s(100) },
    { shape, impl: "reference wasm", usPerFrame: s(700) },
    { shape, impl: `${OP_PREFIX}reference wasm`, usPerFrame: s(600) },
    { shape, impl: "tf.layers wasm", usPerFrame: s(800) },
    { shape, impl: "torch nn.LSTM cpu 1t", usPerFrame: s(1000) },
  ], "PyTorch 1.13");
  match(text, /\| reference wasm \| 700 \(700-700\) \| 3\.50 \(vs fused wasm 2t\) \|/);
  match(
    text,
    /\| op alone: reference wasm \| 600 \(600-600\) \| 6\.00 \(vs op alone: fused wasm 2t\) \|/,
  );
  match(text, /\| tf\.layers wasm \| 800 \(800-800\) \| 4\.00 \(vs fused wasm 2t\) \|/);
  match(
    text,
    /\| torch nn\.LSTM cpu 1t \| 1\.00e\+3 \(1\.00e\+3-1\.00e\+3\) \| 5\.00 \(vs fused wasm 2t\) \|/,
  );
});
