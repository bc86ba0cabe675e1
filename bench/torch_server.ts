/**
 * PyTorch as a peer that takes turns: `bench/torch_bench.py --serve` in a subprocess (2 threads,
 * glibc malloc tuned), one JSON request per line, so each of PyTorch's repetitions runs in the
 * same round-robin as newbob's (`timeInterleaved`) and a change of the machine's speed during the
 * run reaches both alike. Without Python or torch, `start` says why and nothing is timed.
 *
 * @module
 */

import type { Prepared } from "./interleave.ts";
import type { BandwidthResult, RateResult } from "./results.ts";
import { summarize } from "./_stats.ts";

/** Options of {@linkcode TorchServer.start}. */
export interface TorchServerOptions {
  /** Python executable. @default {"/usr/bin/python3"} */
  readonly python?: string;
  /** Threads. @default {2} */
  readonly threads?: number;
  /** Device (`cpu` or `cuda`). @default {"cpu"} */
  readonly device?: string;
  /** Parameter updates per repetition. @default {32 * 2^20} */
  readonly budget?: number;
  /** `fused=True` for Adam/AdamW (CUDA). @default {false} */
  readonly fused?: boolean;
  /** The server script (a stand-in in tests). @default {`bench/torch_bench.py`} */
  readonly script?: string;
}

type Reply = Record<string, unknown>;

/** glibc malloc settings for the PyTorch processes (keep freed memory mapped between steps). */
export const MALLOC_ENV: Readonly<Record<string, string>> = {
  MALLOC_MMAP_THRESHOLD_: "2147483647",
  MALLOC_TRIM_THRESHOLD_: "2147483647",
  MALLOC_TOP_PAD_: "1073741824",
};

/** A running `torch_bench.py --serve` (stateful: one process, requests answered in order). */
export class TorchServer {
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #lines: AsyncIterator<string>;
  #queue: Promise<unknown> = Promise.resolve();
  /** Implementation label of the rates, `torch <device>`. */
  readonly impl: string;
  /** `PyTorch <version> on <device>, <n> threads, malloc tuned`. */
  readonly note: string;
  /** The CPU model the script read from `/proc/cpuinfo`. */
  readonly cpu: string;

  private constructor(
    child: Deno.ChildProcess,
    lines: AsyncIterator<string>,
    hello: Reply,
    device: string,
  ) {
    this.#child = child;
    this.#writer = child.stdin.getWriter();
    this.#lines = lines;
    this.impl = `torch ${device}`;
    this.note = `PyTorch ${hello.torch} on ${hello.device}, ${hello.threads} threads, malloc tuned`;
    this.cpu = String(hello.cpu ?? "unknown");
  }

  /**
   * Start the server and greet it.
   *
   * @returns The server, or why PyTorch is skipped (no Python, no torch).
   */
  static async start(
    o: TorchServerOptions = {},
  ): Promise<TorchServer | { skipped: string; cpu?: string }> {
    const python = o.python ?? "/usr/bin/python3";
    const threads = o.threads ?? 2;
    const device = o.device ?? "cpu";
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(python, {
        args: [
          o.script ?? new URL("./torch_bench.py", import.meta.url).pathname,
          "--serve",
          `--device=${device}`,
          `--threads=${threads}`,
          `--budget=${o.budget ?? 32 * 2 ** 20}`,
          `--fused=${o.fused ? 1 : 0}`,
        ],
        env: { ...MALLOC_ENV, OMP_NUM_THREADS: String(threads) },
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    } catch (e) {
      return { skipped: `PyTorch skipped: cannot run ${python}: ${e}` };
    }
    const lines = readLines(child.stdout);
    const err = tail(child.stderr);
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode('{"op":"hello"}\n'));
    const first = await lines.next();
    writer.releaseLock();
    if (first.done) {
      await child.status;
      return { skipped: `PyTorch skipped: ${python} failed: ${await err.text()}` };
    }
    const hello = JSON.parse(first.value) as Reply;
    if (hello.missing) {
      await child.stdin.close();
      await child.status;
      return { skipped: `PyTorch skipped: ${hello.missing}`, cpu: String(hello.cpu) };
    }
    return new TorchServer(child, lines, hello, device);
  }

  /** Send one request; replies come in order. */
  request(req: Reply): Promise<Reply> {
    const next = this.#queue.then(async () => {
      await this.#writer.write(new TextEncoder().encode(JSON.stringify(req) + "\n"));
      const r = await this.#lines.next();
      if (r.done) throw new Error(`torch_bench.py --serve ended before answering ${req.op}`);
      const reply = JSON.parse(r.value) as Reply;
      if (reply.error) throw new Error(`torch_bench.py --serve: ${reply.error}`);
      return reply;
    });
    this.#queue = next.catch(() => {});
    return next;
  }

  /**
   * Prepare one optimizer case on tensors of `sizes` (after one warm-up repetition).
   *
   * @returns A {@linkcode Prepared} for `timeInterleaved`, or the rate row with PyTorch's note.
   */
  async prepare(
    optimizer: string,
    shape: string,
    sizes: readonly number[],
    reps: number,
  ): Promise<Prepared | RateResult> {
    const r = await this.request({ op: "prepare", optimizer, sizes });
    if (r.note !== undefined) {
      return { optimizer, shape, impl: this.impl, rate: null, note: String(r.note) };
    }
    const steps = Number(r.steps);
    const total = sizes.reduce((a, b) => a + b, 0);
    return {
      impl: this.impl,
      optimizer,
      shape,
      work: total * steps,
      steps,
      reps,
      // PyTorch's own clock: the reply waits until its OpenMP threads stop spinning.
      once: async () => Number((await this.request({ op: "once" })).seconds),
      dispose: () => {
        this.request({ op: "free" }).catch(() => {});
      },
    };
  }

  /** PyTorch's triad on its device and threads. */
  async triad(reps: number): Promise<BandwidthResult> {
    const r = await this.request({ op: "triad", reps });
    return {
      where: `cpu (${this.impl})`,
      kernel: String(r.kernel),
      bytesPerSecond: summarize(r.rates as number[]),
    };
  }

  /** End the process. */
  async close(): Promise<void> {
    await this.#queue;
    await this.#writer.close();
    await this.#child.status;
  }
}

/** Read a stream to its end in the background (so the child never blocks on it); its last lines. */
function tail(stream: ReadableStream<Uint8Array>): { text(): Promise<string> } {
  let buf = "";
  const done = (async () => {
    const dec = new TextDecoder();
    for await (const chunk of stream) {
      buf = (buf + dec.decode(chunk, { stream: true })).slice(-4000);
    }
  })();
  return {
    text: async () => {
      await done;
      return buf.trim().split("\n").slice(-3).join(" | ");
    },
  };
}

/** The lines of a byte stream. */
async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buf = "";
  const dec = new TextDecoder();
  for await (const chunk of stream) {
    buf += dec.decode(chunk, { stream: true });
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      yield buf.slice(0, i);
      buf = buf.slice(i + 1);
    }
  }
  if (buf) yield buf;
}
