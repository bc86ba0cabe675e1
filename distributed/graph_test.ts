import { deepEqual, ok } from "node:assert/strict";

/** The modules `deno info` lists for an entry point (local files only). */
async function localModules(entry: string): Promise<string[]> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const info = JSON.parse(new TextDecoder().decode(r.stdout)) as {
    modules: { specifier: string }[];
  };
  const root = new URL("../", import.meta.url).href;
  return info.modules.map((m) => m.specifier).filter((s) => s.startsWith(root))
    .map((s) => s.slice(root.length));
}

Deno.test("graph: the root module loads only distributed/'s pure config parser", async () => {
  const root = await localModules("mod.ts");
  // The trainer's config validation (reached through the root's types) parses the keys; the
  // communicators, MPI and the launcher are loaded only by a distributed run (dynamic imports).
  deepEqual(root.filter((m) => m.startsWith("distributed/")), ["distributed/config.ts"]);
  // What the trainer's config validation imports: no MPI binding, no launcher.
  const config = await localModules("distributed/config.ts");
  deepEqual(config.filter((m) => m.startsWith("distributed/")), ["distributed/config.ts"]);
  // init.ts loads the MPI binding only on demand (a dynamic import).
  const init = await localModules("distributed/init.ts");
  ok(init.includes("distributed/single.ts"));
});
