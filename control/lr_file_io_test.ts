import { equal, ok, rejects, throws } from "node:assert/strict";
import { join } from "node:path";
import { tempDir } from "../tests/_gpu.ts";
import { LearningRateFileError } from "./errors.ts";
import { createLearningRateControl } from "./learning_rate_control.ts";
import { formatLearningRateFile, parseLearningRateFile } from "./lr_file.ts";
import { loadLearningRateFile, saveLearningRateFile } from "./lr_file_io.ts";

const TEXT = "{\n1: EpochData(learningRate=0.01, error={'dev_score': 2.0}),\n" +
  "2: EpochData(learningRate=0.01, error={'dev_score': 1.99}),\n}\n";

Deno.test("lr_file_io: save then load gives the same records and RETURNN's text", async () => {
  const dir = await tempDir("lrio-");
  const file = join(dir, "sub", "learning_rates");
  equal(await loadLearningRateFile(file), undefined);
  await saveLearningRateFile(file, parseLearningRateFile(TEXT));
  equal(await Deno.readTextFile(file), TEXT);
  equal(formatLearningRateFile((await loadLearningRateFile(file))!), TEXT);
  await Deno.writeTextFile(file, "{1: EpochData(learningRate=0.1,, error={})}");
  await rejects(() => loadLearningRateFile(file), LearningRateFileError);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("createLearningRateControl: { file: null, text } continues from the text, saves nothing", async () => {
  const config = { learning_rate_control: "newbob", learning_rate: 0.01 };
  const control = await createLearningRateControl(config, { file: null, text: TEXT });
  equal(control.file, null);
  equal(control.learningRateForEpoch(3), 0.005); // (1.99 - 2.0) / 1.99 > -0.01: decay
  await control.save(); // no file: nothing happens
  ok(control.toText().startsWith(TEXT.slice(0, -2)));
  await rejects(
    () => createLearningRateControl(config, { file: null, text: "{1: EpochData(" }),
    (e: unknown) => e instanceof LearningRateFileError && e.line === 1,
  );
  throws(() => parseLearningRateFile("[]"), LearningRateFileError);
});
