/**
 * A small, dependency-free SVG chart of the epoch history: the learning rate (log scale), the
 * scores and the error rates, each in its own panel (log scale where its values span a decade or
 * more), with the epochs where the rate changed marked across all panels.
 *
 * @module
 */

import { isErrorKey } from "./error_key.ts";

/** The per-epoch data the plot needs (an {@linkcode EpochView} fits). */
export interface PlotEpoch {
  /** The epoch. */
  readonly epoch: number;
  /** Its learning rate. */
  readonly learningRate: number;
  /** Its scores by name (`null` or non-finite values are skipped). */
  readonly error: Readonly<Record<string, number | null>>;
}

/** Options of {@linkcode plotEpochsSvg}. */
export interface PlotEpochsSvgOptions {
  /** Width in pixels. @default {800} */
  width?: number;
  /** Height in pixels. @default {640} */
  height?: number;
  /** Title line. @default {"learning rate and scores per epoch"} */
  title?: string;
}

const COLORS = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
];

/** An error rate (RETURNN's `*_error`, `*_error_<output>`, `*_loss_fer`), drawn apart. */
const ERROR_KEY = { test: isErrorKey };

const LEFT = 70;
const LEGEND_WIDTH = 190;
const TOP = 40;
const GAP = 40;
const BOTTOM = 30;

function _escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

function _tickLabel(x: number): string {
  return Number.isInteger(x) && Math.abs(x) < 1e6 ? String(x) : x.toPrecision(3);
}

/** Round to 0.1 px so the SVG stays small and deterministic. */
function _pixels(x: number): string {
  return String(Math.round(x * 10) / 10);
}

interface _Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A panel's vertical scale: value -> y, and its grid lines. */
interface _Scale {
  y: (v: number) => number;
  ticks: { v: number; label: string }[];
  log: boolean;
}

/** One series of a panel. */
interface _Series {
  label: string;
  color: string;
  points: [number, number | null][];
}

function _min(xs: readonly number[]): number {
  return xs.reduce((a, b) => (b < a ? b : a), Infinity);
}

function _max(xs: readonly number[]): number {
  return xs.reduce((a, b) => (b > a ? b : a), -Infinity);
}

function _finite(values: readonly (number | null)[], positive: boolean): number[] {
  return values.filter((v): v is number =>
    v !== null && Number.isFinite(v) && (!positive || v > 0)
  );
}

/** A log10 scale over whole decades, when every value is positive and they span >= 10x. */
function _logScale(box: _Box, values: readonly number[], always: boolean): _Scale | undefined {
  const pos = _finite(values, true);
  if (pos.length === 0 || (!always && pos.length < values.length)) return undefined;
  const [min, max] = [_min(pos), _max(pos)];
  if (!always && max / min < 10) return undefined;
  let lo = Math.floor(Math.log10(min));
  let hi = Math.ceil(Math.log10(max));
  if (hi === lo) [lo, hi] = [lo - 1, hi + 1];
  const y = (v: number) => box.y + box.h - ((Math.log10(v) - lo) / (hi - lo)) * box.h;
  const ticks = [];
  for (let k = lo; k <= hi; k++) ticks.push({ v: 10 ** k, label: `1e${k}` });
  return { y, ticks, log: true };
}

function _linearScale(box: _Box, values: readonly number[]): _Scale {
  let lo = _min(values);
  let hi = _max(values);
  if (hi === lo) [lo, hi] = [lo - 1, hi + 1];
  const y = (v: number) => box.y + box.h - ((v - lo) / (hi - lo)) * box.h;
  const ticks = [0, 1, 2, 3, 4].map((k) => lo + ((hi - lo) * k) / 4);
  return { y, ticks: ticks.map((v) => ({ v, label: _tickLabel(v) })), log: false };
}

/** Polylines of the finite runs of a series (a lone point is a dot), clamped to the box. */
function _lines(box: _Box, s: _Series, x: (e: number) => number, scale: _Scale): string[] {
  const out: string[] = [];
  let seg: string[] = [];
  const flush = () => {
    if (seg.length > 1) {
      out.push(
        `<polyline fill="none" stroke="${s.color}" stroke-width="1.5" points="${seg.join(" ")}"/>`,
      );
    } else if (seg.length === 1) {
      const [cx, cy] = seg[0].split(",");
      out.push(`<circle cx="${cx}" cy="${cy}" r="2" fill="${s.color}"/>`);
    }
    seg = [];
  };
  for (const [e, v] of s.points) {
    if (v === null || !Number.isFinite(v) || (scale.log && v <= 0)) {
      flush();
      continue;
    }
    seg.push(`${_pixels(x(e))},${_pixels(Math.min(box.y + box.h, Math.max(box.y, scale.y(v))))}`);
  }
  flush();
  return out;
}

/** A framed panel with its grid, series and legend. */
function _panel(
  box: _Box,
  title: string,
  series: readonly _Series[],
  x: (e: number) => number,
  scale: _Scale | undefined,
): string[] {
  const parts = [
    `<rect x="${box.x}" y="${_pixels(box.y)}" width="${box.w}" height="${
      _pixels(box.h)
    }" fill="none" stroke="#999"/>`,
    `<text x="${box.x}" y="${_pixels(box.y - 6)}">${
      _escapeXml(title + (scale?.log ? " (log scale)" : ""))
    }</text>`,
  ];
  if (scale === undefined) return parts;
  for (const t of scale.ticks) {
    const y = _pixels(scale.y(t.v));
    parts.push(
      `<line x1="${box.x - 4}" x2="${box.x + box.w}" y1="${y}" y2="${y}" stroke="#eee"/>`,
      `<text x="${box.x - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${
        _escapeXml(t.label)
      }</text>`,
    );
  }
  series.forEach((s, i) => {
    parts.push(..._lines(box, s, x, scale));
    const ly = _pixels(box.y + 10 + i * 16);
    parts.push(
      `<line x1="${box.x + box.w + 15}" x2="${box.x + box.w + 35}" y1="${ly}" y2="${ly}" ` +
        `stroke="${s.color}" stroke-width="2"/>`,
      `<text x="${box.x + box.w + 40}" y="${ly}" dominant-baseline="middle">${
        _escapeXml(s.label)
      }</text>`,
    );
  });
  return parts;
}

/** The rate holds for a whole epoch: steps, so a decay is a drop at the epoch it starts. */
function _rateSeries(sorted: readonly PlotEpoch[]): _Series {
  const points: [number, number | null][] = [];
  sorted.forEach((d, i) => {
    const lr = d.learningRate > 0 && Number.isFinite(d.learningRate) ? d.learningRate : null;
    if (i > 0 && lr !== null && points[points.length - 1][1] !== null) {
      points.push([d.epoch, points[points.length - 1][1]]);
    }
    points.push([d.epoch, lr]);
  });
  return { label: "learning rate", color: "#000", points };
}

/** The series of every key that `keep` selects, each its own color (by the key's rank). */
function _keySeries(
  sorted: readonly PlotEpoch[],
  keys: readonly string[],
  keep: (key: string) => boolean,
): _Series[] {
  return keys.flatMap((key, i) =>
    keep(key)
      ? [{
        label: key,
        color: COLORS[i % COLORS.length],
        points: sorted.map((d) =>
          [d.epoch, Object.hasOwn(d.error, key) ? d.error[key] : null] as [number, number | null]
        ),
      }]
      : []
  );
}

/** The epochs whose rate differs from the epoch before: where the control changed it. */
function _changes(sorted: readonly PlotEpoch[]): number[] {
  return sorted.filter((d, i) => i > 0 && d.learningRate !== sorted[i - 1].learningRate)
    .map((d) => d.epoch);
}

/**
 * Draw the learning rate (log scale; non-positive rates are skipped), the scores and the error
 * rates of each epoch as a standalone SVG document: one panel each (the error panel only when
 * there are error keys), a log scale where a panel's values span a decade or more, and a dashed
 * line at every epoch whose rate the control changed.
 *
 * @param epochs The epochs, e.g. `control.epochs()`.
 * @param options Size and title.
 * @returns The SVG text.
 *
 * @example Usage
 * ```ts
 * import { plotEpochsSvg } from "./plot_svg.ts";
 * import { ok } from "node:assert/strict";
 *
 * const svg = plotEpochsSvg([
 *   { epoch: 1, learningRate: 0.01, error: { dev_score: 2.0, dev_error: 0.5 } },
 *   { epoch: 2, learningRate: 0.005, error: { dev_score: 1.8, dev_error: 0.4 } },
 * ]);
 * ok(svg.startsWith("<svg") && svg.includes("dev_score") && svg.includes("error rates"));
 * ```
 */
export function plotEpochsSvg(
  epochs: readonly PlotEpoch[],
  options: PlotEpochsSvgOptions = {},
): string {
  const width = options.width ?? 800;
  const height = options.height ?? 640;
  const sorted = [...epochs].sort((a, b) => a.epoch - b.epoch);
  const keys = [...new Set(sorted.flatMap((d) => Object.keys(d.error)))].sort();
  const errorKeys = keys.filter((k) => ERROR_KEY.test(k));
  const n = errorKeys.length > 0 ? 3 : 2;
  const plotW = Math.max(50, width - LEFT - LEGEND_WIDTH - 20);
  const h = (height - TOP - BOTTOM - GAP * (n - 1)) / n;
  const box = (i: number): _Box => ({ x: LEFT, y: TOP + i * (h + GAP), w: plotW, h });
  const e0 = sorted.length ? sorted[0].epoch : 0;
  const e1 = sorted.length ? sorted[sorted.length - 1].epoch : 1;
  const x = (e: number) => LEFT + (e1 === e0 ? plotW / 2 : ((e - e0) / (e1 - e0)) * plotW);
  const panels: [string, _Series[], boolean][] = [
    ["learning rate", [_rateSeries(sorted)], true],
    ["scores", _keySeries(sorted, keys, (k) => !ERROR_KEY.test(k)), false],
    ...(n === 3
      ? [["error rates", _keySeries(sorted, keys, (k) => ERROR_KEY.test(k)), false]]
      : []),
  ] as [string, _Series[], boolean][];
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${LEFT}" y="20" font-size="14">${
      _escapeXml(options.title ?? "learning rate and scores per epoch")
    }</text>`,
  ];
  panels.forEach(([title, series, isRate], i) => {
    const values = _finite(series.flatMap((s) => s.points.map((p) => p[1])), isRate);
    const scale = values.length === 0
      ? undefined
      : _logScale(box(i), values, isRate) ?? _linearScale(box(i), values);
    parts.push(..._panel(box(i), title, series, x, scale));
  });
  parts.push(..._epochAxis(sorted, e0, e1, x, box(0), box(n - 1)));
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}

/** Epoch ticks under the last panel, and the epochs where the rate changed, across all panels. */
function _epochAxis(
  sorted: readonly PlotEpoch[],
  e0: number,
  e1: number,
  x: (e: number) => number,
  first: _Box,
  last: _Box,
): string[] {
  const parts: string[] = [];
  const bottom = last.y + last.h;
  const step = Math.max(1, Math.ceil((e1 - e0) / 10));
  for (let e = e0; e <= e1 && sorted.length; e += step) {
    parts.push(
      `<line x1="${_pixels(x(e))}" x2="${_pixels(x(e))}" y1="${_pixels(bottom)}" y2="${
        _pixels(bottom + 4)
      }" stroke="#999"/>`,
      `<text x="${_pixels(x(e))}" y="${_pixels(bottom + 16)}" text-anchor="middle">${e}</text>`,
    );
  }
  parts.push(`<text x="${LEFT + first.w + 8}" y="${_pixels(bottom + 16)}">epoch</text>`);
  const changes = _changes(sorted);
  for (const e of changes) {
    parts.push(
      `<line class="rate-change" x1="${_pixels(x(e))}" x2="${_pixels(x(e))}" y1="${
        _pixels(first.y)
      }" ` +
        `y2="${_pixels(bottom)}" stroke="#888" stroke-dasharray="3,3"/>`,
    );
  }
  if (changes.length > 0) {
    // In the learning-rate panel's legend, under its line.
    const ly = _pixels(first.y + 26);
    parts.push(
      `<line x1="${LEFT + first.w + 15}" x2="${LEFT + first.w + 35}" y1="${ly}" y2="${ly}" ` +
        `stroke="#888" stroke-dasharray="3,3"/>`,
      `<text x="${LEFT + first.w + 40}" y="${ly}" dominant-baseline="middle">rate changed</text>`,
    );
  }
  return parts;
}
