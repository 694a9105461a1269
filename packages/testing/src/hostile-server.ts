/// <reference types="node" />
// The reference above keeps Node's types available when a client package's
// tests import this file under a tsconfig that sets `"types": []`.
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { validateBehaviour, type HostileBehaviour } from "./hostile-behaviour";
import { performBehaviour } from "./perform-behaviour";

/** One request as the hostile server received it, logged on arrival. */
export interface HostileRequest {
  method: string;
  /** Path without the query, e.g. `/v1/stream/a`. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Arrival, on the `performance.now()` clock. */
  time: number;
}

/** An exact path, or a predicate over the logged request. */
export type RequestMatcher = string | ((request: HostileRequest) => boolean);

/** A running hostile server, from `startHostileServer`. */
export interface HostileServer {
  /** Origin, e.g. `http://127.0.0.1:43117` (no trailing slash). */
  readonly url: string;
  /** Every request received so far, in arrival order, scripted or not. */
  readonly requests: readonly HostileRequest[];
  /**
   * Decides how matching requests are answered. With a list, each matching
   * request takes the next behaviour and the last one repeats from then on.
   * A later script wins over an earlier one where both match. Requests no
   * script matches get a 404 naming the method and path.
   */
  script(match: RequestMatcher, behaviour: HostileBehaviour | readonly HostileBehaviour[]): void;
  /** Resolves once `count` requests have arrived in total; rejects if the server closes first. */
  waitForRequests(count: number): Promise<void>;
  /**
   * Destroys every connection (hung, dribbling or streaming ones included)
   * and releases the port. Idempotent.
   */
  close(): Promise<void>;
}

interface Script {
  matches: (request: HostileRequest) => boolean;
  behaviours: readonly HostileBehaviour[];
  used: number;
}

interface RequestWaiter {
  count: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Starts a loopback HTTP server that misbehaves on cue: redirects, hangs,
 * slowloris heads and bodies, offsets that stall or go backwards, endless or
 * silent SSE, and error bodies that echo the request's headers. It answers
 * only what a test scripts, for client tests against servers and proxies
 * the reference server will never imitate.
 *
 * @example
 * const hostile = await startHostileServer()
 * hostile.script("/s", [{ kind: "hang" }, { kind: "respond", status: 200, body: "[]" }])
 * const first = fetch(`${hostile.url}/s`, { signal: AbortSignal.timeout(100) }) // hangs, then aborts
 * const second = await fetch(`${hostile.url}/s`) // 200
 * await hostile.close()
 */
export async function startHostileServer(): Promise<HostileServer> {
  const requests: HostileRequest[] = [];
  const scripts: Script[] = [];
  const waiters = new Set<RequestWaiter>();
  const sockets = new Set<Socket>();
  let origin = "";
  let closing: Promise<void> | undefined;

  function behaviourFor(request: HostileRequest): HostileBehaviour | undefined {
    for (let index = scripts.length - 1; index >= 0; index -= 1) {
      const script = scripts[index];
      if (script === undefined || !script.matches(request)) continue;
      const position = Math.min(script.used, script.behaviours.length - 1);
      script.used += 1;
      return script.behaviours[position];
    }
    return undefined;
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    // Hang-ups are what these tests provoke; they must not crash the process.
    req.on("error", () => {});
    res.on("error", () => {});
    // Read the body whatever the behaviour, so an upload is never what
    // stalls: a hang should start once the client is waiting for the answer.
    req.resume();

    const parsed = new URL(req.url ?? "/", origin);
    const request: HostileRequest = {
      method: req.method ?? "GET",
      path: parsed.pathname,
      query: parsed.searchParams,
      headers: req.headers,
      time: performance.now(),
    };
    requests.push(request);
    for (const waiter of waiters) {
      if (requests.length >= waiter.count) {
        waiters.delete(waiter);
        waiter.resolve();
      }
    }

    const behaviour = behaviourFor(request);
    if (behaviour === undefined) {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end(`hostile server: nothing scripted for ${request.method} ${request.path}`);
      return;
    }
    performBehaviour({ req, res, origin, query: parsed.searchParams }, behaviour);
  }

  const server = createServer(handle);
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.once("close", () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address: AddressInfo | string | null = server.address();
  if (address === null || typeof address === "string") {
    throw new Error("hostile server: expected a TCP listener address");
  }
  origin = `http://127.0.0.1:${address.port}`;

  return {
    url: origin,
    requests,
    script(match, behaviour): void {
      const behaviours: readonly HostileBehaviour[] = Array.isArray(behaviour) ? [...behaviour] : [behaviour];
      if (behaviours.length === 0) throw new RangeError("hostile server: script needs at least one behaviour");
      for (const each of behaviours) validateBehaviour(each);
      const matches = typeof match === "string" ? (request: HostileRequest) => request.path === match : match;
      scripts.push({ matches, behaviours, used: 0 });
    },
    waitForRequests(count: number): Promise<void> {
      if (requests.length >= count) return Promise.resolve();
      if (closing !== undefined) return Promise.reject(new Error("hostile server: closed"));
      return new Promise((resolve, reject) => waiters.add({ count, resolve, reject }));
    },
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        for (const waiter of waiters) {
          waiter.reject(new Error(`hostile server: closed after ${requests.length} of ${waiter.count} requests`));
        }
        waiters.clear();
        // close() calls back once every connection is gone; destroying them
        // is what makes that immediate, hung and dribbling ones included.
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
