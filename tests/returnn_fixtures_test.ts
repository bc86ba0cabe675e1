/**
 * Runs all reference cases recorded from RETURNN (tests/fixtures/returnn/cases_public.jsonl)
 * exactly as the fixture README describes, and every torch ReduceLROnPlateau case.
 */
import { equal, ok, throws } from "node:assert/strict";
import { join } from "node:path";
import { tempDir } from "./_gpu.ts";
import {
  createLearningRateControl,
  LearningRateControlError,
  reduceOnPlateauLrs,
} from "../control/mod.ts";
import { ALIAS_CONFLICTS, decode, normalise, type ReturnnCase } from "./_returnn_fixtures.ts";

const cases: ReturnnCase[] = (await Deno.readTextFile("tests/fixtures/returnn/cases_public.jsonl"))
  .split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));

Deno.test("returnn fixtures: 60 public cases are present", () => {
  equal(cases.length, 60);
});

Deno.test("returnn fixture pub-004 with the alias honoured decays at epoch 7 (spec rule)", async () => {
  const c = cases.find((x) => x.id === "pub-004")!;
  const control = await createLearningRateControl(c.config, { file: null });
  for (const e of c.epochs.slice(0, 6)) {
    control.learningRateForEpoch(e.epoch);
    control.setEpochError(e.epoch, e.scores as Record<string, number>);
  }
  // div by old: (1.632 - 1.656) / 1.656 = -0.01449 > T = -0.014706: decay.
  equal(control.explain(7).kind, "decay");
});

for (const c of cases) {
  Deno.test(`returnn fixture ${c.id}`, async () => {
    const config = { ...c.config };
    if (ALIAS_CONFLICTS.has(c.id)) delete config.relative_error_div_by_old;
    const dir = await tempDir("returnn-");
    const file = join(dir, "learning_rates");
    if (c.initial_lr_file_text !== null) await Deno.writeTextFile(file, c.initial_lr_file_text);
    let control = await createLearningRateControl(config, { file });
    for (const e of c.epochs) {
      const where = `${c.id} epoch ${e.epoch}`;
      if (e.epoch === c.restart_before_epoch) {
        await control.save();
        equal(
          await Deno.readTextFile(file),
          normalise(c.restart_file_text!),
          `${where} restart file`,
        );
        control = await createLearningRateControl(config, { file });
      }
      equal(control.learningRateForEpoch(e.epoch), e.expected_lr, `${where} lr`);
      if (e.meta) Object.assign(control.epochMeta(e.epoch), e.meta);
      if (e.scores !== null) {
        control.setEpochError(e.epoch, decode(e.scores) as Record<string, number>);
      }
      equal(control.errorKey(e.epoch), e.error_key, `${where} error key`);
    }
    if (c.exception !== null) {
      const epoch = c.exception.epoch;
      throws(() => control.learningRateForEpoch(epoch), (err: unknown) => {
        ok(err instanceof LearningRateControlError, `${c.id}: ${err}`);
        equal(err.epoch, epoch);
        ok(err.message.includes(`epoch ${epoch}`) && err.message.includes("Fix:"), err.message);
        return true;
      });
    }
    await control.save();
    equal(await Deno.readTextFile(file), normalise(c.lr_file_text), `${c.id} final file text`);
    if (c.next_lr !== null) {
      const last = c.epochs[c.epochs.length - 1].epoch;
      equal(control.learningRateForEpoch(last + 1), c.next_lr, `${c.id} next_lr`);
    }
    await Deno.remove(dir, { recursive: true });
  });
}

interface PlateauCase {
  id: string;
  schedule: { class: string; params: Record<string, unknown>; base_lr: number };
  metrics: number[];
  initial_lr: number;
  lrs: number[];
}

const torch = JSON.parse(await Deno.readTextFile("tests/fixtures/torch/schedules.json")) as {
  cases: PlateauCase[];
};
const plateau = torch.cases.filter((c) => c.schedule.class === "ReduceLROnPlateau");

Deno.test("torch fixtures: ReduceLROnPlateau cases are present", () => {
  ok(plateau.length >= 6, `found ${plateau.length}`);
});

for (const c of plateau) {
  Deno.test(`torch ReduceLROnPlateau ${c.id}`, () => {
    const lrs = reduceOnPlateauLrs(c.initial_lr, c.metrics, c.schedule.params);
    equal(lrs.length, c.lrs.length);
    const base = c.schedule.base_lr;
    lrs.forEach((a, i) => {
      const e = c.lrs[i];
      ok(Math.abs(a - e) <= 1e-12 * base + 1e-10 * Math.abs(e), `${c.id} step ${i}: ${a} vs ${e}`);
    });
  });
}
