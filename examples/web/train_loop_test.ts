import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { ConfigError } from "../../trainer/config_error.ts";
import { parseLearningRateFile } from "../../control/lr_file.ts";
import { loadDigitsFor, PASTED, settingsFromText, trainInMemory } from "./train_loop.ts";

const DEFAULT = await Deno.readTextFile(new URL("./digits.json", import.meta.url));

Deno.test("web train loop: the page's default config, 3 epochs on cpu, file text parses", async () => {
  const settings = settingsFromText(DEFAULT.replace('"num_epochs": 12', '"num_epochs": 3'));
  const data = await loadDigitsFor(settings, new URL("../data/digits.csv.gz", import.meta.url));
  const seen: number[] = [];
  const r = await trainInMemory(settings, {
    backend: "cpu",
    data,
    hooks: { onEpoch: (e) => seen.push(e.epoch) },
  });
  deepEqual(seen, [1, 2, 3]);
  equal(r.optimizerBackend, "cpu");
  const file = parseLearningRateFile(r.learningRateFile);
  deepEqual([...file.values()].map((e) => e.learningRate), [0.001, 0.002, 0.004]);
  ok(r.epochs[2].devError < 0.2, `dev error ${r.epochs[2].devError}`);
});

Deno.test("web train loop: a bad pasted config raises the CLI's ConfigError", () => {
  throws(() => settingsFromText('{"learning_rte": 1}'), (e: unknown) => {
    ok(e instanceof ConfigError);
    ok(e.message.startsWith(`Cannot use the config in ${PASTED}: 1 problem`), e.message);
    return true;
  });
  throws(() => settingsFromText("{"), ConfigError);
});
