/**
 * The root export loads in a browser: its static module graph (`deno info --json mod.ts`, every
 * import that is not an `import()`) has no `node:` or `npm:` module and none of the Deno file
 * modules, and importing it with `Deno` removed from the global scope works (no `Deno.*` at
 * import time); `deno bundle --platform browser` (the `bundle` task) makes one ES module
 * exporting exactly what `mod.ts` exports, which loads there too.
 *
 * @module
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { tempDir } from "./_gpu.ts";

interface InfoModule {
  specifier: string;
  kind?: string;
  dependencies?: { specifier: string; code?: { specifier?: string }; isDynamic?: boolean }[];
}

/** Modules only Deno can run: they may be reached by `import()`, never statically. */
const DENO_ONLY = ["/_util/atomic_write.ts", "/control/lr_file_io.ts"];

async function run(args: string[]): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(out.stdout);
  equal(out.code, 0, `deno ${args.join(" ")} failed:\n${new TextDecoder().decode(out.stderr)}`);
  return text;
}

/** The static closure of a module graph (specifiers reached without `import()`). */
function staticClosure(root: string, modules: InfoModule[]): Set<string> {
  const bySpecifier = new Map(modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const todo = [root];
  while (todo.length > 0) {
    const s = todo.pop()!;
    if (seen.has(s)) continue;
    seen.add(s);
    for (const d of bySpecifier.get(s)?.dependencies ?? []) {
      const code = d.code?.specifier;
      if (code !== undefined && !d.isDynamic) todo.push(code);
    }
  }
  return seen;
}

Deno.test("browser-safe: the static graph of mod.ts has no node:, npm: or Deno file module", async () => {
  const info = JSON.parse(await run(["info", "--json", "mod.ts"])) as {
    roots: string[];
    modules: InfoModule[];
  };
  const reached = [...staticClosure(info.roots[0], info.modules)];
  ok(reached.some((s) => s.endsWith("/control/learning_rate_control.ts")), "graph not walked");
  deepEqual(
    reached.filter((s) =>
      s.startsWith("node:") || s.startsWith("npm:") || DENO_ONLY.some((f) => s.endsWith(f))
    ),
    [],
  );
  // The walk sees dynamic imports (so the check above can fail): the file module is one.
  const all = info.modules.map((m) => m.specifier);
  ok(all.some((s) => s.endsWith("/control/lr_file_io.ts")), "lr_file_io.ts is not in the graph");
});

async function importWithoutDeno(path: string) {
  const text = await run(["run", "--allow-read=.", "tests/browser/_no_deno_child.ts", path]);
  return JSON.parse(text.trim().split("\n").at(-1)!) as {
    exports?: string[];
    controlText?: string;
    fileError?: string | null;
    sgd?: number[];
    error?: string;
  };
}

Deno.test("browser-safe: mod.ts imports and runs with no Deno global", async () => {
  const r = await importWithoutDeno("mod.ts");
  equal(r.error, undefined);
  equal(r.controlText, "{\n1: EpochData(learningRate=0.01, error={'dev_score': 1.0}),\n}\n");
  match(r.fileError ?? "", /learning-rate file 'out\/learning_rates': this runtime has no file/);
  deepEqual(r.sgd, [0.5]);
});

Deno.test("browser-safe: deno bundle --platform browser gives one module with mod.ts's exports", async () => {
  const dir = await tempDir("bundle-");
  const out = join(dir, "newbob.js");
  const task = JSON.parse(await Deno.readTextFile("deno.json")).tasks.bundle as string;
  // The task's own flags, with the output redirected into .tmp/.
  const args = task.replace(/^deno /, "").split(/\s+/).map((a) => a === "dist/newbob.js" ? out : a);
  await run(args);
  const text = await Deno.readTextFile(out);
  // No static import left (a browser could not resolve `node:` or npm specifiers).
  deepEqual(text.match(/^\s*import(\s+[\w{*]|\s*["']).*$/gm), null);
  const bundled = await importWithoutDeno(out);
  equal(bundled.error, undefined);
  const source = Object.keys(await import("../mod.ts")).sort();
  deepEqual(bundled.exports, source);
  ok(source.includes("createOptimizer") && source.includes("createLearningRateControl"));
  await Deno.remove(dir, { recursive: true });
});
