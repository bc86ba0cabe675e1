/**
 * Test helper process: runs `mpirun.mpich` for the MPI tests, which may only spawn the deno
 * binary. The test starts this script as `deno run --allow-run=mpirun.mpich
 * --allow-env=NEWBOB_REQUIRE_MPI launch.ts SPEC` and reads one JSON line from its stdout.
 *
 * SPEC (JSON): `{ "probe": true }` answers whether `mpirun.mpich` exists; otherwise
 * `{ "np", "args", "timeoutMs" }` runs `mpirun.mpich -np NP ...args` and reports its status,
 * output and duration (killing it after `timeoutMs`: a hang is reported, never waited on).
 *
 * @module
 */

const spec = JSON.parse(Deno.args[0] ?? "{}") as {
  probe?: boolean;
  np?: number;
  args?: string[];
  timeoutMs?: number;
};
const required = Deno.env.get("NEWBOB_REQUIRE_MPI") === "1";

if (spec.probe) {
  let available = false;
  let why = "";
  try {
    const r = await new Deno.Command("mpirun.mpich", {
      args: ["--version"],
      stdout: "piped",
      stderr: "piped",
    })
      .output();
    available = r.success;
    why = available
      ? new TextDecoder().decode(r.stdout).split("\n").find((l) => /version/i.test(l)) ?? ""
      : "mpirun.mpich --version failed";
  } catch (e) {
    why = (e as Error).message;
  }
  console.log(JSON.stringify({ available, required, why: why.trim() }));
  Deno.exit(0);
}

const start = performance.now();
const child = new Deno.Command("mpirun.mpich", {
  args: ["-np", String(spec.np ?? 2), ...(spec.args ?? [])],
  stdout: "piped",
  stderr: "piped",
}).spawn();
let timedOut = false;
const kill = (signal: Deno.Signal) => {
  try {
    child.kill(signal);
  } catch { /* already gone */ }
};
let hard: ReturnType<typeof setTimeout> | undefined;
// SIGINT first: mpirun then stops its ranks; SIGKILL if it does not.
const timer = setTimeout(() => {
  timedOut = true;
  kill("SIGINT");
  hard = setTimeout(() => kill("SIGKILL"), 3000);
}, spec.timeoutMs ?? 120_000);
const [status, out, err] = await Promise.all([
  child.status,
  new Response(child.stdout).text(),
  new Response(child.stderr).text(),
]);
clearTimeout(timer);
clearTimeout(hard);
console.log(JSON.stringify({
  code: status.code,
  signal: status.signal,
  timedOut,
  ms: Math.round(performance.now() - start),
  stdout: out,
  stderr: err,
}));
