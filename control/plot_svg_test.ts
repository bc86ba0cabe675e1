import { deepEqual, equal, ok } from "node:assert/strict";
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

/** Tags nest and close, attributes are quoted, text has no raw `<` or `&`: well-formed XML. */
function assertWellFormed(svg: string): void {
  const stack: string[] = [];
  const re = /<(\/?)([a-zA-Z][\w-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/g;
  let end = 0;
  for (const m of svg.matchAll(re)) {
    equal(m.index, end, `unparsed text at ${end}: ${svg.slice(end, end + 40)}`);
    end = m.index! + m[0].length;
    if (m[5] !== undefined) {
      ok(!/&(?!(amp|lt|gt|quot|#39);)/.test(m[5]), `raw & in ${m[5]}`);
      continue;
    }
    if (m[1] === "/") equal(stack.pop(), m[2], `</${m[2]}> closes nothing open`);
    else if (m[4] !== "/") stack.push(m[2]);
  }
  equal(end, svg.length);
  deepEqual(stack, []);
}

/** The y range of the panel whose title starts with `title`. */
function panelOf(svg: string, title: string): [number, number] {
  const t = svg.match(new RegExp(`<text x="\\d+" y="([\\d.]+)">${title}`));
  ok(t, `no panel '${title}'`);
  const top = Number(t[1]) + 6;
  const rect = svg.match(new RegExp(`<rect x="\\d+" y="${top}" width="\\d+" height="([\\d.]+)"`));
  ok(rect, `no frame of '${title}'`);
  return [top, top + Number(rect[1])];
}

Deno.test("plotEpochsSvg: scores and error rates in their own panels, log where they span decades", () => {
  const epochs = [1, 2, 3, 4].map((e) => ({
    epoch: e,
    learningRate: e < 3 ? 0.01 : 0.005,
    error: { dev_score: 10 / 10 ** e, dev_error: 0.5 - 0.1 * e, train_error: 0.4 - 0.05 * e },
  }));
  const svg = plotEpochsSvg(epochs);
  assertWellFormed(svg);
  ok(svg.includes(">scores (log scale)<"), "the scores span decades: log scale");
  ok(svg.includes(">error rates<"), "an error-rate panel, linear");
  const [top, bottom] = panelOf(svg, "error rates");
  // Every point of the error curves lies inside the error panel, spread over it.
  const ys = [...svg.matchAll(/points="([^"]+)"/g)].slice(2) // after the rate and the score
    .flatMap((m) => m[1].split(" ").map((p) => Number(p.split(",")[1])));
  ok(ys.length === 8 && ys.every((y) => y >= top && y <= bottom), `${ys} in ${top}..${bottom}`);
  ok(Math.max(...ys) - Math.min(...ys) > (bottom - top) / 2, "the error curves are not flat");
  // The control changed the rate at epoch 3: one marker across the panels.
  equal(svg.match(/class="rate-change"/g)?.length, 1);
  ok(svg.includes("rate changed"));
});

Deno.test("plotEpochsSvg: without error keys two panels; linear scores stay linear", () => {
  const svg = plotEpochsSvg([
    { epoch: 1, learningRate: 0.1, error: { dev_score: 2 } },
    { epoch: 2, learningRate: 0.1, error: { dev_score: 1.5 } },
  ]);
  assertWellFormed(svg);
  ok(svg.includes(">scores<") && !svg.includes("error rates"));
  ok(!svg.includes("rate-change"));
  assertWellFormed(plotEpochsSvg([]));
});
