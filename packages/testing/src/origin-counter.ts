/// <reference types="node" />
// The reference above keeps Node's types available when a client package's
// tests import this file under a tsconfig that sets `"types": []`.
import {
  Agent,
  createServer,
  request as httpRequest,
  type ClientRequest,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { endToEndHeaders } from "./proxy-headers";

/** One request that reached the origin, logged on arrival and completed as it is answered. */
export interface OriginRequest {
  method: string;
  /** Path without the query, e.g. `/v1/stream/a`. */
  path: string;
  query: URLSearchParams;
  /** Status the origin answered with; undefined until its headers arrive. */
  status: number | undefined;
  /** Response body bytes the origin has sent so far (an SSE body keeps growing). */
  bytes: number;
  /** True once the response ended or the exchange was cut. */
  done: boolean;
}

/** Which logged requests to count: by stream path, method and query. */
export interface OriginRequestFilter {
  /** Exact path, or the path of a full stream URL (its query is ignored). */
  path?: string;
  /** Default: any method. */
  method?: string;
  /** Every listed query parameter must have this value; `null` means absent. */
  query?: Record<string, string | null>;
}

/** A running origin counter, from `startOriginCounter`. */
export interface OriginCounter {
  /** Origin of the counter; put a cache in front of this, not of the target. */
  readonly url: string;
  /** Every request forwarded to the target, in arrival order. */
  readonly requests: readonly OriginRequest[];
  /** Logged requests matching `filter`. */
  select(filter?: OriginRequestFilter): OriginRequest[];
  /** Stops listening and cuts every connection on both sides. Idempotent. */
  stop(): Promise<void>;
}

function pathOf(pathOrUrl: string): string {
  return pathOrUrl.startsWith("http:") || pathOrUrl.startsWith("https:") ? new URL(pathOrUrl).pathname : pathOrUrl;
}

function matches(request: OriginRequest, filter: OriginRequestFilter): boolean {
  if (filter.path !== undefined && request.path !== pathOf(filter.path)) return false;
  if (filter.method !== undefined && request.method !== filter.method.toUpperCase()) return false;
  for (const [name, value] of Object.entries(filter.query ?? {})) {
    if (request.query.get(name) !== value) return false;
  }
  return true;
}

/**
 * A pass-through in front of an origin that logs every request it forwards,
 * with the status and body bytes of the answer. Placed between a cache and
 * the reference server it tells origin traffic apart from cache hits, which
 * never get this far. Responses are streamed as they arrive (long-polls, SSE).
 */
export async function startOriginCounter(options: { target: string }): Promise<OriginCounter> {
  const target = new URL(options.target);
  if (target.protocol !== "http:" || target.pathname !== "/" || target.search !== "") {
    throw new TypeError(`the origin counter forwards to an http: origin, got ${options.target}`);
  }
  const requests: OriginRequest[] = [];
  const sockets = new Set<Socket>();
  const upstreams = new Set<ClientRequest>();
  // Keep-alive towards the target, as a cache keeps its upstream connections.
  const agent = new Agent({ keepAlive: true });

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", target);
    const entry: OriginRequest = {
      method: req.method ?? "GET",
      path: url.pathname,
      query: url.searchParams,
      status: undefined,
      bytes: 0,
      done: false,
    };
    requests.push(entry);
    const finish = (): void => {
      entry.done = true;
    };
    req.on("error", finish);
    res.on("error", finish);
    res.once("close", finish);

    const headers = endToEndHeaders(req.headers);
    headers["host"] = target.host;
    const upstream = httpRequest({
      hostname: target.hostname,
      port: target.port,
      method: entry.method,
      path: req.url ?? "/",
      headers,
      agent,
    });
    upstreams.add(upstream);
    upstream.once("close", () => upstreams.delete(upstream));
    // The cache hung up (its client left, or it is stopping): end the origin request too.
    res.once("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    upstream.on("error", () => {
      finish();
      if (!res.headersSent) {
        res.writeHead(502, { "content-type": "text/plain" });
        res.end("origin counter: target failed");
      } else {
        req.socket.destroy();
      }
    });
    upstream.on("response", (answer) => {
      entry.status = answer.statusCode;
      answer.on("data", (chunk: Buffer) => {
        entry.bytes += chunk.length;
      });
      answer.on("error", () => req.socket.destroy());
      res.writeHead(answer.statusCode ?? 502, endToEndHeaders(answer.headers));
      res.flushHeaders();
      answer.pipe(res);
    });
    req.pipe(upstream);
  }

  const server = createServer(handle);
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    select: (filter = {}) => requests.filter((request) => matches(request, filter)),
    stop(): Promise<void> {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const upstream of upstreams) upstream.destroy();
        for (const socket of sockets) socket.destroy();
        agent.destroy();
      });
      return stopped;
    },
  };
}
