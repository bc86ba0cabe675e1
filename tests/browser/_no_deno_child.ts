/**
 * Child of `browser_safe_test.ts`: removes `Deno` (and Node's `process`/`Buffer`) from the global
 * scope, as in a browser, then imports the module named by the first argument and prints a JSON
 * report: its export names, and what the learning-rate control and the CPU optimizer do there.
 * Any `Deno.*` reached while the module graph loads throws a ReferenceError here.
 *
 * @module
 */

const target = new URL(Deno.args[0], `file://${Deno.cwd()}/`).href;
for (const name of ["Deno", "process", "Buffer"]) {
  delete (globalThis as Record<string, unknown>)[name];
}

const report: Record<string, unknown> = {};
try {
  const m = await import(target);
  report.exports = Object.keys(m).sort();
  const control = await m.createLearningRateControl(
    { learning_rate_control: "newbob", learning_rate: 0.01 },
    { file: null },
  );
  control.setEpochError(1, { dev_score: 1 });
  report.controlText = control.toText();
  await m.createLearningRateControl({ learning_rate_file: "out/learning_rates" }).then(
    () => report.fileError = null,
    (e: Error) => report.fileError = e.message,
  );
  const opt = await m.createOptimizer({ class: "sgd" }, { backend: "cpu" });
  const state = await opt.init([new Float32Array([1])]);
  await opt.step(state, [new Float32Array([1])], { learningRate: 0.5 });
  report.sgd = Array.from((await opt.read(state))[0]);
} catch (e) {
  report.error = `${(e as Error)?.name}: ${(e as Error)?.message}`;
}
console.log(JSON.stringify(report));
