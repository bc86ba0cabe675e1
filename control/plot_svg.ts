/**
 * A small, dependency-free SVG chart of the epoch history: the learning rate on a log scale
 * (top) and every score (bottom), per epoch.
 *
 * @module
 */

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
  /** Height in pixels. @default {520} */
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

function _esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(
    /"/g,
    "&quot;",
  )
    .replace(/'/g, "&#39;");
}

function _fmt(x: number): string {
  return Number.isInteger(x) && Math.abs(x) < 1e6 ? String(x) : x.toPrecision(3);
}

function _min(xs: readonly number[]): number {
  return xs.reduce((a, b) => (b < a ? b : a), Infinity);
}

function _max(xs: readonly number[]): number {
  return xs.reduce((a, b) => (b > a ? b : a), -Infinity);
}

/** Round to 0.1 px so the SVG stays small and deterministic. */
function _px(x: number): string {
  return String(Math.round(x * 10) / 10);
}

interface _Panel {
  x: number;
  y: number;
  w: number;
  h: number;
}

function _lines(
  panel: _Panel,
  points: [number, number | null][],
  sx: (e: number) => number,
  sy: (v: number) => number,
  color: string,
): string {
  const out: string[] = [];
  let seg: string[] = [];
  const flush = () => {
    if (seg.length > 1) {
      out.push(
        `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${seg.join(" ")}"/>`,
      );
    }
    if (seg.length === 1) {
      const [x, y] = seg[0].split(",");
      out.push(`<circle cx="${x}" cy="${y}" r="2" fill="${color}"/>`);
    }
    seg = [];
  };
  for (const [e, v] of points) {
    if (v === null || !Number.isFinite(v)) {
      flush();
      continue;
    }
    seg.push(`${_px(sx(e))},${_px(Math.min(panel.y + panel.h, Math.max(panel.y, sy(v))))}`);
  }
  flush();
  return out.join("\n");
}

/**
 * Draw the learning rate (log scale; non-positive rates are skipped) and the scores of each
 * epoch as a standalone SVG document.
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
 *   { epoch: 1, learningRate: 0.01, error: { dev_score: 2.0 } },
 *   { epoch: 2, learningRate: 0.005, error: { dev_score: 1.8 } },
 * ]);
 * ok(svg.startsWith("<svg") && svg.includes("dev_score"));
 * ```
 */
export function plotEpochsSvg(
  epochs: readonly PlotEpoch[],
  options: PlotEpochsSvgOptions = {},
): string {
  const width = options.width ?? 800;
  const height = options.height ?? 520;
  const title = options.title ?? "learning rate and scores per epoch";
  const left = 70;
  const legendW = 190;
  const plotW = Math.max(50, width - left - legendW - 20);
  const top: _Panel = { x: left, y: 40, w: plotW, h: (height - 110) * 0.45 };
  const bottom: _Panel = { x: left, y: top.y + top.h + 40, w: plotW, h: (height - 110) * 0.55 };
  const sorted = [...epochs].sort((a, b) => a.epoch - b.epoch);
  const e0 = sorted.length ? sorted[0].epoch : 0;
  const e1 = sorted.length ? sorted[sorted.length - 1].epoch : 1;
  const sx = (e: number) => left + (e1 === e0 ? plotW / 2 : ((e - e0) / (e1 - e0)) * plotW);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${left}" y="20" font-size="14">${_esc(title)}</text>`,
  ];
  const frame = (p: _Panel, label: string) =>
    parts.push(
      `<rect x="${p.x}" y="${_px(p.y)}" width="${p.w}" height="${
        _px(p.h)
      }" fill="none" stroke="#999"/>`,
      `<text x="${p.x}" y="${_px(p.y - 6)}">${_esc(label)}</text>`,
    );
  frame(top, "learning rate (log scale)");
  frame(bottom, "scores");
  // Epoch ticks on both panels.
  const step = Math.max(1, Math.ceil((e1 - e0) / 10));
  for (let e = e0; e <= e1 && sorted.length; e += step) {
    for (const p of [top, bottom]) {
      parts.push(
        `<line x1="${_px(sx(e))}" x2="${_px(sx(e))}" y1="${_px(p.y + p.h)}" y2="${
          _px(p.y + p.h + 4)
        }" stroke="#999"/>`,
      );
    }
    parts.push(
      `<text x="${_px(sx(e))}" y="${
        _px(bottom.y + bottom.h + 16)
      }" text-anchor="middle">${e}</text>`,
    );
  }
  parts.push(
    `<text x="${left + plotW + 8}" y="${_px(bottom.y + bottom.h + 16)}">epoch</text>`,
  );
  // Learning rate, log10 scale.
  const lrs = sorted.map((d) => d.learningRate).filter((x) => x > 0 && Number.isFinite(x));
  if (lrs.length) {
    let lo = Math.floor(Math.log10(_min(lrs)));
    let hi = Math.ceil(Math.log10(_max(lrs)));
    if (hi === lo) {
      lo -= 1;
      hi += 1;
    }
    const sy = (v: number) => top.y + top.h - ((Math.log10(v) - lo) / (hi - lo)) * top.h;
    for (let k = lo; k <= hi; k++) {
      const y = _px(sy(10 ** k));
      parts.push(`<line x1="${left - 4}" x2="${left + plotW}" y1="${y}" y2="${y}" stroke="#eee"/>`);
      parts.push(
        `<text x="${left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">1e${k}</text>`,
      );
    }
    // The rate holds for a whole epoch: draw steps, so a decay is a drop at the epoch it starts.
    const pts: [number, number | null][] = [];
    sorted.forEach((d, i) => {
      const lr = d.learningRate > 0 ? d.learningRate : null;
      if (i > 0 && lr !== null && pts[pts.length - 1][1] !== null) {
        pts.push([d.epoch, pts[pts.length - 1][1]]);
      }
      pts.push([d.epoch, lr]);
    });
    parts.push(_lines(top, pts, sx, sy, "#000"));
  }
  // Scores, linear scale.
  const keys = [...new Set(sorted.flatMap((d) => Object.keys(d.error)))].sort();
  const values = sorted.flatMap((d) => Object.values(d.error)).filter((v): v is number =>
    v !== null && Number.isFinite(v)
  );
  if (values.length) {
    let lo = _min(values);
    let hi = _max(values);
    if (hi === lo) {
      lo -= 1;
      hi += 1;
    }
    const sy = (v: number) => bottom.y + bottom.h - ((v - lo) / (hi - lo)) * bottom.h;
    for (let k = 0; k <= 4; k++) {
      const v = lo + ((hi - lo) * k) / 4;
      const y = _px(sy(v));
      parts.push(`<line x1="${left - 4}" x2="${left + plotW}" y1="${y}" y2="${y}" stroke="#eee"/>`);
      parts.push(
        `<text x="${left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${
          _fmt(v)
        }</text>`,
      );
    }
    keys.forEach((key, i) => {
      const color = COLORS[i % COLORS.length];
      const pts = sorted.map((d) =>
        [d.epoch, Object.hasOwn(d.error, key) ? d.error[key] : null] as [number, number | null]
      );
      parts.push(_lines(bottom, pts, sx, sy, color));
      const ly = bottom.y + 10 + i * 16;
      parts.push(
        `<line x1="${left + plotW + 15}" x2="${left + plotW + 35}" y1="${_px(ly)}" y2="${
          _px(ly)
        }" stroke="${color}" stroke-width="2"/>`,
        `<text x="${left + plotW + 40}" y="${_px(ly)}" dominant-baseline="middle">${
          _esc(key)
        }</text>`,
      );
    });
  }
  parts.push(
    `<text x="${left + plotW + 15}" y="${
      _px(top.y + 10)
    }" dominant-baseline="middle">learning rate</text>`,
  );
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}
