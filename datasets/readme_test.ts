import assert from "node:assert/strict";

Deno.test("the README's sequence-data example runs", async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const start = readme.indexOf("### Sequence data");
  assert.ok(start >= 0, "README section missing");
  const block = readme.slice(start).match(/```ts\n([\s\S]*?)```/);
  assert.ok(block, "README section has no ts block");
  const mod = new URL("../mod.ts", import.meta.url).href;
  const code = block[1].replaceAll('"./mod.ts"', JSON.stringify(mod));
  await Deno.mkdir(".tmp/datasets", { recursive: true });
  const path = await Deno.makeTempFile({ dir: ".tmp/datasets", prefix: "readme_", suffix: ".ts" });
  await Deno.writeTextFile(path, code);
  const failures: unknown[] = [];
  const assertOrig = console.assert;
  console.assert = (cond?: boolean, ...rest: unknown[]) => {
    if (!cond) failures.push(rest);
  };
  try {
    await import(new URL(path, `file://${Deno.cwd()}/`).href);
  } finally {
    console.assert = assertOrig;
    await Deno.remove(path);
  }
  assert.deepEqual(failures, []);
});
