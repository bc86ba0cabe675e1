/**
 * The real training loop on `cpu`, in-process, with hooks at its phases (for fault injection)
 * and a deterministic clock (so the learning-rate file's timing meta data is reproducible).
 *
 * @module
 */

import { train, type TrainResult } from "../trainer/train.ts";
import { defaultDeps } from "../trainer/wiring.ts";
import type { Config } from "../trainer/config_types.ts";
import type { EvalResult, TrainModel } from "../trainer/model_types.ts";
import type { TrainDeps } from "../trainer/train_deps.ts";

/** Where a hook runs; `n` counts calls of that phase from 1 in this run. */
export interface Hooks {
  /** Before each mini-batch's gradients. */
  step?: (n: number) => void | Promise<void>;
  /** Before each evaluation (two per epoch: train, dev). */
  eval?: (n: number) => void | Promise<void>;
  /** Before each learning-rate-file save (two per epoch). */
  saveLr?: (n: number) => void | Promise<void>;
  /** Before each checkpoint save (one per epoch). */
  saveCheckpoint?: (n: number) => void | Promise<void>;
  /** Change the gradients of each step in place (e.g. poison them); `device` on webgpu. */
  grads?: (n: number, grads: Float32Array[] | GPUBuffer[], device?: GPUDevice) => void;
  /** Replace evaluation results (n as for `eval`). */
  evalResult?: (n: number, r: EvalResult) => EvalResult;
}

/**
 * Run the real trainer on `cpu` with hooks.
 *
 * @param config The job.
 * @param outputDir Output folder.
 * @param hooks Phase hooks.
 * @param extra More deps to replace.
 * @returns The result.
 */
export async function trainWithHooks(
  config: Record<string, unknown>,
  outputDir: string,
  hooks: Hooks = {},
  extra: Partial<TrainDeps> = {},
): Promise<TrainResult> {
  const base = await defaultDeps();
  const count = { step: 0, eval: 0, saveLr: 0, saveCheckpoint: 0 };
  let clock = 0;
  return await train(config as Config, {
    outputDir,
    progress: "lines",
    log: () => {},
    now: () => clock++,
    deps: {
      ...base,
      async createModel(spec, o) {
        const model = await base.createModel(spec, o);
        return new Proxy(model, {
          get(t, p) {
            if (p === "gradients") {
              return (b: Parameters<TrainModel["gradients"]>[0]) => {
                const n = ++count.step;
                const r = hooks.step?.(n);
                if (r instanceof Promise) throw new Error("step hooks must be synchronous");
                const g = t.gradients(b);
                hooks.grads?.(n, g.grads, (t as { device?: GPUDevice }).device);
                return g;
              };
            }
            if (p === "evaluate") {
              return async (...a: Parameters<TrainModel["evaluate"]>) => {
                const n = ++count.eval;
                await hooks.eval?.(n);
                const r = await t.evaluate(...a);
                return hooks.evalResult ? hooks.evalResult(n, r) : r;
              };
            }
            const v = Reflect.get(t, p, t);
            return typeof v === "function" ? v.bind(t) : v;
          },
        });
      },
      async createUpdater(settings, model) {
        const u = await base.createUpdater(settings, model);
        return {
          ...u,
          async exportState() {
            await hooks.saveCheckpoint?.(++count.saveCheckpoint);
            return await u.exportState();
          },
        };
      },
      async createControl(c, o) {
        const control = await base.createControl(c, o);
        return {
          ...control,
          async save() {
            await hooks.saveLr?.(++count.saveLr);
            return await control.save();
          },
        };
      },
      ...extra,
    },
  });
}
