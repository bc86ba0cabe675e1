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

import { readConfigFile } from "../trainer/config.ts";
import { trainWithHooks } from "./_train_hooks.ts";

const [configPath, outputDir, chunkArg] = Deno.args;
const chunk = Number(chunkArg ?? 512);
const enc = new TextEncoder();
const mark = (m: string): void => void Deno.stdout.writeSync(enc.encode(`@${m}\n`));

// Slow writes: `chunk` bytes per write call and a macrotask between calls.
const proto = Deno.FsFile.prototype;
const write = proto.write;
proto.write = async function (this: Deno.FsFile, p: Uint8Array): Promise<number> {
  await new Promise((r) => setTimeout(r, 0));
  return await write.call(this, p.subarray(0, Math.min(p.length, chunk)));
};

const config = await readConfigFile(configPath) as Record<string, unknown>;
await trainWithHooks({ ...config, backend: "cpu" }, outputDir, {
  step: () => mark("step"),
  eval: () => mark("eval"),
  saveLr: () => mark("save-lr"),
  saveCheckpoint: () => mark("save-ck"),
});
mark("done");
