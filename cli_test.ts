import { equal, ok } from "node:assert/strict";
import { main } from "./cli.ts";
import { tempDir } from "./tests/_gpu.ts";

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

Deno.test("cli: help for each command names its minimal permissions", async () => {
  const c = capture();
  equal(await main(["--help"], c.io), 0);
  ok(c.out[0].includes("train [CONFIG]"));
  equal(await main(["train", "--help"], c.io), 0);
  ok(c.out[1].includes("--allow-read=. --allow-write=out"));
  ok(!c.out[1].includes(" -A"));
  equal(await main(["info", "--help"], c.io), 0);
  equal(await main(["lr", "--help"], c.io), 0);
  equal(await main(["frobnicate"], c.io), 2);
  ok(c.err[0].includes("unknown command 'frobnicate'"));
});

Deno.test("cli: a bad config is reported completely before any work", async () => {
  const dir = await tempDir("cli-");
  const path = `${dir}/bad.json`;
  await Deno.writeTextFile(
    path,
    JSON.stringify({ learning_rte: 0.1, num_epochs: "2", gradient_nan_inf_filter: true }),
  );
  const c = capture();
  equal(await main(["train", path, "--output-dir", `${dir}/out`], c.io), 2);
  const msg = c.err.join("\n");
  ok(msg.includes("3 problems"), msg);
  ok(msg.includes("Did you mean 'learning_rate'?"), msg);
  ok(!(await Deno.stat(`${dir}/out`).then(() => true, () => false)), "nothing was written");
  equal(await main(["train", path, "--backend", "tpu"], c.io), 2);
});

Deno.test("cli: train a JSON config, then inspect it with lr", async () => {
  const dir = await tempDir("cli-train-");
  const path = `${dir}/job.json`;
  await Deno.writeTextFile(
    path,
    JSON.stringify({
      model: { type: "mlp", hidden: [16] },
      num_epochs: 2,
      batch_size: 128,
      optimizer: { class: "adam", epsilon: 1e-8 },
      learning_rate: 0.01,
      learning_rate_control: "newbob_rel",
    }),
  );
  const c = capture();
  equal(await main(["train", path, "--backend", "cpu", "--output-dir", `${dir}/out`], c.io), 0);
  const text = c.out.join("\n");
  ok(text.includes("backend: cpu"), text);
  ok(text.includes("done in") && text.includes("dev accuracy"), text);
  const lr = capture();
  equal(
    await main(["lr", "--config", path, "--file", `${dir}/out/learning_rates`, "--check"], lr.io),
    0,
  );
  ok(lr.out.join("\n").includes("agree"), lr.out.join("\n"));
  // Running the same command again continues from the checkpoint: nothing left to do.
  const again = capture();
  equal(await main(["train", path, "--backend", "cpu", "--output-dir", `${dir}/out`], again.io), 0);
  ok(again.out.join("\n").includes("nothing to do"));
});

Deno.test("cli: a malformed learning-rate file is reported without a stack trace", async () => {
  const dir = await tempDir("cli-lrfile-");
  await Deno.mkdir(`${dir}/out`);
  await Deno.writeTextFile(
    `${dir}/out/learning_rates`,
    "{1: EpochData(learningRate=__import__('os'))}",
  );
  const path = `${dir}/job.json`;
  await Deno.writeTextFile(path, JSON.stringify({ num_epochs: 1, learning_rate: 0.01 }));
  const c = capture();
  equal(await main(["train", path, "--backend", "cpu", "--output-dir", `${dir}/out`], c.io), 1);
  ok(c.err.join("\n").startsWith("LearningRateFileError:"), c.err.join("\n"));
});

Deno.test("cli: train without CONFIG runs the embedded default job", async () => {
  const dir = await tempDir("cli-default-");
  const c = capture();
  equal(
    await main(["train", "--backend", "cpu", "--output-dir", dir, "--stop-after", "1"], c.io),
    0,
  );
  const text = c.out.join("\n");
  ok(text.includes("embedded default job examples/digits.config.ts"), text);
  ok(text.includes("epoch 1/20"), text);
  ok(text.includes(`${dir}/learning_rates`), text);
  await Deno.stat(`${dir}/learning_rates.svg`);
  // --resume continues after epoch 1.
  const r = capture();
  equal(
    await main(
      ["train", "--backend", "cpu", "--output-dir", dir, "--stop-after", "2", "--resume"],
      r.io,
    ),
    0,
  );
  ok(r.out.join("\n").includes("resuming after epoch 1"));
});

Deno.test("cli: train a RETURNN JSON config (datasets + network dict) into DIR/learning_rates", async () => {
  const dir = await tempDir("cli-seq-");
  const path = `${dir}/12ax.json`;
  await Deno.writeTextFile(
    path,
    JSON.stringify({
      train: { class: "Task12AXDataset", num_seqs: 12 },
      dev: { class: "Task12AXDataset", num_seqs: 4, fixed_random_seed: 1 },
      num_inputs: 9,
      num_outputs: 2,
      batch_size: 500,
      max_seqs: 6,
      network: {
        hidden: { class: "linear", activation: "tanh", n_out: 8, from: "data" },
        output: { class: "softmax", loss: "ce", from: "hidden" },
      },
      optimizer: { class: "adam", epsilon: 1e-8 },
      learning_rate: 0.01,
      learning_rate_control: "newbob_rel",
      num_epochs: 2,
    }),
  );
  const c = capture();
  equal(await main(["train", path, "--backend", "cpu", "--output-dir", `${dir}/out`], c.io), 0);
  const text = await Deno.readTextFile(`${dir}/out/learning_rates`);
  ok(text.includes("'dev_error'") && text.includes("'train_score'"), text);
  ok(
    c.out.some((l) => /^done in .*: 2 epochs, dev_score [0-9.]+, dev_error/.test(l)),
    c.out.join("\n"),
  );
  await Deno.stat(`${dir}/out/model.002.nbck`);
});
