import { equal, ok } from "node:assert/strict";
import { loadFixtureCases, runFixtureCase } from "../_optimizer_fixtures.ts";
import { expectedDeviation, flushedAdamTrajectory } from "./_subnormal_deviation.ts";

const cases = await loadFixtureCases();

Deno.test("subnormal deviation: the flush emulation is Adam itself where nothing is subnormal", async () => {
  const adam = cases.filter((c) =>
    c.optimizer.class === "adam" && !c.ftz_sensitive && !c.optimizer.params.maximize
  );
  ok(adam.length >= 5, `${adam.length} adam cases`);
  for (const c of adam) {
    const flushed = flushedAdamTrajectory(c);
    let k = 0;
    const r = await runFixtureCase(c, () => ({
      step: () => flushed[k++].map((a) => Float32Array.from(a)),
    }));
    equal(r.failures, 0, `${c.id}: ${r.messages.join("\n")}`);
  }
});

Deno.test("subnormal deviation: only the subnormal Adam case deviates, and really does", async () => {
  const deviating = [];
  for (const c of cases) {
    const d = await expectedDeviation(c);
    if (d) deviating.push([c.id, d.summary] as const);
  }
  equal(deviating.map(([id]) => id).join(), "adam_eps1e-16_subnormal_v");
  const [, summary] = deviating[0];
  // Flushing moves it far outside torch's tolerance (32 ε32), even with the FTZ replay's slack.
  ok(summary.driverHist > 100 && summary.elementStepsBeyondTolerance > 0, JSON.stringify(summary));
});
