/**
 * Headless Chromium driven over the DevTools protocol (CDP, a WebSocket on 127.0.0.1), for the
 * browser tests and the browser bench. Chromium's exit code says nothing about the page, so
 * results are read from the page with `Runtime.evaluate`, and its console is collected.
 *
 * Needs `--allow-run=<chromium>`, `--allow-net=127.0.0.1`, `--allow-read` of the chromium
 * binary and `--allow-write` of the profile folder.
 *
 * @module
 */

/** Where Debian and others install Chromium (the binary itself first, not the wrapper script). */
export const CHROMIUM_PATHS: readonly string[] = [
  "/usr/lib/chromium/chromium",
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
];

/** The first Chromium found, or `undefined`. */
export async function findChromium(): Promise<string | undefined> {
  for (const path of CHROMIUM_PATHS) {
    try {
      if ((await Deno.stat(path)).isFile) return path;
    } catch {
      // not there (or not readable): try the next
    }
  }
  return undefined;
}

/** Options of {@linkcode launchChromium}. */
export interface LaunchOptions {
  /** The Chromium binary. */
  executable: string;
  /** A new, empty profile folder. */
  userDataDir: string;
  /** Pass `--enable-unsafe-webgpu` (without it headless Chromium has no WebGPU adapter). */
  webgpu: boolean;
  /** Window size. @default [1200, 900] */
  size?: [number, number];
}

/** One console line or uncaught exception of the page. */
export interface ConsoleLine {
  type: string;
  text: string;
}

/** A page in the launched browser. */
export interface Page {
  /** Console lines and uncaught exceptions so far. */
  readonly console: ConsoleLine[];
  /** Navigate and wait for the load event. */
  goto(url: string, timeoutMs?: number): Promise<void>;
  /** Evaluate an expression in the page (promises awaited) and return its JSON value. */
  evaluate<T>(expression: string, timeoutMs?: number): Promise<T>;
  /** Poll `expression` until it is truthy; returns its value. */
  waitFor<T>(expression: string, timeoutMs: number): Promise<T>;
  /** A PNG of the viewport. */
  screenshot(): Promise<Uint8Array>;
  /**
   * Save downloads into `dir`; `done` resolves the next download's file name once it is
   * complete.
   */
  expectDownload(dir: string, timeoutMs: number): Promise<{ done: Promise<string> }>;
}

/** A launched browser. */
export interface Browser {
  readonly page: Page;
  /** Close the connection and end the Chromium process. */
  close(): Promise<void>;
}

interface Pending {
  resolve(v: Record<string, unknown>): void;
  reject(e: Error): void;
}

/**
 * Launch headless Chromium with a fresh profile and open one page (about:blank).
 *
 * @param options The binary, the profile folder, WebGPU or not.
 * @returns The browser with its page.
 * @throws {Error} If Chromium does not start or expose its DevTools port within 60 s.
 */
export async function launchChromium(options: LaunchOptions): Promise<Browser> {
  const [w, h] = options.size ?? [1200, 900];
  const args = [
    "--headless=new",
    "--no-sandbox",
    ...(options.webgpu ? ["--enable-unsafe-webgpu"] : []),
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--no-first-run",
    "--no-default-browser-check",
    "--hide-scrollbars",
    `--window-size=${w},${h}`,
    `--user-data-dir=${options.userDataDir}`,
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
    "about:blank",
  ];
  const child = new Deno.Command(options.executable, {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr: string[] = [];
  const drain = (async () => {
    const decoder = new TextDecoderStream();
    for await (const chunk of child.stderr.pipeThrough(decoder)) {
      if (stderr.length < 200) stderr.push(chunk);
    }
  })().catch(() => {});
  let ws: WebSocket | undefined;
  try {
    const portFile = `${options.userDataDir}/DevToolsActivePort`;
    let text = "";
    for (let i = 0; i < 600 && text.split("\n").length < 2; i++) {
      text = await Deno.readTextFile(portFile).catch(() => "");
      if (text.split("\n").length < 2) await new Promise((r) => setTimeout(r, 100));
    }
    const [port, path] = text.trim().split("\n");
    if (!port || !path) {
      throw new Error(
        `Chromium (${options.executable}) did not open its DevTools port within 60 s:\n` +
          stderr.join("").slice(-2000),
      );
    }
    ws = new WebSocket(`ws://127.0.0.1:${port}${path}`);
    const socket = ws;
    await new Promise<void>((resolve, reject) => {
      socket.onopen = () => resolve();
      socket.onerror = () => reject(new Error("cannot connect to Chromium's DevTools socket"));
    });
    const page = await _openPage(socket);
    return {
      page,
      async close() {
        socket.close();
        try {
          child.kill("SIGTERM");
        } catch {
          // already gone
        }
        const timer = setTimeout(() => {
          try {
            child.kill("SIGKILL");
          } catch {
            // already gone
          }
        }, 5000);
        await child.status;
        clearTimeout(timer);
        await drain;
      },
    };
  } catch (e) {
    ws?.close();
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await child.status;
    await drain;
    throw e;
  }
}

async function _openPage(ws: WebSocket): Promise<Page> {
  let nextId = 1;
  const pending = new Map<number, Pending>();
  const listeners = new Set<(method: string, params: Record<string, unknown>) => void>();
  const attached: { sessionId?: string } = {};
  ws.onmessage = (event) => {
    const msg = JSON.parse(event.data as string);
    if (msg.id !== undefined) {
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) p?.reject(new Error(`CDP: ${msg.error.message} ${msg.error.data ?? ""}`));
      else p?.resolve(msg.result ?? {});
    } else if (msg.method) {
      for (const l of listeners) l(msg.method, msg.params ?? {});
    }
  };
  ws.onclose = () => {
    for (const p of pending.values()) p.reject(new Error("Chromium closed the DevTools socket"));
    pending.clear();
  };
  const send = (method: string, params: Record<string, unknown> = {}, session = true) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      ws.send(
        JSON.stringify({
          id,
          method,
          params,
          ...(session && attached.sessionId ? { sessionId: attached.sessionId } : {}),
        }),
      );
    });
  const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    return Promise.race([
      p,
      new Promise<T>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
      }),
    ]).finally(() => clearTimeout(timer));
  };

  const { targetId } = await send("Target.createTarget", { url: "about:blank" }, false);
  attached.sessionId = (await send("Target.attachToTarget", { targetId, flatten: true }, false))
    .sessionId as string;
  const consoleLines: ConsoleLine[] = [];
  listeners.add((method, params) => {
    if (method === "Runtime.consoleAPICalled") {
      const args = params.args as { value?: unknown; description?: string }[];
      consoleLines.push({
        type: String(params.type),
        text: args.map((a) =>
          typeof a.value === "string" ? a.value : a.description ?? JSON.stringify(a.value)
        ).join(" "),
      });
    } else if (method === "Runtime.exceptionThrown") {
      const d = params.exceptionDetails as { text: string; exception?: { description?: string } };
      consoleLines.push({ type: "exception", text: d.exception?.description ?? d.text });
    }
  });
  await send("Runtime.enable");
  await send("Page.enable");

  const evaluate = async <T>(expression: string, timeoutMs = 60_000): Promise<T> => {
    const r = await withTimeout(
      send("Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true }),
      timeoutMs,
      expression.slice(0, 80),
    );
    const details = r.exceptionDetails as
      | { text: string; exception?: { description?: string } }
      | undefined;
    if (details) {
      throw new Error(`page: ${details.exception?.description ?? details.text}`);
    }
    return (r.result as { value?: T }).value as T;
  };

  return {
    console: consoleLines,
    async goto(url, timeoutMs = 60_000) {
      const loaded = new Promise<void>((resolve) => {
        const l = (method: string) => {
          if (method === "Page.loadEventFired") {
            listeners.delete(l);
            resolve();
          }
        };
        listeners.add(l);
      });
      await send("Page.navigate", { url });
      await withTimeout(loaded, timeoutMs, `loading ${url}`);
    },
    evaluate,
    async waitFor<T>(expression: string, timeoutMs: number): Promise<T> {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const v = await evaluate<T>(expression, Math.max(1000, end - Date.now()));
        if (v) return v;
        if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms: ${expression}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    async screenshot() {
      const r = await send("Page.captureScreenshot", { format: "png" });
      return Uint8Array.from(atob(r.data as string), (c) => c.charCodeAt(0));
    },
    async expectDownload(dir, timeoutMs) {
      await send(
        "Browser.setDownloadBehavior",
        { behavior: "allow", downloadPath: dir, eventsEnabled: true },
        false,
      );
      let name = "";
      const done = new Promise<string>((resolve, reject) => {
        const l = (method: string, params: Record<string, unknown>) => {
          if (method === "Browser.downloadWillBegin") name = String(params.suggestedFilename);
          if (method === "Browser.downloadProgress" && params.state !== "inProgress") {
            listeners.delete(l);
            if (params.state === "completed") resolve(name);
            else reject(new Error(`the download was ${params.state}`));
          }
        };
        listeners.add(l);
      });
      return { done: withTimeout(done, timeoutMs, "a download") };
    },
  };
}
