/**
 * Least privilege: every task in deno.json and every documented command (cli.ts `PERMISSIONS`,
 * README) grants narrow, explicit permissions (no `-A`, no network, no bare `--allow-write`,
 * `--allow-env` only for named variables). The CLI then runs under exactly the documented
 * `train` flags with a hostile TypeScript config that tries to write outside the output folder,
 * reach the network, read other environment variables, run programs and read outside the
 * project: every attempt is denied, and training still writes its output folder.
 *
 * Subprocesses need `--allow-run` for the deno executable in the `test` task: it is granted for
 * exactly `Deno.execPath()` (computed by `deno eval` inside the task, since deno may live in an
 * npm cache in CI), never a bare `--allow-run`.
 *
 * @module
 */

import { deepEqual, equal, match } from "node:assert/strict";
import { join, resolve } from "node:path";
import { tempDir } from "./_gpu.ts";
import { tinyConfig } from "./_crash.ts";
import { PERMISSIONS } from "../cli.ts";

/** Problems with the permission flags of one command line. */
export function flagProblems(command: string): string[] {
  const problems: string[] = [];
  const flags = command.split(/\s+/).filter((w) => w.startsWith("-"));
  for (const f of flags) {
    if (f === "-A" || f === "--allow-all") problems.push(`${f} grants everything`);
    // The web demo's server and the browser tests' DevTools socket: loopback only.
    const loopback = /^--allow-net=127\.0\.0\.1(:\d+)?(,127\.0\.0\.1(:\d+)?)*$/.test(f);
    if (/^--allow-net\b/.test(f) && !loopback) {
      problems.push(`${f}: newbob needs no network (only 127.0.0.1, for the web demo)`);
    }
    // FFI only for the MPI ranks of a data-parallel run (docs/distributed.md).
    const mpiRank = /^--allow-ffi$/.test(f) && /\bmpirun(\.mpich)?\s/.test(command);
    if (/^--allow-(ffi|sys|import)\b/.test(f) && !mpiRank) problems.push(`${f} is not needed`);
    if (/^--allow-(read|write|env|run)$/.test(f)) problems.push(`${f} without a list is too broad`);
    if (/^--allow-write=(\.|\/|~)?$/.test(f)) problems.push(`${f} lets it write anywhere`);
    if (/^--allow-env=.*\*/.test(f)) problems.push(`${f}: name the variables`);
    if (/^-[a-zA-Z]*A/.test(f) && !f.startsWith("--")) problems.push(`${f} includes -A`);
  }
  return problems;
}

Deno.test("privilege: every task and documented command has narrow, explicit flags", async () => {
  const deno = JSON.parse(await Deno.readTextFile("deno.json"));
  const commands: [string, string][] = [];
  for (const [name, task] of Object.entries(deno.tasks as Record<string, string>)) {
    for (const part of task.split(/&&|;|\|\|/)) {
      if (/\bdeno (run|test|bench|serve|compile)\b/.test(part)) {
        commands.push([`task ${name}`, part]);
      }
    }
  }
  for (const [name, flags] of Object.entries(PERMISSIONS)) {
    commands.push([`cli.ts ${name} (PERMISSIONS)`, flags]);
  }
  const readme = await Deno.readTextFile("README.md").catch(() => "");
  for (const m of readme.matchAll(/(?:mpirun\S* -np \d+ )?deno (?:run|test)[^\n`|]*/g)) {
    commands.push(["README", m[0]]);
  }
  // Flag lists in the README's command table (a lone `--allow-write` in prose is no command).
  for (const m of readme.matchAll(/`(--allow-[a-z]+=[^`]*)`/g)) {
    commands.push(["README table", m[1]]);
  }
  const problems = commands.flatMap(([where, c]) =>
    flagProblems(c).map((p) => `${where}: ${p} in: ${c.trim()}`)
  );
  deepEqual(problems, []);
  equal(commands.some(([w]) => w === "task test"), true);
  // The test task runs only the deno executable, never any program.
  match(
    deno.tasks.test,
    /--allow-run="\$\(deno eval --no-config 'console\.log\(Deno\.execPath\(\)\)'\)"/,
  );
  // The tasks that train write only their output folder.
  match(deno.tasks.train, /--allow-write=out(\s|$)/);
  match(PERMISSIONS.train, /--allow-write=out(\s|$)/);
});

const HOSTILE_CONFIG = (outside: string, tiny: Record<string, unknown>) => `
// A config module is code; the sandbox is what keeps it in its place.
const probe = async (name: string, f: () => unknown) => {
  try {
    await f();
    console.log("PROBE " + name + " ALLOWED");
  } catch (e) {
    // fetch wraps the denial in a TypeError; the message names the missing permission.
    const denied = e instanceof Deno.errors.NotCapable ||
      /Requires [a-z]+ access/.test(String((e as Error).message));
    console.log("PROBE " + name + " " + (denied ? "denied" : (e as Error).name));
  }
};
await probe("write-outside", () => Deno.writeTextFile(${JSON.stringify(outside)}, "x"));
await probe("write-project", () => Deno.writeTextFile("pwned.txt", "x"));
await probe("net", () => fetch("http://127.0.0.1:8123/"));
await probe("net-https", () => fetch("https://example.com/"));
await probe("net-listen", () => Deno.listen({ port: 0 }).close());
await probe("net-dns", () => Deno.resolveDns("example.com", "A"));
await probe("env-home", () => Deno.env.get("HOME"));
await probe("env-all", () => Deno.env.toObject());
await probe("run", () => new Deno.Command("sh", { args: ["-c", "true"] }).output());
await probe("read-outside", () => Deno.readTextFile("/etc/passwd"));
await probe("ffi", () => Deno.dlopen("libc.so.6", {}));
export default ${JSON.stringify(tiny)};
`;

Deno.test("privilege: the CLI under the documented train flags: only the output folder is writable", async () => {
  const dir = await tempDir("priv-");
  try {
    const out = join(dir, "out");
    const outside = join(dir, "outside.txt");
    const config = join(dir, "hostile.config.ts");
    await Deno.writeTextFile(config, HOSTILE_CONFIG(outside, tinyConfig(1)));
    // Exactly the documented flags, with the output folder named in --allow-write.
    const flags = PERMISSIONS.train.replace("--allow-write=out", `--allow-write=${out}`).split(" ");
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...flags, "cli.ts", "train", config, "--output-dir", out],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(r.stdout);
    const stderr = new TextDecoder().decode(r.stderr);
    equal(r.code, 0, stderr);
    const probes = Object.fromEntries(
      [...stdout.matchAll(/^PROBE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]),
    );
    deepEqual(probes, {
      "write-outside": "denied",
      "write-project": "denied",
      "net": "denied",
      "net-https": "denied",
      "net-listen": "denied",
      "net-dns": "denied",
      "env-home": "denied",
      "env-all": "denied",
      "run": "denied",
      "read-outside": "denied",
      "ffi": "denied",
    });
    await Deno.stat(join(out, "learning_rates"));
    await Deno.stat(join(out, "checkpoint.nbck"));
    for (const p of [outside, "pwned.txt"]) {
      equal(await Deno.stat(p).then(() => true, () => false), false, `${p} was written`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("privilege: an output folder outside --allow-write: clear error, nothing written", async () => {
  const dir = await tempDir("priv-");
  try {
    const allowed = join(dir, "allowed");
    const other = join(dir, "other");
    const config = join(dir, "job.json");
    await Deno.writeTextFile(config, JSON.stringify(tinyConfig(1)));
    const flags = PERMISSIONS.train.replace("--allow-write=out", `--allow-write=${allowed}`);
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...flags.split(" "), "cli.ts", "train", config, "--output-dir", other],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(r.stderr);
    equal(r.code, 1, stderr);
    match(stderr, new RegExp(`Requires write access to "${resolve(other)}|${other}`));
    match(stderr, /least privilege/);
    equal(/\n\s+at /.test(stderr), false, `a stack trace was printed:\n${stderr}`);
    equal(await Deno.stat(other).then(() => true, () => false), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("privilege: 'info' and 'lr' run under their documented flags (lr --plot writes only its folder)", async () => {
  const dir = await tempDir("priv-");
  try {
    const run = async (flags: string, ...args: string[]) => {
      const r = await new Deno.Command(Deno.execPath(), {
        args: ["run", ...flags.split(" "), "cli.ts", ...args],
        stdout: "piped",
        stderr: "piped",
      }).output();
      return { code: r.code, stderr: new TextDecoder().decode(r.stderr) };
    };
    const info = await run(PERMISSIONS.info, "info");
    equal(info.code, 0, info.stderr);
    equal(/Requires|NotCapable/.test(info.stderr), false, info.stderr);
    // An lr file and its config, then lr read-only, and lr --plot with write for its folder only.
    const file = join(dir, "learning_rates");
    await Deno.writeTextFile(
      file,
      "{\n1: EpochData(learningRate=0.01, error={'dev_score': 1.5}),\n" +
        "2: EpochData(learningRate=0.01, error={'dev_score': 1.2}),\n}\n",
    );
    const config = join(dir, "c.json");
    await Deno.writeTextFile(config, JSON.stringify({ learning_rate: 0.01 }));
    // PERMISSIONS.lr: "--allow-read=. --allow-write=<folder of --plot, only with --plot>"
    const readOnly = PERMISSIONS.lr.replace(/\s*--allow-write=<[^>]*>/, "");
    const lr = await run(readOnly, "lr", "--config", config, "--file", file, "--check");
    equal(lr.code, 0, lr.stderr);
    const plots = join(dir, "plots");
    await Deno.mkdir(plots);
    const plotFlags = PERMISSIONS.lr.replace(/--allow-write=<[^>]*>/, `--allow-write=${plots}`);
    const svg = join(plots, "lr.svg");
    const plotted = await run(plotFlags, "lr", "--config", config, "--file", file, "--plot", svg);
    equal(plotted.code, 0, plotted.stderr);
    await Deno.stat(svg);
    // --plot outside the granted folder is refused with the permission named.
    const denied = await run(
      readOnly,
      "lr",
      "--config",
      config,
      "--file",
      file,
      "--plot",
      join(dir, "x.svg"),
    );
    equal(denied.code === 0, false);
    match(denied.stderr, /write access|least privilege/);
    equal(await Deno.stat(join(dir, "x.svg")).then(() => true, () => false), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
