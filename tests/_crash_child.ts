/**
 * The trainer as the crash harness runs it (`tests/_crash.ts` kills this process with SIGKILL):
 * the real training loop with the real wiring, plus markers on stdout at each mini-batch step
 * (`@step`), evaluation (`@eval`), learning-rate-file save (`@save-lr`) and checkpoint save
 * (`@save-ck`), a deterministic clock (so the learning-rate file's timing meta data is
 * reproducible), and file writes slowed to small chunks so that a kill after a save marker
 * really lands inside the write.
 *
 * Usage: `deno run --allow-read=. --allow-write=OUT tests/_crash_child.ts CONFIG.json OUT`
 *
 * @module
 */

import { train } from "../trainer/train.ts";
import { readConfigFile } from "../trainer/config.ts";
import { defaultDeps } from "../trainer/wiring.ts";
import type { Config } from "../trainer/config_types.ts";
import type { TrainModel } from "../trainer/model_types.ts";

const [configPath, outputDir, chunkArg] = Deno.args;
const chunk = Number(chunkArg ?? 512);
const enc = new TextEncoder();
const mark = (m: string) => Deno.stdout.writeSync(enc.encode(`@${m}\n`));

// Slow writes: `chunk` bytes per write call and a macrotask between calls.
const proto = Deno.FsFile.prototype;
const write = proto.write;
proto.write = async function (this: Deno.FsFile, p: Uint8Array): Promise<number> {
  await new Promise((r) => setTimeout(r, 0));
  return await write.call(this, p.subarray(0, Math.min(p.length, chunk)));
};

const base = await defaultDeps();
let clock = 0;
const config = await readConfigFile(configPath) as Config;
await train(config, {
  outputDir,
  backend: "cpu",
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
              mark("step");
              return t.gradients(b);
            };
          }
          if (p === "evaluate") {
            return (...a: Parameters<TrainModel["evaluate"]>) => {
              mark("eval");
              return t.evaluate(...a);
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
        exportState() {
          mark("save-ck");
          return u.exportState();
        },
      };
    },
    async createControl(c, o) {
      const control = await base.createControl(c, o);
      return {
        ...control,
        save() {
          mark("save-lr");
          return control.save();
        },
      };
    },
  },
});
mark("done");
