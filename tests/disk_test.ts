/**
 * Disk faults: the output folder fills up (ENOSPC) during the learning-rate-file save or the
 * checkpoint save, turns read-only, or disappears. Each gives a clear error naming the file (or
 * the run carries on), the previous files stay intact and parse, and running again resumes to
 * the same result as an undisturbed run.
 *
 * @module
 */

import { equal, match, notEqual, rejects } from "node:assert/strict";
import { join } from "node:path";
import { tempDir } from "./_gpu.ts";
import { tinyConfig } from "./_crash.ts";
import { trainWithHooks } from "./_train_hooks.ts";
import { installWriteShim } from "./_write_shim.ts";
import { parseLearningRateFile } from "../control/lr_file.ts";
import { decodeCheckpoint } from "../trainer/checkpoint.ts";
import { defaultDeps } from "../trainer/wiring.ts";

const CONFIG = tinyConfig(3);

interface Snapshot {
  lr: string;
  ck: Uint8Array;
}

async function snapshot(out: string): Promise<Snapshot> {
  return {
    lr: await Deno.readTextFile(join(out, "learning_rates")),
    ck: await Deno.readFile(join(out, "checkpoint.nbck")),
  };
}

function assertIntact(now: Snapshot, before: Snapshot, out: string): void {
  equal(now.lr, before.lr, "the learning-rate file changed");
  equal(now.ck.length, before.ck.length, "the checkpoint changed");
  equal(now.ck.every((b, i) => b === before.ck[i]), true, "the checkpoint changed");
  parseLearningRateFile(now.lr, join(out, "learning_rates"));
  decodeCheckpoint(now.ck, join(out, "checkpoint.nbck"));
}

let referenceCache: Snapshot | undefined;
async function reference(dir: string): Promise<Snapshot> {
  if (!referenceCache) {
    const out = join(dir, "reference");
    await trainWithHooks(CONFIG, out);
    referenceCache = await snapshot(out);
  }
  return referenceCache;
}

/**
 * Fail writes under the output folder from the given save of epoch 2 on; check the error and
 * that the files are those before the failing save; then run again and compare with the
 * reference.
 */
async function faultAt(
  where: "saveLr" | "saveCheckpoint",
  fault: "full" | "readonly",
  errorPattern: RegExp,
): Promise<void> {
  const dir = await tempDir("disk-");
  const shim = installWriteShim(join(dir, "out"));
  try {
    const ref = await reference(dir);
    const out = join(dir, "out");
    let before: Snapshot | undefined;
    const arm = async () => {
      before = await snapshot(out);
      shim.arm(fault);
    };
    await rejects(
      trainWithHooks(CONFIG, out, {
        // saveLr 3 = after epoch 2's training pass; saveCheckpoint 2 = end of epoch 2.
        saveLr: (n) => where === "saveLr" && n === 3 ? arm() : undefined,
        saveCheckpoint: (n) => where === "saveCheckpoint" && n === 2 ? arm() : undefined,
      }),
      (e: Error) => {
        match(e.message, errorPattern);
        return true;
      },
    );
    notEqual(shim.faults, 0);
    shim.disarm();
    assertIntact(await snapshot(out), before!, out);
    for (const tmp of ["learning_rates.new_tmp", "checkpoint.nbck.tmp"]) {
      await rejects(Deno.stat(join(out, tmp)), Deno.errors.NotFound, `${tmp} was left behind`);
    }
    // The fault is gone: the same command resumes and ends where an undisturbed run ends.
    await trainWithHooks(CONFIG, out);
    const after = await snapshot(out);
    equal(after.lr, ref.lr);
    equal(after.ck.every((b, i) => b === ref.ck[i]) && after.ck.length === ref.ck.length, true);
  } finally {
    shim.restore();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("disk: full during the learning-rate-file save: clear error, files intact, resumes", async () => {
  await faultAt(
    "saveLr",
    "full",
    /Cannot save the file '.*learning_rates': No space left.*unchanged.*run the same command again/s,
  );
});

Deno.test("disk: full during the checkpoint save: clear error, files intact, resumes", async () => {
  await faultAt(
    "saveCheckpoint",
    "full",
    /Cannot save the checkpoint '.*checkpoint\.nbck': No space left.*unchanged/s,
  );
});

Deno.test("disk: output folder read-only: clear error, files intact, resumes", async () => {
  await faultAt(
    "saveLr",
    "readonly",
    /Cannot save the file '.*learning_rates': Permission denied.*make the folder writable/s,
  );
});

Deno.test("disk: output folder read-only for real (chmod 0555, skipped as root)", async (t) => {
  const dir = await tempDir("disk-ro-");
  const out = join(dir, "out");
  try {
    await trainWithHooks({ ...CONFIG, num_epochs: 1 }, out);
    const before = await snapshot(out);
    await Deno.chmod(out, 0o555);
    let writable = true;
    try {
      await Deno.writeTextFile(join(out, "probe"), "x");
      await Deno.remove(join(out, "probe"));
    } catch {
      writable = false;
    }
    if (writable) {
      t.step({
        name: "running as root: permission bits do not stop writes",
        ignore: true,
        fn() {},
      });
      return;
    }
    await rejects(
      trainWithHooks({ ...CONFIG, num_epochs: 2 }, out),
      (e: Error) => /learning_rates|checkpoint/.test(e.message) && /[Pp]ermission/.test(e.message),
    );
    assertIntact(await snapshot(out), before, out);
  } finally {
    await Deno.chmod(out, 0o755).catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("disk: output folder disappears mid-run: recreated, nothing lost", async () => {
  const dir = await tempDir("disk-gone-");
  try {
    const ref = await reference(dir);
    const out = join(dir, "out");
    await trainWithHooks(CONFIG, out, {
      eval: async (n) => {
        if (n === 3) await Deno.remove(out, { recursive: true }); // during epoch 2
      },
    });
    const after = await snapshot(out);
    equal(after.lr, ref.lr);
    equal(after.ck.every((b, i) => b === ref.ck[i]) && after.ck.length === ref.ck.length, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("disk: output folder replaced by a file: clear error naming it", async () => {
  const dir = await tempDir("disk-file-");
  try {
    const out = join(dir, "out");
    await rejects(
      trainWithHooks(CONFIG, out, {
        eval: async (n) => {
          if (n === 3) {
            await Deno.remove(out, { recursive: true });
            await Deno.writeTextFile(out, "not a folder");
          }
        },
      }),
      (e: Error) => e.message.includes(out),
    );
    equal(await Deno.readTextFile(out), "not a folder");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("disk: the CLI reports a failed save in one clear line, exit 1, files intact", async () => {
  const dir = await tempDir("disk-cli-");
  try {
    const out = join(dir, "out");
    const cli = async (epochs: number) => {
      const config = join(dir, `job${epochs}.json`);
      await Deno.writeTextFile(config, JSON.stringify({ ...CONFIG, num_epochs: epochs }));
      return await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-read=.",
          `--allow-write=${out}`,
          "cli.ts",
          "train",
          config,
          "--output-dir",
          out,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
    };
    equal((await cli(1)).code, 0);
    const before = await snapshot(out);
    // A real OS error on the next save: its temporary file's name is taken by a folder.
    await Deno.mkdir(join(out, "learning_rates.new_tmp", "taken"), { recursive: true });
    const r = await cli(2);
    const stderr = new TextDecoder().decode(r.stderr);
    equal(r.code, 1, stderr);
    match(stderr, /^SaveError: Cannot save the file '.*learning_rates': .*unchanged/m);
    equal(/\n\s+at /.test(stderr), false, `a stack trace was printed:\n${stderr}`);
    assertIntact(await snapshot(out), before, out);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("disk: full during the plot save: SaveError naming the plot, files intact", async () => {
  const dir = await tempDir("disk-plot-");
  const out = join(dir, "out");
  const shim = installWriteShim(out);
  try {
    const { plot } = await defaultDeps();
    let before: Snapshot | undefined;
    let plots = 0;
    await rejects(
      trainWithHooks(CONFIG, out, {}, {
        async plot(path, history) {
          if (++plots === 2) { // epoch 2
            before = await snapshot(out);
            shim.arm("full");
          }
          await plot(path, history);
        },
      }),
      (e: Error) => {
        match(e.message, /Cannot save the plot '.*learning_rates\.svg': No space left/);
        return true;
      },
    );
    shim.disarm();
    assertIntact(await snapshot(out), before!, out);
    await rejects(Deno.stat(join(out, "learning_rates.svg.tmp")), Deno.errors.NotFound);
  } finally {
    shim.restore();
    await Deno.remove(dir, { recursive: true });
  }
});
