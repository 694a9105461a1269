/// <reference types="node" />
// The reference above keeps Node's types available when a client package's
// tests import this file under a tsconfig that sets `"types": []`.
//
// Helpers for tests that run our code in real headless Chromium: find and
// launch the system Chromium (never a downloaded one), serve pages from a
// loopback origin of their own, and bundle browser entry points.
import { existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { extname, join, normalize, resolve, sep } from "node:path";
import type { Browser } from "playwright-core";

// Re-exported so test packages type their pages without depending on playwright-core.
export type { Browser, BrowserContext, Page } from "playwright-core";

/**
 * Where Chromium is expected. Debian's package installs it here; CI installs
 * that package. `CHROMIUM_PATH` points elsewhere for unusual machines.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Whether the Chromium at `CHROMIUM_PATH` exists, for `describe.skipIf(!hasChromium())`. */
export function hasChromium(): boolean {
  return existsSync(CHROMIUM_PATH);
}

/** Why browser tests are skipped, for the skip message. */
export const CHROMIUM_MISSING_MESSAGE =
  `browser tests skipped: no Chromium at ${CHROMIUM_PATH} ` +
  "(apt-get install -y chromium, or set CHROMIUM_PATH)";

// Flags that keep Chromium from reaching out to Google's services: this
// machine's network is closed, and each refused connection costs time and log
// noise. Playwright adds --headless, --no-sandbox (chromiumSandbox defaults to
// false) and a fresh temporary --user-data-dir itself.
const CHROMIUM_ARGS = [
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Launches the system Chromium headless through playwright-core. Close it in
 * an afterAll hook (`await browser.close()`), or vitest will not exit.
 */
export async function launchChromium(): Promise<Browser> {
  if (!hasChromium()) throw new Error(CHROMIUM_MISSING_MESSAGE);
  const { chromium } = await import("playwright-core");
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

/** Options of `serveStatic`. */
export interface StaticServerOptions {
  /**
   * Loopback host to listen on, default `127.0.0.1`. Its port alone already
   * makes it another origin than a stream server on the same host; a second
   * address (`127.0.0.2`) or `localhost` makes the difference more visible.
   */
  host?: string;
}

/** A running static file server, from `serveStatic`. */
export interface StaticServer {
  /** Origin, e.g. `http://127.0.0.1:41234` (no trailing slash). */
  readonly url: string;
  /** Requests received so far, as `METHOD /path?query`. */
  readonly requests: readonly string[];
  /** Closes the listener and every open connection. Idempotent. */
  close(): Promise<void>;
}

/** File contents by URL path (`"/index.html"`); `"/"` falls back to `"/index.html"`. */
export type StaticFiles = Record<string, string | Uint8Array>;

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
};

function contentTypeOf(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? "application/octet-stream";
}

/**
 * Serves a directory, or files held in memory, over HTTP on loopback. No
 * caching (every response says `no-store`), so a reload fetches afresh.
 */
export async function serveStatic(
  source: string | StaticFiles,
  options: StaticServerOptions = {},
): Promise<StaticServer> {
  const host = options.host ?? "127.0.0.1";
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const lookup =
    typeof source === "string" ? fromDirectory(resolve(source)) : fromMemory(source);

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests.push(`${req.method ?? "GET"} ${req.url ?? "/"}`);
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    lookup(path === "/" ? "/index.html" : path).then(
      (body) => {
        if (body === undefined) {
          res.writeHead(404, { "content-type": "text/plain" }).end("not found");
          return;
        }
        res.writeHead(200, {
          "content-type": contentTypeOf(path === "/" ? "/index.html" : path),
          "content-length": String(body.byteLength),
          "cache-control": "no-store",
        });
        res.end(req.method === "HEAD" ? undefined : body);
      },
      () => res.writeHead(500).end(),
    );
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((ready, fail) => {
    server.once("error", fail);
    server.listen(0, host, () => ready());
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  let closing: Promise<void> | undefined;

  return {
    url: `http://${shownHost}:${port}`,
    requests,
    close() {
      closing ??= new Promise<void>((done) => {
        server.close(() => done());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

function fromMemory(files: StaticFiles): (path: string) => Promise<Uint8Array | undefined> {
  const encoder = new TextEncoder();
  return async (path) => {
    const content = files[path];
    if (content === undefined) return undefined;
    return typeof content === "string" ? encoder.encode(content) : content;
  };
}

function fromDirectory(root: string): (path: string) => Promise<Uint8Array | undefined> {
  return async (path) => {
    const file = normalize(join(root, path));
    // Never serve anything outside the directory (`/../secret`).
    if (file !== root && !file.startsWith(root + sep)) return undefined;
    try {
      if (!(await stat(file)).isFile()) return undefined;
      return await readFile(file);
    } catch {
      return undefined;
    }
  };
}

/** Options of `bundleForBrowser`. */
export interface BundleOptions {
  /** Compile-time constants, e.g. `{ "process.env.NODE_ENV": '"production"' }`. */
  define?: Record<string, string>;
  minify?: boolean;
}

/**
 * Bundles one browser entry point (TS, TSX or JS) with esbuild into a single
 * ES module and returns its code, for `serveStatic({ "/page.js": code })`.
 */
export async function bundleForBrowser(entry: string, options: BundleOptions = {}): Promise<string> {
  const { build } = await import("esbuild");
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    sourcemap: "inline",
    minify: options.minify ?? false,
    define: { "process.env.NODE_ENV": '"development"', ...options.define },
    logLevel: "silent",
  });
  const output = result.outputFiles[0];
  if (output === undefined) throw new Error(`esbuild produced nothing for ${entry}`);
  return output.text;
}
