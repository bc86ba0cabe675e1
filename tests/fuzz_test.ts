/**
 * Hostile inputs (fast version; `deno task stress` runs the long one): the learning-rate-file
 * parser and the JSON config loader get random, mutated and hostile inputs (deep nesting, huge
 * numbers, unterminated strings, long lines, prototype keys, code in strings). Each input is
 * accepted or rejected with the reader's own error carrying line and column; none crashes,
 * hangs, or reaches a function.
 *
 * @module
 */

import { deepEqual, equal, match, rejects, throws } from "node:assert/strict";
import { fuzzCheckpoint, fuzzConfigLoader, fuzzLrParser } from "./_fuzz.ts";
import { CheckpointError, decodeCheckpoint, encodeCheckpoint } from "../trainer/checkpoint.ts";
import { parseLearningRateFile } from "../control/lr_file.ts";
import { LearningRateFileError } from "../control/errors.ts";
import { parseConfigText, readConfigFile, resolveConfig } from "../trainer/config.ts";
import { ConfigError } from "../trainer/config_error.ts";
import { tempDir } from "./_gpu.ts";

Deno.test("fuzz: learning-rate-file parser: 1500 random/mutated + hostile inputs", () => {
  const stats = fuzzLrParser(1500, 7, false);
  deepEqual(stats.problems, []);
  equal(stats.maxHeapMb < 512, true, `heap grew by ${stats.maxHeapMb} MB on one input`);
  equal(stats.accepted + stats.rejected, stats.tried);
});

Deno.test("fuzz: JSON config loader: 1500 random/mutated + hostile inputs", () => {
  const stats = fuzzConfigLoader(1500, 11, false);
  deepEqual(stats.problems, []);
  equal(stats.maxHeapMb < 512, true, `heap grew by ${stats.maxHeapMb} MB on one input`);
  equal(stats.accepted + stats.rejected, stats.tried);
});

Deno.test("fuzz: errors carry line and column", () => {
  throws(
    () =>
      parseLearningRateFile("{\n1: EpochData(learningRate=0.1),\n2: EpochData(learningRate=", "f"),
    (e: unknown) => e instanceof LearningRateFileError && e.line === 3 && e.column > 1,
  );
  throws(
    () => parseConfigText('{\n  "num_epochs": 3,\n}', "c.json"),
    (e: unknown) => e instanceof ConfigError && /line 3 column 1/.test(e.message),
  );
  throws(
    () => parseConfigText('{"a": "abc', "c.json"),
    (e: unknown) =>
      e instanceof ConfigError && /line 1 column 7: unterminated string/.test(e.message),
  );
});

Deno.test("fuzz: nothing read is evaluated: code in files and configs stays text", async () => {
  // A learning-rate file with a call to anything but EpochData / float / np.float64 is rejected.
  throws(
    () => parseLearningRateFile("{1: EpochData(learningRate=__import__('os').getpid())}"),
    /unknown name '__import__'/,
  );
  // Strings in a JSON config never become functions.
  throws(() => resolveConfig({ dynamic_learning_rate: "() => 1" }), ConfigError);
  throws(() => resolveConfig({ learning_rates: "[0.1] * 3" }), /never evaluates code/);
  // A JSON file is read as data through the same loader the CLI uses.
  const dir = await tempDir("fuzz-");
  try {
    const path = `${dir}/c.json`;
    await Deno.writeTextFile(path, '{"optimizer": {"class": "constructor"}, "__proto__": {}}');
    const raw = await readConfigFile(path) as Record<string, unknown>;
    equal(Object.getPrototypeOf(raw), Object.prototype);
    equal(Object.hasOwn(raw, "__proto__"), true);
    throws(() => resolveConfig(raw), ConfigError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fuzz: checkpoint decoder: 2000 mutated checkpoints decode or raise CheckpointError", () => {
  const valid = encodeCheckpoint({
    epoch: 2,
    globalTrainStep: 24,
    paramNames: ["w", "b"],
    params: [new Float32Array([1, 2, 3]), new Float32Array([0.5])],
    optimizerArrays: { "0/exp_avg": new Float32Array(3), "1/exp_avg": new Float32Array(1) },
    optimizerMeta: { step: 24 },
    rng: { seed: 1 },
    fingerprint: { lr: 0.1 },
    history: [{ epoch: 1 }, { epoch: 2 }],
  });
  const stats = fuzzCheckpoint(
    valid,
    2000,
    3,
    decodeCheckpoint,
    (e) => e instanceof CheckpointError,
  );
  deepEqual(stats.problems.slice(0, 5), []);
});

Deno.test("fuzz: no code path evaluates text: no eval, Function or computed import outside the TS-config loader", async () => {
  const offenders: string[] = [];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(dir)) {
      const path = dir === "." ? e.name : `${dir}/${e.name}`;
      if (e.isDirectory) {
        if (![".git", ".tmp", "dist", "node_modules", "tests"].includes(e.name)) await walk(path);
      } else if (/\.(ts|js|mjs)$/.test(e.name) && !/_test\.ts$/.test(e.name)) {
        const text = await Deno.readTextFile(path);
        text.split("\n").forEach((line, i) => {
          if (/^\s*(\/\/|\*)/.test(line)) return; // comments and JSDoc
          const code = line.replace(/(["'`])(?:\\.|(?!\1).)*\1/g, '""'); // drop string literals
          if (/\beval\s*\(|\bFunction\s*\(|import\(\s*[^"'`\s)]/.test(code)) {
            offenders.push(`${path}:${i + 1}: ${line.trim()}`);
          }
        });
      }
    }
  };
  await walk(".");
  // The one computed import: a TypeScript config module named on the command line is code by
  // design (JSON configs are parsed as data).
  deepEqual(offenders.filter((o) => !o.startsWith("trainer/config.ts:")), []);
  equal(offenders.length <= 1, true, offenders.join("\n"));
});

Deno.test("fuzz: a TypeScript config that fails to load is a ConfigError with its line and column", async () => {
  const dir = await tempDir("fuzz-");
  try {
    const cases: [string, RegExp][] = [
      [
        "export default {\n  learning_rate: 0.1,,\n};\n",
        /cannot load the module: .*bad0\.config\.ts:2:22/s,
      ],
      [
        "export default {\n  learning_rate: 0.1,\n",
        /cannot load the module: .*bad1\.config\.ts:2:\d+/s,
      ],
      ['throw new Error("boom");\nexport default {};\n', /boom \(at .*bad2\.config\.ts:1:7\)/],
    ];
    for (const [i, [text, pattern]] of cases.entries()) {
      const path = `${dir}/bad${i}.config.ts`;
      await Deno.writeTextFile(path, text);
      await rejects(readConfigFile(path), (e: Error) => {
        equal(e instanceof ConfigError, true, `${e.name}: ${e.message}`);
        match(e.message, pattern);
        return true;
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
