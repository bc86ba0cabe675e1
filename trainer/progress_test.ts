import { equal, ok } from "node:assert/strict";
import { createProgress } from "./progress.ts";

const record = {
  epoch: 2,
  learningRate: 0.0005,
  trainScore: 0.1,
  trainError: 0.02,
  devScore: 0.12,
  devError: 0.03,
  steps: 45,
  seconds: 0.5,
  decision: "epoch 2: decay 0.001 -> 0.0005",
};

Deno.test("progress: plain lines when not a terminal, with a per-epoch summary", () => {
  const lines: string[] = [];
  let t = 0;
  const p = createProgress({ mode: "lines", log: (l) => lines.push(l), now: () => (t += 10) });
  p.startEpoch(2, 3, 40, 0.0005);
  for (let s = 1; s <= 40; s++) p.update(s, s % 10 === 0 ? 1 / s : undefined);
  p.endEpoch(record);
  // Start line, 4 progress lines, summary and decision.
  equal(lines.length, 7, lines.join("\n"));
  ok(lines[4].includes("40/40") && lines[4].includes("loss 0.0250"));
  ok(lines[5].includes("dev_error 3.00%") && lines[5].includes("lr 0.0005"));
  ok(lines[6].includes("decay 0.001 -> 0.0005"));
});

Deno.test("progress: a redrawn bar on a terminal", () => {
  const lines: string[] = [];
  let drawn = "";
  let t = 0;
  const p = createProgress({
    mode: "bar",
    log: (l) => lines.push(l),
    write: (s) => (drawn += s),
    now: () => (t += 200),
  });
  p.startEpoch(1, 1, 4, 0.1);
  for (let s = 1; s <= 4; s++) p.update(s, 0.5);
  ok(drawn.includes("\r  [") && drawn.includes("steps/s") && drawn.includes("4/4"));
  equal(lines.length, 1);
  const none: string[] = [];
  const q = createProgress({ mode: "none", log: (l) => none.push(l) });
  q.startEpoch(1, 1, 4, 0.1);
  q.endEpoch(record);
  equal(none.length, 0);
});
