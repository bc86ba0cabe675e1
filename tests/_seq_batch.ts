/**
 * Test helper: sequences in RETURNN StaticDataset form (`{data, classes}`, e.g. the CTC G2P
 * example's `examples/g2p_data.ts`) as one padded host batch with lengths, for the sequence
 * profile (`bench/seq_profile.ts`).
 *
 * @module
 */

import type { HostBatchKey } from "../models/extern_data.ts";

/** One sequence: frames of dense features and its labels. */
export interface SeqExample {
  /** Frames of features. */
  readonly data: readonly (readonly number[])[];
  /** Labels. */
  readonly classes: readonly number[];
}

/** Pad sequences into a batch (targets past each length are 0, which CTC ignores). */
export function seqBatch(us: readonly SeqExample[]): Record<string, HostBatchKey> {
  const B = us.length, F = us[0].data[0].length;
  const T = Math.max(...us.map((u) => u.data.length)),
    S = Math.max(...us.map((u) => u.classes.length));
  const x = new Float32Array(B * T * F), y = new Int32Array(B * S);
  us.forEach((u, b) => {
    u.data.forEach((fr, t) => x.set(fr, (b * T + t) * F));
    u.classes.forEach((c, s) => (y[b * S + s] = c));
  });
  return {
    data: { data: x, shape: [B, T, F], seqLens: Int32Array.from(us, (u) => u.data.length) },
    classes: { data: y, shape: [B, S], seqLens: Int32Array.from(us, (u) => u.classes.length) },
  };
}
