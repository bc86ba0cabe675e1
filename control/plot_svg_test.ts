import { equal, ok } from "node:assert/strict";
import { plotEpochsSvg } from "./plot_svg.ts";

Deno.test("plotEpochsSvg: a standalone SVG with the learning rate and every score", () => {
  const svg = plotEpochsSvg([
    { epoch: 1, learningRate: 0.01, error: { dev_score: 2.0, "a<b": 1 } },
    { epoch: 2, learningRate: 0.005, error: { dev_score: NaN } },
    { epoch: 3, learningRate: 0, error: { dev_score: 1.5, train_score: null } },
  ], { title: "run & test" });
  ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  ok(svg.trimEnd().endsWith("</svg>"));
  ok(svg.includes("run &amp; test") && svg.includes("a&lt;b") && !svg.includes("a<b"));
  ok(svg.includes("dev_score") && svg.includes("learning rate (log scale)"));
  ok(!svg.includes("NaN") && !svg.includes("Infinity"));
  equal(
    svg,
    plotEpochsSvg([
      { epoch: 1, learningRate: 0.01, error: { dev_score: 2.0, "a<b": 1 } },
      { epoch: 2, learningRate: 0.005, error: { dev_score: NaN } },
      { epoch: 3, learningRate: 0, error: { dev_score: 1.5, train_score: null } },
    ], { title: "run & test" }),
  );
  const empty = plotEpochsSvg([]);
  ok(empty.includes("</svg>") && !empty.includes("NaN"));
});
