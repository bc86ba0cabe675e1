/**
 * Every name the README tells users to import exists in the entry point it names: the `import`
 * lines of its code blocks (`./mod.ts` is the package root) and the prose form
 * "`name(...)` from `@newbob/train/<area>`", with `@newbob/train/<area>` mapped through the
 * `exports` of deno.json. (`deno task test --doc` type-checks and runs the code blocks
 * themselves; this also covers the names the prose promises.)
 */
import { deepEqual, ok } from "node:assert/strict";

interface ImportPromise {
  /** The module specifier as the README writes it. */
  specifier: string;
  /** The values imported from it (type-only names are checked by `--doc`'s type check). */
  names: string[];
  /** Where in the README. */
  where: string;
}

/** The import promises of a README text. */
export function readmeImports(text: string): ImportPromise[] {
  const out: ImportPromise[] = [];
  const blocks = text.split("```");
  for (let i = 1; i < blocks.length; i += 2) {
    if (!/^(ts|typescript|js)\s*\n/.test(blocks[i])) continue;
    // The package's own entry points (`./mod.ts`, `@newbob/train/...`), not `node:` modules.
    for (
      const m of blocks[i].matchAll(/import\s*\{([^}]*)\}\s*from\s*"(\.\/[^"]+|@newbob\/[^"]+)"/g)
    ) {
      const names = m[1].split(",").map((n) => n.trim()).filter((n) => n && !n.startsWith("type "));
      out.push({ specifier: m[2], names, where: `code block ${(i + 1) / 2}` });
    }
  }
  for (const m of text.matchAll(/`(\w+)\([^`]*\)`\s+from\s+`(@newbob\/train[^`]*)`/g)) {
    out.push({ specifier: m[2], names: [m[1]], where: `prose: ${m[0]}` });
  }
  return out;
}

/** The file a README specifier names, through deno.json's `exports`. */
function entryPoint(specifier: string, exports: Record<string, string>): string {
  if (specifier.startsWith("./")) return specifier; // relative to the README: the repo root
  const sub = specifier.replace(/^@newbob\/train/, ".");
  const file = exports[sub];
  if (file === undefined) {
    throw new Error(`'${specifier}' is not an export of deno.json (${Object.keys(exports)})`);
  }
  return file;
}

Deno.test("readmeImports: code-block imports and the prose form", () => {
  const text = '```ts\nimport { a, type B } from "./mod.ts";\n```\n' +
    '```ts ignore\nimport { no } from "./x.ts";\n```\n' +
    "Call `newbobForFit(model, { optimizer })` from `@newbob/train/trainer` here.";
  deepEqual(readmeImports(text).map((p) => [p.specifier, p.names]), [
    ["./mod.ts", ["a"]],
    ["@newbob/train/trainer", ["newbobForFit"]],
  ]);
});

Deno.test("README: every import it documents is exported by the entry point it names", async () => {
  const readme = await Deno.readTextFile("README.md");
  const { exports } = JSON.parse(await Deno.readTextFile("deno.json"));
  const promises = readmeImports(readme);
  ok(promises.some((p) => p.specifier.startsWith("@newbob/train/")), "the prose form is found");
  const missing: string[] = [];
  for (const p of promises) {
    const file = entryPoint(p.specifier, exports);
    const mod = await import(new URL(`../${file}`, import.meta.url).href);
    for (const name of p.names) {
      if (!(name in mod)) missing.push(`${name} from ${p.specifier} (${file}; ${p.where})`);
    }
  }
  deepEqual(missing, []);
});
