/**
 * Test-side helpers of the browser tests: the Chromium gate (tests are registered as ignored,
 * loudly, when no Chromium is installed), bundling for the browser, and running a scenario of
 * `_drive.ts` in a child `deno run` that holds exactly the extra permissions a browser test
 * needs (`--allow-net=127.0.0.1` for the page's server and Chromium's DevTools socket,
 * `--allow-run=<chromium>`), so that the test task itself needs none of them.
 *
 * @module
 */

import { CHROMIUM_PATHS } from "./_chromium.ts";

async function _deno(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "piped" })
    .output();
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
}

const _found = await _deno([
  "run",
  `--allow-read=${CHROMIUM_PATHS.join(",")}`,
  new URL("./_find_chromium.ts", import.meta.url).pathname,
]);

/** The Chromium binary, or `undefined` when none is installed. */
export const chromium: string | undefined = _found.stdout.trim() || undefined;

let _warned = false;

/** Register a test that needs Chromium (ignored with a loud notice when it is absent). */
export function browserTest(name: string, fn: (chromium: string) => Promise<void>): void {
  if (chromium === undefined) {
    if (!_warned) {
      _warned = true;
      console.warn(
        "\n!!! No Chromium: browser tests are SKIPPED (install Debian's `chromium`: " +
          "apt-get install -y chromium; .ci/run does).\n",
      );
    }
    Deno.test({ name: `[browser] ${name}`, ignore: true, fn: () => {} });
    return;
  }
  const path = chromium;
  Deno.test({ name: `[browser] ${name}`, fn: () => fn(path) });
}

/**
 * Bundle a module for the browser (`deno bundle --platform browser`).
 *
 * @param entry The entry module (project-relative).
 * @param out The output file (under `.tmp/`).
 */
export async function bundle(entry: string, out: string, extra: string[] = []): Promise<void> {
  const r = await _deno(["bundle", "--platform", "browser", ...extra, "-o", out, entry]);
  if (r.code !== 0) throw new Error(`deno bundle ${entry} failed:\n${r.stderr}`);
}

/**
 * Run a scenario of `_drive.ts` in headless Chromium and return its JSON report.
 *
 * @param chromiumPath The binary.
 * @param scenario The scenario's name and its arguments.
 * @param outDir A folder under `.tmp/` for the profile, downloads and screenshots.
 */
export async function drive<T>(
  chromiumPath: string,
  scenario: string[],
  outDir: string,
): Promise<T> {
  const r = await _deno([
    "run",
    `--allow-read=.,${chromiumPath}`,
    "--allow-write=.tmp",
    "--allow-net=127.0.0.1",
    `--allow-run=${chromiumPath}`,
    new URL("./_drive.ts", import.meta.url).pathname,
    chromiumPath,
    outDir,
    ...scenario,
  ]);
  const last = r.stdout.trim().split("\n").at(-1) ?? "";
  if (r.code !== 0 || !last.startsWith("{")) {
    throw new Error(`the browser driver failed (status ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  return JSON.parse(last) as T;
}
