// The CTC example learns through the real trainer: a short run of its network on part of
// CMUdict lowers the dev phoneme error rate (greedy decoding, edit distance), with RETURNN
// TF's score names.
import assert from "node:assert/strict";
import { train } from "../trainer/train.ts";
import type { Config } from "../trainer/config_types.ts";
import { validateNetwork } from "../models/mod.ts";
import { resolveExternData } from "../models/mod.ts";
import config from "./ctc_g2p.config.ts";
import { G2P_FEATURES, g2pWords, PHONEMES } from "./g2p_data.ts";
import { tempDir } from "../tests/_gpu.ts";

Deno.test("ctc_g2p example: the network validates; a short run lowers the dev phoneme error rate", async () => {
  const problems: string[] = [];
  const ext = resolveExternData(config, problems);
  assert.deepEqual([...problems, ...validateNetwork(config.network, ext)], []);
  const output_dim = { data: [G2P_FEATURES, 2], classes: [PHONEMES.length, 1] };
  const short = {
    ...config,
    train: {
      class: "StaticDataset",
      data: g2pWords({ split: "train", count: 300 }).seqs,
      output_dim,
    },
    dev: { class: "StaticDataset", data: g2pWords({ split: "dev", count: 60 }).seqs, output_dim },
    learning_rate: 0.01,
    learning_rate_control: "constant",
    num_epochs: 3,
  } as Config;
  const r = await train(short, {
    outputDir: await tempDir("ctc-g2p-"),
    backend: "wasm",
    progress: "none",
    log: () => {},
  });
  const per = r.history.map((h) => h.scores!.dev_error);
  console.log(`ctc_g2p (300 words, 3 epochs) dev phoneme error rate per epoch: ${per.join(", ")}`);
  assert.deepEqual(Object.keys(r.history[0].scores!), [
    "train_score",
    "train_error",
    "dev_score",
    "dev_error",
  ]);
  assert.ok(per[2] < per[0] && per[2] < 0.9, `dev PER ${per}`);
});
