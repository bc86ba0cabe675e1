/**
 * Test helper: utterances of the CTC example (`examples/ctc_toy_data.ts`) as one padded host
 * batch (`{data, classes}` with lengths), for the example's test and the sequence profile.
 *
 * @module
 */

import type { HostBatchKey } from "../models/extern_data.ts";
import type { CtcToyUtterance } from "../examples/ctc_toy_data.ts";

/** Pad utterances into a batch (targets past each length are 0, which CTC ignores). */
export function ctcToyBatch(us: readonly CtcToyUtterance[]): Record<string, HostBatchKey> {
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
