/**
 * Runs `bench/torch_bench.py` with `/usr/bin/python3` (2 threads, glibc malloc tuned so large
 * temporaries are not returned to the kernel between steps) and turns its JSON into results.
 * Without Python or torch the results are empty and a note says why: never zero or made-up
 * figures.
 *
 * @module
 */

import { summarize } from "./_stats.ts";
import type { BandwidthResult, RateResult } from "./results.ts";

/** Options of {@linkcode runTorch}. */
export interface TorchOptions {
  /** Python executable. @default {"/usr/bin/python3"} */
  readonly python?: string;
  /** Single-tensor sizes in units of 2^20. */
  readonly sizes: readonly number[];
  /** Include the many-tensor case. */
  readonly many: boolean;
  /** Optimizer ids. */
  readonly optimizers: readonly string[];
  /** Timed repetitions. */
  readonly reps: number;
  /** Threads. @default {2} */
  readonly threads?: number;
  /** Device (`cpu` or `cuda`). @default {"cpu"} */
  readonly device?: string;
  /** Parameter updates per timed repetition. @default {32 * 2^20} */
  readonly budget?: number;
  /** `fused=True` for Adam/AdamW (CUDA). @default {false} */
  readonly fused?: boolean;
}

/** What {@linkcode runTorch} returns. */
export interface TorchOutput {
  /** Per optimizer and shape. */
  readonly rates: RateResult[];
  /** The triad on the same device and threads, if measured. */
  readonly triad: BandwidthResult | null;
  /** Version and device, or why torch was skipped. */
  readonly note: string;
  /** CPU model name (from `/proc/cpuinfo`, read by the Python script). */
  readonly cpu?: string;
}

/** glibc malloc settings for the PyTorch run (keep freed memory mapped). */
export const MALLOC_ENV: Readonly<Record<string, string>> = {
  MALLOC_MMAP_THRESHOLD_: "2147483647",
  MALLOC_TRIM_THRESHOLD_: "2147483647",
  MALLOC_TOP_PAD_: "1073741824",
};

/**
 * Run the PyTorch peer.
 *
 * @returns Rates labelled `torch <device>`, the triad, and a note.
 */
export async function runTorch(o: TorchOptions): Promise<TorchOutput> {
  const python = o.python ?? "/usr/bin/python3";
  const script = new URL("./torch_bench.py", import.meta.url).pathname;
  const device = o.device ?? "cpu";
  const threads = o.threads ?? 2;
  const ids = o.optimizers.filter((id) => id !== "lion");
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(python, {
      args: [
        script,
        `--device=${device}`,
        `--threads=${threads}`,
        `--sizes=${o.sizes.join(",")}`,
        `--many=${o.many ? 1 : 0}`,
        `--optimizers=${ids.join(",")}`,
        `--reps=${o.reps}`,
        `--fused=${o.fused ? 1 : 0}`,
        `--budget=${o.budget ?? 32 * 2 ** 20}`,
      ],
      env: { ...MALLOC_ENV, OMP_NUM_THREADS: String(threads) },
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (e) {
    return { rates: [], triad: null, note: `PyTorch skipped: cannot run ${python}: ${e}` };
  }
  const text = new TextDecoder().decode(out.stdout).trim();
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-3).join(" | ");
    return { rates: [], triad: null, note: `PyTorch skipped: ${python} failed: ${err}` };
  }
  const j = JSON.parse(text.split("\n").pop()!);
  if (j.missing) {
    return { rates: [], triad: null, note: `PyTorch skipped: ${j.missing}`, cpu: j.cpu };
  }
  const impl = `torch ${device}`;
  const rates: RateResult[] = (j.results as {
    optimizer: string;
    shape: string;
    rates?: number[];
    note?: string;
  }[]).map((r) => ({
    optimizer: r.optimizer,
    shape: r.shape,
    impl,
    rate: r.rates?.length ? summarize(r.rates) : null,
    ...(r.note ? { note: r.note } : {}),
  }));
  return {
    rates,
    triad: {
      where: `cpu (torch ${j.device})`,
      kernel: j.triad.kernel,
      bytesPerSecond: summarize(j.triad.rates),
    },
    note: `PyTorch ${j.torch} on ${j.device}, ${j.threads} threads, malloc tuned`,
    cpu: j.cpu,
  };
}
