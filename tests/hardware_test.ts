/**
 * Hardware faults: no WebGPU adapter, and the device lost mid-run (`device.destroy()` during a
 * step, an evaluation or a save). Each ends in one clear error that says how to continue
 * (`--backend cpu`, resume from the last checkpoint); the last checkpoint stays intact, and
 * resuming from it on `cpu` completes the run.
 *
 * @module
 */

import { equal, match, rejects } from "node:assert/strict";
import { join } from "node:path";
import { gpuTest, tempDir } from "./_gpu.ts";
import { tinyConfig } from "./_crash.ts";
import { type Hooks, trainWithHooks } from "./_train_hooks.ts";
import { createOptimizer } from "../optimizers/mod.ts";
import { GpuDeviceLostError, GpuUnavailableError } from "../gpu/errors.ts";
import { decodeCheckpoint } from "../trainer/checkpoint.ts";

const HOW_TO_CONTINUE = /--backend cpu.*resume from the last checkpoint|resume.*--backend cpu/s;

Deno.test("hardware: no adapter: the engine says how to continue", async () => {
  for (const gpu of [{ requestAdapter: () => Promise.resolve(null) }, null]) {
    await rejects(
      createOptimizer({ class: "adam" }, { backend: "webgpu", gpu }),
      (e: Error) => {
        equal(e instanceof GpuUnavailableError, true);
        match(e.message, /--backend cpu/);
        match(e.message, /resumes from its last checkpoint/);
        return true;
      },
    );
  }
});

Deno.test("hardware: no adapter: the CLI prints one clear line and exits 1", async () => {
  const dir = await tempDir("hw-");
  try {
    const config = join(dir, "job.json");
    await Deno.writeTextFile(config, JSON.stringify(tinyConfig(1)));
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--allow-read=.",
        `--allow-write=${dir}`,
        "--allow-env=XDG_RUNTIME_DIR,DENO_WEBGPU_BACKEND",
        "cli.ts",
        "train",
        config,
        "--backend",
        "webgpu",
        "--output-dir",
        join(dir, "out"),
      ],
      // A backend name wgpu does not know: requestAdapter() finds no adapter.
      env: { DENO_WEBGPU_BACKEND: "none-such" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    equal(out.code, 1, stderr);
    match(stderr, /^GpuUnavailableError: Cannot use the webgpu backend as no WebGPU adapter/m);
    match(stderr, /--backend cpu/);
    equal(/\n\s+at /.test(stderr), false, `a stack trace was printed:\n${stderr}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Destroy the run's device at the given moment of epoch 2; check the error and the resume. */
async function loseDeviceDuring(phase: "step" | "eval" | "save"): Promise<void> {
  const dir = await tempDir("hw-lost-");
  try {
    const out = join(dir, "out");
    let device: GPUDevice | undefined;
    const destroy = () => device!.destroy();
    const hooks: Hooks = {
      grads: (n, _g, d) => {
        device = d;
        if (phase === "step" && n === 17) destroy(); // 12 steps per epoch
      },
      eval: (n) => phase === "eval" && n === 3 ? destroy() : undefined,
      saveCheckpoint: (n) => phase === "save" && n === 2 ? destroy() : undefined,
    };
    const config = { ...tinyConfig(3), backend: "webgpu" };
    await rejects(trainWithHooks(config, out, hooks), (e: Error) => {
      equal(e instanceof GpuDeviceLostError, true, `${e.name}: ${e.message}`);
      match(e.message, HOW_TO_CONTINUE);
      return true;
    });
    const path = join(out, "checkpoint.nbck");
    equal(decodeCheckpoint(await Deno.readFile(path), path).epoch, 1);
    // As the message says: resume from the last checkpoint with --backend cpu.
    const resumed = await trainWithHooks({ ...config, backend: "cpu" }, out);
    equal(resumed.resumedAfterEpoch, 1);
    equal(resumed.history.length, 3);
    equal(resumed.parameters.every((p) => p.every(Number.isFinite)), true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

gpuTest(
  "hardware: device lost mid-step: clear error, checkpoint intact, resume on cpu",
  async () => {
    await loseDeviceDuring("step");
  },
);

gpuTest(
  "hardware: device lost mid-eval: clear error, checkpoint intact, resume on cpu",
  async () => {
    await loseDeviceDuring("eval");
  },
);

gpuTest(
  "hardware: device lost mid-save: clear error, checkpoint intact, resume on cpu",
  async () => {
    await loseDeviceDuring("save");
  },
);
