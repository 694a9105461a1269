/// <reference types="node" />
// The reference above keeps Node's types available when a client package's
// tests import this file under a tsconfig that sets `"types": []`.
//
// A real HTTP cache for tests: Debian's nginx on loopback, configured with
// the same file the root README recommends, in front of a counting
// pass-through, so tests can tell origin requests from cache hits.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { connect, createServer, type AddressInfo } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startOriginCounter, type OriginCounter } from "./origin-counter";

/** Where nginx is expected (Debian's `nginx-light`); `NGINX_PATH` points elsewhere. */
export const NGINX_PATH = process.env.NGINX_PATH ?? "/usr/sbin/nginx";

/** Whether the nginx at `NGINX_PATH` exists, for `describe.skipIf(!hasNginx())`. */
export function hasNginx(): boolean {
  return existsSync(NGINX_PATH);
}

/** Why CDN tests and benchmarks are skipped, for the skip message. */
export const NGINX_MISSING_MESSAGE =
  `SKIP CDN tests (caching proxy): no nginx at ${NGINX_PATH} ` + "(apt-get install -y nginx-light, or set NGINX_PATH)";

/** The nginx configuration the README recommends and the tests run, as a path. */
export const CACHE_CONFIG_PATH = fileURLToPath(new URL("../nginx/durable-streams.conf", import.meta.url));

// The three lines of the recommended file that name this machine's addresses.
const LISTEN_LINE = "listen 127.0.0.1:8080;";
const ORIGIN_LINE = "server 127.0.0.1:4437;";
const CACHE_PATH = "/var/cache/nginx/durable-streams";

/** Options of `startCachingProxy`. */
export interface CachingProxyOptions {
  /** Origin the cache forwards to, e.g. the reference server's `url`. */
  origin: string;
  /**
   * The cache configuration to run, for trying variants. It must contain the
   * three lines that `renderCacheConfig` rewrites. Default `CACHE_CONFIG_PATH`.
   */
  configPath?: string;
}

/** A running nginx cache, from `startCachingProxy`. */
export interface CachingProxy {
  /** Origin of the cache, e.g. `http://127.0.0.1:43117`; stream paths are forwarded unchanged. */
  readonly url: string;
  /**
   * Requests that got past the cache to the origin, in arrival order. Cache
   * hits and requests collapsed onto another one never appear here.
   */
  readonly origin: Pick<OriginCounter, "requests" | "select">;
  /** The same URL as `streamUrl` (an origin stream URL), pointing through the cache. */
  through(streamUrl: string): string;
  /** nginx's access log so far: `method uri status cache-status`, one request a line. */
  accessLog(): Promise<string>;
  /** Stops nginx (and waits for its exit) and the counter, and removes the temp directory. Idempotent. */
  stop(): Promise<void>;
}

/** The recommended config with this run's listen port, origin and cache directory. */
export function renderCacheConfig(options: {
  port: number;
  origin: string;
  cacheDir: string;
  configPath?: string;
}): string {
  const origin = new URL(options.origin);
  const path = options.configPath ?? CACHE_CONFIG_PATH;
  let config = readFileSync(path, "utf8");
  for (const [from, to] of [
    [LISTEN_LINE, `listen 127.0.0.1:${options.port};`],
    [ORIGIN_LINE, `server ${origin.host};`],
    [CACHE_PATH, options.cacheDir],
  ] as const) {
    if (config.split(from).length !== 2) {
      throw new Error(`${path} must contain "${from}" exactly once: the caching proxy rewrites it`);
    }
    config = config.replace(from, to);
  }
  return config;
}

function mainConfig(dir: string): string {
  // Workers of a root master switch to `nobody`, who could not write our
  // private temp directory; as anyone else nginx ignores `user` with a warning.
  const user = process.getuid?.() === 0 ? `user ${userInfo().username};\n` : "";
  return `${user}worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events {
    worker_connections 4096;
}
http {
    log_format durable_streams '$request_method $request_uri $status $upstream_cache_status';
    access_log ${dir}/access.log durable_streams;
    client_body_temp_path ${dir}/client_body;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
    include ${dir}/durable-streams.conf;
}
`;
}

/** A port that was free a moment ago; nginx cannot listen on port 0 and report it back. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 3_000;
const PORT_ATTEMPTS = 5;

/** Starts nginx on `port`; resolves once it accepts connections, rejects with its error log if it exits. */
async function startNginx(dir: string, port: number): Promise<ChildProcess> {
  // Not detached: a Ctrl-C in the terminal reaches nginx too.
  const child = spawn(NGINX_PATH, ["-p", dir, "-c", join(dir, "nginx.conf"), "-e", join(dir, "error.log")], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (text: string) => (stderr += text));
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const log = await readFile(join(dir, "error.log"), "utf8").catch(() => "");
      throw new Error(`nginx exited at start (${child.exitCode ?? child.signalCode}): ${(stderr + log).trim()}`);
    }
    if (await canConnect(port)) return child;
    if (Date.now() > deadline) {
      await stopNginx(child);
      throw new Error(`nginx did not listen on 127.0.0.1:${port} within ${START_TIMEOUT_MS} ms: ${stderr.trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Fast shutdown: the master ends its workers and exits; killed outright if it lingers. */
async function stopNginx(child: ChildProcess): Promise<void> {
  const gone = exited(child);
  child.kill("SIGTERM");
  const late = new Promise<"late">((resolve) => setTimeout(() => resolve("late"), STOP_TIMEOUT_MS).unref());
  if ((await Promise.race([gone, late])) === "late") {
    child.kill("SIGKILL");
    await gone;
  }
}

/**
 * Starts Debian's nginx on an ephemeral loopback port as a caching proxy in
 * front of `origin`, with the configuration in `nginx/durable-streams.conf`
 * (the one the root README shows), and a counter between nginx and the
 * origin so tests can see which requests the cache did not answer.
 * Throws when nginx is not installed: guard with `hasNginx()`.
 */
export async function startCachingProxy(options: CachingProxyOptions): Promise<CachingProxy> {
  if (!hasNginx()) throw new Error(NGINX_MISSING_MESSAGE);
  const counter = await startOriginCounter({ target: options.origin });
  const dir = await mkdtemp(join(tmpdir(), "durable-nginx-"));
  let child: ChildProcess | undefined;
  let port = 0;
  try {
    await writeFile(join(dir, "nginx.conf"), mainConfig(dir));
    for (let attempt = 1; child === undefined; attempt++) {
      port = await freePort();
      await writeFile(
        join(dir, "durable-streams.conf"),
        renderCacheConfig({ port, origin: counter.url, cacheDir: join(dir, "cache"), configPath: options.configPath })
      );
      try {
        child = await startNginx(dir, port);
      } catch (error) {
        // Another process took the port between our probe and nginx's bind: try another.
        if (attempt >= PORT_ATTEMPTS || !String(error).includes("Address already in use")) throw error;
      }
    }
  } catch (error) {
    await counter.stop();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const nginx = child;
  // A test process that exits without stop() (a crash, a forgotten afterAll)
  // must not leave nginx behind holding its port.
  const stopAtExit = (): void => {
    nginx.kill("SIGTERM");
  };
  process.once("exit", stopAtExit);
  const url = `http://127.0.0.1:${port}`;
  let stopped: Promise<void> | undefined;

  return {
    url,
    origin: counter,
    through(streamUrl: string): string {
      const parsed = new URL(streamUrl);
      return `${url}${parsed.pathname}${parsed.search}`;
    },
    accessLog: () => readFile(join(dir, "access.log"), "utf8").catch(() => ""),
    stop(): Promise<void> {
      stopped ??= (async () => {
        process.removeListener("exit", stopAtExit);
        await stopNginx(nginx);
        await counter.stop();
        await rm(dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}
