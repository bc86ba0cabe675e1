import { equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { tempDir } from "../tests/_gpu.ts";
import { LearningRateControl } from "../control/learning_rate_control.ts";
import { lrCommand } from "./lr_command.ts";

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { log: (l: string) => out.push(l), error: (l: string) => err.push(l) } };
}

const CONFIG = { learning_rate_control: "newbob", learning_rate: 0.01 };

async function setup(): Promise<{ dir: string; configPath: string; file: string }> {
  const dir = await tempDir("lrcmd-");
  const configPath = join(dir, "config.json");
  const file = join(dir, "learning_rates");
  await Deno.writeTextFile(configPath, JSON.stringify(CONFIG));
  const c = new LearningRateControl(CONFIG, { file });
  for (const [e, s] of [[1, 2.0], [2, 1.99], [3, 1.5], [4, 1.6]]) {
    c.learningRateForEpoch(e);
    c.setEpochError(e, { dev_score: s, train_score: s + 0.5 });
  }
  await c.save();
  return { dir, configPath, file };
}

Deno.test("lr: replays the file and agrees; --plot writes an SVG", async () => {
  const { dir, configPath, file } = await setup();
  const { out, err, io } = capture();
  const svg = join(dir, "plots", "lr.svg");
  equal(
    await lrCommand(["--config", configPath, "--file", file, "--check", "--plot", svg], io),
    0,
    err.join("\n"),
  );
  equal(out[0], "epoch\tstored_lr\trecomputed_lr\terror_key\tdecision\trelative_error(s)");
  equal(out[3], `3\t0.005\t0.005\tdev_score\tdecay\trel=${(1.99 - 2) / 1.99}`);
  ok(out.includes("all epochs agree"));
  ok((await Deno.readTextFile(svg)).startsWith("<svg"));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("lr: --check exits 1 at the first disagreement; without it, reports and exits 0", async () => {
  const { dir, file } = await setup();
  const other = { ...CONFIG, newbob_learning_rate_decay: 0.7 };
  const a = capture();
  equal(await lrCommand(["--file", file, "--check"], a.io, { config: other }), 1);
  ok(
    a.err.some((l) =>
      l.includes("epoch 3: the file has 0.005 but the newbob control computes 0.006999999999999999")
    ),
    a.err.join("\n"),
  );
  const b = capture();
  equal(await lrCommand(["--file", file], b.io, { config: other }), 0);
  ok(b.out.some((l) => l.endsWith("MISMATCH")));
  ok(b.out.includes("2 epoch(s) disagree"), b.out.join("\n"));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("lr: usage errors and unreadable input exit 2; --help exits 0", async () => {
  const { dir, configPath, file } = await setup();
  const h = capture();
  equal(await lrCommand(["--help"], h.io), 0);
  ok(h.out[0].startsWith("Usage: lr"));
  for (
    const argv of [
      ["--bogus"],
      [],
      ["--config", join(dir, "missing.json"), "--file", file],
      ["--config", configPath],
      ["--config", configPath, "--file", join(dir, "missing")],
    ]
  ) {
    const c = capture();
    equal(await lrCommand(argv, c.io), 2, argv.join(" "));
    ok(c.err.length > 0);
  }
  await Deno.writeTextFile(join(dir, "bad"), "{1: EpochData(learningRate=0.1,, error={})}");
  const c = capture();
  equal(await lrCommand(["--config", configPath, "--file", join(dir, "bad")], c.io), 2);
  ok(c.err[0].includes(":1:32:"), c.err[0]);
  const t = capture();
  equal(
    await lrCommand(["--file", file], t.io, { config: { learning_rate_control: "newbob_rell" } }),
    2,
  );
  ok(t.err[0].includes("Did you mean 'newbob_rel'?"), t.err[0]);
  await Deno.remove(dir, { recursive: true });
});
