/**
 * Optimizer throughput through newbob's public API only, so the same code times the bundle in
 * a browser page (`browser_page.ts`) and the source in Deno (`browser.ts`): Adam on one tensor,
 * gradients uploaded from `Float32Array`s every step (the `host grads` variant of the main
 * bench); on webgpu N steps are submitted and the device is awaited once per repetition.
 *
 * @module
 */

type Newbob = typeof import("../mod.ts");

/** One timed configuration. */
export interface ThroughputResult {
  backend: "cpu" | "webgpu";
  params: number;
  /** Millions of parameters updated per second: median, min, max over repetitions. */
  median: number;
  min: number;
  max: number;
  reps: number;
  stepsPerRep: number;
}

/**
 * Time `adam` steps of one tensor of `params` floats.
 *
 * @param nb newbob's API (the module namespace of `mod.ts` or of `newbob.js`).
 * @param backend Where the optimizer runs.
 * @param params Tensor size.
 * @param reps Repetitions after one warm-up.
 * @param stepsPerRep Steps per repetition.
 */
export async function timeAdam(
  nb: Newbob,
  backend: "cpu" | "webgpu",
  params: number,
  reps: number,
  stepsPerRep: number,
): Promise<ThroughputResult> {
  const gpu = backend === "webgpu" ? await nb.acquireGpu() : undefined;
  const opt = await nb.createOptimizer({ class: "adam", eps: 1e-8 }, {
    backend,
    ...(gpu ? { device: gpu.device } : {}),
  });
  const p = Float32Array.from({ length: params }, (_, i) => Math.sin(i));
  const g = Float32Array.from({ length: params }, (_, i) => 0.01 * Math.cos(i));
  const state = await opt.init([p]);
  const rep = async () => {
    const t0 = performance.now();
    for (let s = 0; s < stepsPerRep; s++) await opt.step(state, [g], { learningRate: 1e-3 });
    await gpu?.sync();
    return (params * stepsPerRep) / ((performance.now() - t0) / 1000) / 1e6;
  };
  await rep(); // warm-up: pipelines, buffers
  const rates: number[] = [];
  for (let r = 0; r < reps; r++) rates.push(await rep());
  opt.dispose(state);
  rates.sort((a, b) => a - b);
  return {
    backend,
    params,
    median: rates[Math.floor(rates.length / 2)],
    min: rates[0],
    max: rates[rates.length - 1],
    reps,
    stepsPerRep,
  };
}
