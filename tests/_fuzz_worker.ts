/**
 * Worker running one fuzz job for `tests/stress.ts`, so that a hang can be detected and the
 * worker terminated (synchronous parsing cannot be interrupted otherwise).
 *
 * @module
 */

import { fuzzConfigLoader, fuzzLrParser } from "./_fuzz.ts";

/** A fuzz job. */
export interface FuzzJob {
  /** Which reader. */
  target: "lr" | "config";
  /** Random and mutated inputs. */
  count: number;
  /** Seed. */
  seed: number;
  /** 10 MB hostile inputs. */
  big: boolean;
}

const scope = self as unknown as {
  onmessage: (e: MessageEvent<FuzzJob>) => void;
  postMessage: (m: unknown) => void;
};
scope.onmessage = (e) => {
  const job = e.data;
  const f = job.target === "lr" ? fuzzLrParser : fuzzConfigLoader;
  scope.postMessage(f(job.count, job.seed, job.big));
};
