/**
 * Test helpers: batches as the RETURNN fixtures record them, and their comparison.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { SequenceDataset } from "./dataset.ts";
import type { BatchingOptions } from "./batching.ts";

/** One recorded row: tag, start and end per key, float64 sum of the slice's values per key. */
export type Row = [string, Record<string, number>, Record<string, number>, Record<string, number>];

/**
 * The batches of the current epoch as rows; checks the padding on the way.
 *
 * @param ds The dataset (epoch initialised).
 * @param batching The batch options.
 * @returns One list of rows per batch.
 */
export async function batchRows(ds: SequenceDataset, batching: BatchingOptions): Promise<Row[][]> {
  const got: Row[][] = [];
  for await (const batch of ds.batches(batching, () => {})) {
    const rows: Row[] = [];
    for (const [i, s] of batch.slices.entries()) {
      const sums: Record<string, number> = {};
      for (const key of batch.keys) {
        const d = batch.get(key);
        const frame = d.shape.slice(2).reduce((a, b) => a * b, 1);
        const len = d.seqLens[i];
        assert.equal(len, s.end[key] - s.start[key]);
        const base = i * d.shape[1] * frame;
        let sum = 0;
        for (let j = 0; j < len * frame; j++) sum += d.data[base + j];
        for (let j = len * frame; j < d.shape[1] * frame; j++) assert.equal(d.data[base + j], 0);
        sums[key] = sum;
      }
      rows.push([s.seqTag, { ...s.start }, { ...s.end }, sums]);
    }
    got.push(rows);
  }
  return got;
}

/**
 * Assert batches equal the recorded ones: order and slices exactly, sums within 1e-9 relative.
 *
 * @param got From {@linkcode batchRows}.
 * @param expected Recorded by RETURNN.
 * @param label For messages.
 */
export function assertSameBatches(got: Row[][], expected: Row[][], label: string): void {
  assert.equal(got.length, expected.length, `${label}: number of batches`);
  got.forEach((b, bi) => {
    assert.deepEqual(
      b.map((r) => r.slice(0, 3)),
      expected[bi].map((r) => r.slice(0, 3)),
      `${label} batch ${bi}`,
    );
    b.forEach((r, ri) => {
      for (const [k, v] of Object.entries(expected[bi][ri][3])) {
        const g = r[3][k];
        assert.ok(
          Math.abs(g - v) <= 1e-9 * Math.max(1, Math.abs(v)),
          `${label} b${bi} r${ri} ${k}: ${g} vs ${v}`,
        );
      }
    });
  });
}
