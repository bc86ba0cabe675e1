/**
 * Configs and comparisons shared by the data-parallel trainer tests (in-process loopback ranks
 * and MPI ranks).
 *
 * @module
 */

import type { Config } from "./config_types.ts";

/**
 * The digits job on 1024 training rows (`dev_fraction` 0.43), SGD: `ranks` on 2 ranks with
 * Horovod's `shard` and averaged gradients trains batches 2k and 2k+1 of 32 rows in step k;
 * `union` on one process trains the same 64 rows in one batch (the shuffled order does not
 * depend on the batch size), so both make the same updates up to float32 summation order.
 */
export function unionConfigs(): { ranks: Config; union: Config } {
  const base: Config = {
    data: { name: "digits", dev_fraction: 0.43 },
    model: { type: "mlp", hidden: [16] },
    num_epochs: 3,
    seed: 3,
    optimizer: { class: "sgd" },
    learning_rate: 0.05,
    learning_rate_control: "newbob_rel",
    newbob_relative_error_threshold: -0.5,
  };
  return {
    ranks: { ...base, batch_size: 32, use_horovod: true, horovod_avg_grad: true },
    union: { ...base, batch_size: 64 },
  };
}

/** The largest absolute and relative difference between two lists of arrays. */
export function maxDiff(
  a: readonly ArrayLike<number>[],
  b: readonly ArrayLike<number>[],
): { abs: number; rel: number } {
  if (a.length !== b.length) throw new RangeError(`${a.length} arrays vs ${b.length}`);
  let abs = 0, rel = 0;
  a.forEach((x, i) => {
    if (x.length !== b[i].length) throw new RangeError(`array ${i}: ${x.length} vs ${b[i].length}`);
    for (let j = 0; j < x.length; j++) {
      const d = Math.abs(x[j] - b[i][j]);
      abs = Math.max(abs, d);
      rel = Math.max(rel, d / Math.max(Math.abs(b[i][j]), 1e-30));
    }
  });
  return { abs, rel };
}
