/**
 * The digits data set (Optical Recognition of Handwritten Digits, E. Alpaydin and C. Kaynak,
 * 1998, UCI Machine Learning Repository, CC BY 4.0): 1797 8x8 images with labels 0..9, as
 * shipped in `examples/data/digits.csv.gz`. Loads, scales pixels to [0, 1], splits train/dev
 * deterministically (stratified by class) and yields seeded mini-batches.
 *
 * No TensorFlow.js here: the loader works with plain typed arrays.
 *
 * @module
 */

import type { Batch } from "./model_types.ts";
import type { DataPart, Dataset } from "./train_deps.ts";
import { deriveSeed, Rng } from "./rng.ts";
import { didYouMeanSuffix } from "../_util/did_you_mean.ts";

/** Number of features per digits row (8x8 pixels). */
export const DIGITS_INPUT_DIM = 64;
/** Number of digit classes. */
export const DIGITS_NUM_CLASSES = 10;

/**
 * Targets derived from a digit label, with their number of classes: `digit` (the label 0..9),
 * `parity` (label % 2) and `ge5` (1 if the label is 5 or more).
 */
export const DIGITS_TARGETS: Readonly<Record<string, number>> = Object.freeze({
  digit: DIGITS_NUM_CLASSES,
  parity: 2,
  ge5: 2,
});

/**
 * The labels of a derived target (see {@linkcode DIGITS_TARGETS}).
 *
 * @param name The target: `digit`, `parity` or `ge5`.
 * @param labels Digit labels 0..9.
 * @returns New labels, one per row.
 * @throws {TypeError} If the target is unknown (the message suggests a known one).
 *
 * @example Usage
 * ```ts
 * import { digitsTarget } from "./digits.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(digitsTarget("parity", new Int32Array([3, 4, 7])), new Int32Array([1, 0, 1]));
 * ```
 */
export function digitsTarget(name: string, labels: Int32Array): Int32Array {
  switch (name) {
    case "digit":
      return labels.slice();
    case "parity":
      return labels.map((c) => c % 2);
    case "ge5":
      return labels.map((c) => (c >= 5 ? 1 : 0));
  }
  throw new TypeError(
    `Cannot derive the digits target ${JSON.stringify(name)}: known targets are ` +
      `${Object.keys(DIGITS_TARGETS).join(", ")}.${
        didYouMeanSuffix(name, Object.keys(DIGITS_TARGETS))
      }`,
  );
}

/**
 * One part of a classification data set: the trainer's {@linkcode DataPart} (features, labels,
 * seeded batches: the last batch may be smaller) with its row width.
 */
export interface DataSplit extends DataPart {
  /** Features per row. */
  readonly inputDim: number;
}

/** The digits data set split into training and development parts (64 features, 10 classes). */
export interface Digits extends Dataset {
  /** Training rows. */
  readonly train: DataSplit;
  /** Development (held-out) rows. */
  readonly dev: DataSplit;
}

/** Options of {@linkcode loadDigits}. */
export interface LoadDigitsOptions {
  /**
   * Where the gzipped CSV is. A `file:` URL or path is read with `Deno.readFile` (needs read
   * permission for it); other URLs are fetched.
   * @default the copy in `examples/data/digits.csv.gz`
   */
  url?: string | URL;
  /** Fraction of each class held out for the dev split, in [0, 1). @default 0.2 */
  devFraction?: number;
  /** Seed of the train/dev split. @default 42 */
  seed?: number;
  /**
   * Labels per output name for models with several outputs, each a target of
   * {@linkcode DIGITS_TARGETS}: `{ output: "digit", parity: "parity" }`. The first one is also
   * each split's `y`. The split stays stratified by digit. @default one output, the digit
   */
  targets?: Readonly<Record<string, string>>;
}

/**
 * Load the digits data set and split it into train and dev parts.
 *
 * @param options Where to read from and how to split.
 * @returns The two splits, each with a seeded batch iterator.
 * @throws {RangeError} If `devFraction` is out of range.
 * @throws {TypeError} If the file is not a valid digits CSV (the message names the row), or a
 * target is unknown.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadDigits } from "./digits.ts";
 *
 * const digits = await loadDigits();
 * assert.equal(digits.train.size + digits.dev.size, 1797);
 * const [first] = digits.train.batches(1, 32, 7);
 * assert.equal(first.size, 32);
 * ```
 */
export async function loadDigits(options: LoadDigitsOptions = {}): Promise<Digits> {
  const devFraction = options.devFraction ?? 0.2;
  if (!(devFraction >= 0 && devFraction < 1)) {
    throw new RangeError(
      `Cannot load digits as 'devFraction' must be in [0, 1): current value is ${devFraction}`,
    );
  }
  const wanted = options.targets === undefined ? undefined : Object.entries(options.targets);
  if (wanted !== undefined && wanted.length === 0) {
    throw new TypeError(
      "Cannot load digits as 'targets' is empty: name at least one output, like " +
        '{ output: "digit" }',
    );
  }
  // Validate before reading the file.
  const derive = (labels: Int32Array) =>
    wanted === undefined ? undefined : Object.fromEntries(
      wanted.map(([output, target]) => [output, digitsTarget(target, labels)]),
    );
  derive(new Int32Array(0));
  const url = options.url ?? new URL("../examples/data/digits.csv.gz", import.meta.url);
  const text = await gunzipText(await readBytes(url));
  const { x, y } = parseDigitsCsv(text);
  const { train, dev } = stratifiedSplit(y, DIGITS_NUM_CLASSES, devFraction, options.seed ?? 42);
  const targets = derive(y);
  if (wanted === undefined || targets === undefined) {
    return {
      train: makeSplit(x, y, train, DIGITS_INPUT_DIM),
      dev: makeSplit(x, y, dev, DIGITS_INPUT_DIM),
      inputDim: DIGITS_INPUT_DIM,
      numClasses: DIGITS_NUM_CLASSES,
    };
  }
  const first = targets[wanted[0][0]];
  return {
    train: makeSplit(x, first, train, DIGITS_INPUT_DIM, targets),
    dev: makeSplit(x, first, dev, DIGITS_INPUT_DIM, targets),
    inputDim: DIGITS_INPUT_DIM,
    numClasses: DIGITS_TARGETS[wanted[0][1]],
    outputs: Object.fromEntries(wanted.map(([output, target]) => [output, DIGITS_TARGETS[target]])),
  };
}

/**
 * Parse the digits CSV text: 64 pixel integers 0..16 then the label per line, no header.
 * Pixels are scaled to [0, 1] (divided by 16).
 *
 * @param text The decompressed CSV.
 * @returns Features (`rows * 64`) and labels.
 * @throws {TypeError} If a row has the wrong number of fields or values out of range.
 */
export function parseDigitsCsv(text: string): { x: Float32Array; y: Int32Array } {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const x = new Float32Array(lines.length * DIGITS_INPUT_DIM);
  const y = new Int32Array(lines.length);
  lines.forEach((line, row) => {
    const fields = line.split(",");
    if (fields.length !== DIGITS_INPUT_DIM + 1) {
      throw new TypeError(
        `Cannot parse digits row ${row + 1}: expected ${DIGITS_INPUT_DIM + 1} comma-separated ` +
          `fields, got ${fields.length}`,
      );
    }
    for (let j = 0; j < DIGITS_INPUT_DIM; j++) {
      const v = Number(fields[j]);
      if (!(v >= 0 && v <= 16)) {
        throw new TypeError(
          `Cannot parse digits row ${row + 1}: pixel ${j} must be in 0..16, got '${fields[j]}'`,
        );
      }
      x[row * DIGITS_INPUT_DIM + j] = v / 16;
    }
    const label = Number(fields[DIGITS_INPUT_DIM]);
    if (!Number.isInteger(label) || label < 0 || label >= DIGITS_NUM_CLASSES) {
      throw new TypeError(
        `Cannot parse digits row ${row + 1}: label must be an integer 0..9, got ` +
          `'${fields[DIGITS_INPUT_DIM]}'`,
      );
    }
    y[row] = label;
  });
  return { x, y };
}

/**
 * Seeded mini-batches of one epoch over row-major data (the iterator behind
 * {@linkcode DataSplit.batches}, usable for any classification data).
 *
 * @param x Features, `y.length * inputDim` values.
 * @param y Labels.
 * @param inputDim Features per row.
 * @param epoch The epoch number; mixed into the seed.
 * @param batchSize Rows per batch.
 * @param seed The shuffling seed.
 * @param targets Labels per output name (rows as in `y`), gathered into each batch's `targets`.
 * @returns The batches in a shuffled order; the last one may be smaller.
 * @throws {RangeError} If `batchSize` is not a positive integer.
 */
export function* iterateBatches(
  x: Float32Array,
  y: Int32Array,
  inputDim: number,
  epoch: number,
  batchSize: number,
  seed = 0,
  targets?: Readonly<Record<string, Int32Array>>,
): IterableIterator<Batch> {
  if (!Number.isInteger(batchSize) || batchSize <= 0) {
    throw new RangeError(
      `Cannot make batches as 'batchSize' must be a positive integer: current value is ${batchSize}`,
    );
  }
  const order = new Rng(deriveSeed(seed, epoch)).shuffle(Int32Array.from(y.keys()));
  for (let start = 0; start < order.length; start += batchSize) {
    const size = Math.min(batchSize, order.length - start);
    const bx = new Float32Array(size * inputDim);
    const by = new Int32Array(size);
    for (let i = 0; i < size; i++) {
      const r = order[start + i];
      bx.set(x.subarray(r * inputDim, (r + 1) * inputDim), i * inputDim);
      by[i] = y[r];
    }
    if (targets === undefined) {
      yield { x: bx, y: by, size };
      continue;
    }
    const bt: Record<string, Int32Array> = {};
    for (const [name, labels] of Object.entries(targets)) {
      bt[name] = order.subarray(start, start + size).map((r) => labels[r]);
    }
    yield { x: bx, y: by, size, targets: bt };
  }
}

function makeSplit(
  x: Float32Array,
  y: Int32Array,
  rows: number[],
  inputDim: number,
  targets?: Readonly<Record<string, Int32Array>>,
): DataSplit {
  const sx = new Float32Array(rows.length * inputDim);
  const sy = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    sx.set(x.subarray(r * inputDim, (r + 1) * inputDim), i * inputDim);
    sy[i] = y[r];
  });
  const st = targets === undefined ? undefined : Object.fromEntries(
    Object.entries(targets).map((
      [name, labels],
    ) => [name, Int32Array.from(rows, (r) => labels[r])]),
  );
  return {
    x: sx,
    y: sy,
    size: rows.length,
    inputDim,
    ...(st === undefined ? {} : { targets: st }),
    batches: (epoch, batchSize, seed = 0) =>
      iterateBatches(sx, sy, inputDim, epoch, batchSize, seed, st),
  };
}

/** Per class, hold out `round(n * devFraction)` seeded-random rows; rows keep file order. */
function stratifiedSplit(
  y: Int32Array,
  numClasses: number,
  devFraction: number,
  seed: number,
): { train: number[]; dev: number[] } {
  const rng = new Rng(seed);
  const isDev = new Uint8Array(y.length);
  for (let c = 0; c < numClasses; c++) {
    const rows = [...y.keys()].filter((i) => y[i] === c);
    rng.shuffle(rows);
    for (const r of rows.slice(0, Math.round(rows.length * devFraction))) isDev[r] = 1;
  }
  const train: number[] = [];
  const dev: number[] = [];
  isDev.forEach((d, i) => (d ? dev : train).push(i));
  return { train, dev };
}

async function readBytes(url: string | URL): Promise<Uint8Array> {
  const u = url instanceof URL ? url : URL.canParse(url) ? new URL(url) : null;
  if (u === null || u.protocol === "file:") return await Deno.readFile(u ?? url);
  const response = await fetch(u);
  if (!response.ok) {
    throw new TypeError(`Cannot load digits from ${u}: HTTP ${response.status}`);
  }
  return new Uint8Array(await response.arrayBuffer());
}

async function gunzipText(bytes: Uint8Array): Promise<string> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new DecompressionStream("gzip"));
  return await new Response(stream).text();
}
