import { equal, rejects } from "node:assert/strict";
import { join } from "node:path";
import { tempDir } from "../tests/_gpu.ts";
import { writeTextFileAtomic } from "./atomic_write.ts";

Deno.test("writeTextFileAtomic: creates the folder, replaces the file, leaves no temp file", async () => {
  const dir = await tempDir("atomic-");
  const file = join(dir, "sub", "deeper", "learning_rates");
  await writeTextFileAtomic(file, "{}\n");
  await writeTextFileAtomic(file, "{\n}\n");
  equal(await Deno.readTextFile(file), "{\n}\n");
  await rejects(() => Deno.stat(file + ".new_tmp"), Deno.errors.NotFound);
  await Deno.remove(dir, { recursive: true });
});
