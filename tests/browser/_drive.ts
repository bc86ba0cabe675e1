/**
 * The browser driver (run by `_browser.ts` in a child `deno run`): serves the project folder on
 * 127.0.0.1, launches headless Chromium with a fresh profile under `<outDir>`, runs one
 * scenario and prints its JSON report as the last line.
 *
 * Usage: `_drive.ts CHROMIUM OUT_DIR SCENARIO [ARGS...] [--mount=URL_PATH=FILE...]
 * [--not-isolated]`
 *
 * - `page URL_PATH GLOBAL TIMEOUT_S [webgpu|nowebgpu]`: open the page, wait for `window[GLOBAL]`
 *   and report it with the console.
 * - `web URL_PATH TIMEOUT_S [webgpu|nowebgpu]`: the web demo: press Train, wait until it
 *   finishes, download the learning-rate file, take a screenshot (`<outDir>/screenshot.png`).
 *
 * Pages are served cross-origin isolated (COOP/COEP, `SharedArrayBuffer` available) unless
 * `--not-isolated` is given.
 *
 * @module
 */

import { serveStatic } from "../../examples/web/serve.ts";
import { launchChromium, type Page } from "./_chromium.ts";

const [chromium, outDir, scenario, ...rest] = Deno.args;
/** `--mount=URL_PATH=FILE` arguments: files served at other paths (a built app.js). */
const mounts = Object.fromEntries(
  rest.filter((a) => a.startsWith("--mount=")).map((a) => a.slice(8).split("=", 2)),
);
const isolated = !rest.includes("--not-isolated");
const args = rest.filter((a) => !a.startsWith("--mount=") && a !== "--not-isolated");

async function web(page: Page, timeoutS: number) {
  await page.waitFor("window.__newbobWeb?.ready", 120_000);
  const t0 = Date.now();
  await page.evaluate("document.getElementById('train').click()");
  const done = await page.waitFor<{ ok: boolean; error?: string }>(
    "window.__newbobWeb.done",
    timeoutS * 1000,
  );
  const seconds = (Date.now() - t0) / 1000;
  const state = await page.evaluate<Record<string, unknown>>("window.__newbobWeb.summary()");
  let download: string | null = null;
  let downloadText: string | null = null;
  if (done.ok) {
    const dir = `${outDir}/downloads`;
    await Deno.mkdir(dir, { recursive: true });
    const { done: saved } = await page.expectDownload(await Deno.realPath(dir), 30_000);
    await page.evaluate("document.getElementById('download').click()");
    download = await saved;
    downloadText = await Deno.readTextFile(`${dir}/${download}`);
  }
  const png = await page.screenshot();
  await Deno.writeFile(`${outDir}/screenshot.png`, png);
  // A bad pasted config: the page shows the CLI's messages and trains nothing.
  const badConfig = await page.evaluate<string>(`(async () => {
    document.getElementById('config').value = '{"learning_rte": 0.01, "num_epochs": "3"}';
    document.getElementById('train').click();
    await new Promise((r) => setTimeout(r, 200));
    return document.getElementById('status').textContent;
  })()`);
  // A lost device (as after a driver reset): the page says what happened and what to do.
  let lostDevice: string | null = null;
  if (args.at(-1) !== "nowebgpu") {
    lostDevice = await page.evaluate<string>(`(async () => {
      window.__newbobWeb.loseDevice();
      await new Promise((r) => setTimeout(r, 500));
      return document.getElementById('status').textContent;
    })()`);
  }
  return {
    done,
    seconds,
    state,
    download,
    downloadText,
    badConfig,
    lostDevice,
    screenshot: "screenshot.png",
  };
}

const server = serveStatic({ root: ".", mounts, isolated });
const browser = await launchChromium({
  executable: chromium,
  userDataDir: await Deno.makeTempDir({ dir: outDir, prefix: "profile-" }),
  webgpu: args.at(-1) !== "nowebgpu",
});
let report: Record<string, unknown>;
try {
  const [path] = args;
  await browser.page.goto(`${server.origin}${path}`);
  if (scenario === "page") {
    const [, global, timeoutS] = args;
    const value = await browser.page.waitFor(
      `window[${JSON.stringify(global)}]`,
      Number(timeoutS) * 1000,
    );
    report = { value };
  } else if (scenario === "web") {
    report = await web(browser.page, Number(args[1]));
  } else throw new Error(`unknown scenario '${scenario}'`);
} catch (e) {
  report = { error: `${(e as Error).message}` };
} finally {
  await browser.close();
  await server.close();
}
report.console = browser.page.console.slice(-200);
console.log(JSON.stringify(report));
