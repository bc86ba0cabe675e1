/**
 * A small static file server for the web demo and the browser tests: files under one folder,
 * bound to 127.0.0.1 only, read-only (GET and HEAD), never outside the folder.
 *
 * `deno task web` runs it on the project folder and prints the demo's address.
 *
 * @module
 */

import { extname, join, resolve, sep } from "node:path";

const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".jsonl": "text/plain; charset=utf-8",
  ".wasm": "application/wasm",
  ".gz": "application/octet-stream",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".txt": "text/plain; charset=utf-8",
  ".ts": "text/plain; charset=utf-8",
};

/** Options of {@linkcode serveStatic}. */
export interface ServeStaticOptions {
  /** The folder whose files are served (`/a/b.js` is `<root>/a/b.js`). */
  root: string;
  /** The port; 0 picks a free one. @default 0 */
  port?: number;
  /** Stops the server when aborted. */
  signal?: AbortSignal;
  /**
   * URL paths answered from other files, e.g. `{ "/examples/web/app.js": "dist/web/app.js" }`
   * (a built file served where the page expects it). @default {}
   */
  mounts?: Readonly<Record<string, string>>;
  /**
   * Serve cross-origin isolated (`Cross-Origin-Opener-Policy: same-origin`,
   * `Cross-Origin-Embedder-Policy: require-corp`), so pages get `SharedArrayBuffer` and newbob's
   * wasm backend can run on Workers; `false` leaves both headers out (the fallback tests).
   * Every response says `Cross-Origin-Resource-Policy: same-origin` either way. @default true
   */
  isolated?: boolean;
}

/** A running server. */
export interface StaticServer {
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** Stop serving; resolves once stopped. */
  close(): Promise<void>;
}

/**
 * Serve the files of a folder on 127.0.0.1. A path that leaves the folder, a folder or a missing
 * file is answered 404; anything but GET/HEAD 405. Responses are never cached.
 *
 * @param options The folder, the port.
 * @returns The server (its origin and a close function).
 * @throws {Deno.errors.AddrInUse} When the port is taken.
 *
 * @example Usage
 * ```ts ignore
 * import { serveStatic } from "./serve.ts";
 * const server = serveStatic({ root: "." });
 * console.log(`${server.origin}/examples/web/index.html`);
 * await server.close();
 * ```
 */
export function serveStatic(options: ServeStaticOptions): StaticServer {
  const root = resolve(options.root);
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: options.port ?? 0,
    signal: options.signal,
    onListen: () => {},
  }, (request) => _respond(root, request, options.mounts ?? {}, options.isolated ?? true));
  return {
    origin: `http://127.0.0.1:${server.addr.port}`,
    async close() {
      await server.shutdown();
    },
  };
}

async function _respond(
  root: string,
  request: Request,
  mounts: Readonly<Record<string, string>>,
  isolated: boolean,
): Promise<Response> {
  if (request.method !== "GET" && request.method !== "HEAD") {
    return new Response("method not allowed\n", { status: 405 });
  }
  let path: string;
  try {
    path = decodeURIComponent(new URL(request.url).pathname);
  } catch {
    return new Response("bad path\n", { status: 400 });
  }
  if (path.endsWith("/")) path += "index.html";
  const file = Object.hasOwn(mounts, path)
    ? resolve(root, mounts[path])
    : resolve(join(root, path));
  if (file !== root && !file.startsWith(root + sep)) {
    return new Response("not found\n", { status: 404 });
  }
  let body: Uint8Array;
  try {
    body = await Deno.readFile(file);
  } catch {
    return new Response("not found\n", { status: 404 });
  }
  const headers: Record<string, string> = {
    "content-type": TYPES[extname(file)] ?? "application/octet-stream",
    "cache-control": "no-store",
    // Scripts, Worker modules and data may be loaded by this origin's isolated pages only.
    "cross-origin-resource-policy": "same-origin",
  };
  if (isolated) {
    // Cross-origin isolated: SharedArrayBuffer, so newbob's wasm backend runs on Workers.
    headers["cross-origin-opener-policy"] = "same-origin";
    headers["cross-origin-embedder-policy"] = "require-corp";
  }
  return new Response(request.method === "HEAD" ? null : body as Uint8Array<ArrayBuffer>, {
    headers,
  });
}

if (import.meta.main) {
  const port = Number(Deno.args[0] ?? 8123);
  const server = serveStatic({
    root: ".",
    port,
    mounts: { "/examples/web/app.js": "dist/web/app.js" },
  });
  console.log(
    `newbob web demo: ${server.origin}/examples/web/ (serving this folder on 127.0.0.1 only; ` +
      "Ctrl-C stops)",
  );
}
