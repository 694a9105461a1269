/// <reference types="node" />
// The reference above keeps Node's types available when a client package's
// tests import this file under a tsconfig that sets `"types": []`.
// One concept past ~350 lines: the proxy's request lifecycle (plan snapshot,
// delay, fault, forward, stop) shares one closure of sockets, timers and stats;
// body cutting lives in proxy-body.ts, header rewriting in proxy-headers.ts.
import {
  createServer,
  request as httpRequest,
  type ClientRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from "node:http";
import type { AddressInfo, Socket } from "node:net";
import {
  DEFAULT_SLOWLORIS_INTERVAL_MS,
  decideFault,
  isEligible,
  validateFaultPlan,
  type FaultDecision,
  type FaultKind,
  type FaultPlan,
} from "./fault-plan";
import { dropDuringRequest, hasNoBody, truncateBody } from "./proxy-body";
import { endToEndHeaders } from "./proxy-headers";
import { createSeededRandom, randomSeed } from "./seeded-random";
import { sendSlowlorisResponse } from "./slowloris-response";

/** Options of `startFaultProxy`. */
export interface FaultProxyOptions {
  /** Origin to forward to, e.g. the reference server's `url`. */
  target: string;
  /** Initial plan; the default forwards everything untouched. */
  plan?: FaultPlan;
  /**
   * Seed for fault selection. With the same seed, plan and order of requests,
   * the same requests fail the same way. Random when omitted; read it back
   * from `FaultProxy.seed` to replay a failing run.
   */
  seed?: number;
}

/** What a fault proxy has done so far, per outcome. */
export interface FaultProxyStats {
  /** Every request received, eligible for faults or not. */
  requests: number;
  /** Requests sent on to the target, including the ones cut afterwards. */
  forwarded: number;
  dropDuringRequest: number;
  dropDuringResponse: number;
  dropBeforeResponse: number;
  unavailable: number;
  rateLimited: number;
  /** Requests never answered (forwarded first unless the plan says otherwise). */
  hang: number;
  /** Answers passed on a byte at a time. */
  slowloris: number;
  /** Requests held back by an injected delay. */
  delayed: number;
  /** Failures of the target itself (refused, reset), not caused by the proxy. */
  upstreamErrors: number;
}

/** A running fault proxy, from `startFaultProxy`. */
export interface FaultProxy {
  /** Origin of the proxy; request paths are forwarded unchanged. */
  readonly url: string;
  readonly seed: number;
  /** Live counters, updated before a request's fate reaches the client. */
  readonly stats: Readonly<FaultProxyStats>;
  /** Replaces the plan for later requests and resets the `maxFaults` budget. */
  setPlan(plan: FaultPlan): void;
  /** Closes the listener and every connection on both sides. */
  stop(): Promise<void>;
}

// Client and target hang-ups are what fault tests provoke on purpose; an
// unhandled 'error' event from one of them must never take the process down.
function ignoreError(): void {}

function parseTarget(target: string): URL {
  const url = new URL(target);
  if (url.protocol !== "http:") {
    throw new TypeError(`fault proxy forwards to http: targets only, got ${target}`);
  }
  if (url.pathname !== "/" || url.search !== "") {
    throw new TypeError(
      `fault proxy target must be an origin (request paths are forwarded as they are), got ${target}`,
    );
  }
  return url;
}

/**
 * Starts a loopback HTTP proxy in front of `target` that injects network and
 * server failures chosen by a seeded PRNG. Responses are streamed, never
 * buffered, so long-poll and SSE reads work through it.
 */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = parseTarget(options.target);
  const seed = options.seed ?? randomSeed();
  const random = createSeededRandom(seed);
  const stats: FaultProxyStats = {
    requests: 0,
    forwarded: 0,
    dropDuringRequest: 0,
    dropDuringResponse: 0,
    dropBeforeResponse: 0,
    unavailable: 0,
    rateLimited: 0,
    hang: 0,
    slowloris: 0,
    delayed: 0,
    upstreamErrors: 0,
  };
  let plan: FaultPlan = {};
  let failuresInjected = 0;

  // Everything that can keep the event loop alive, so stop() can end it all.
  const sockets = new Set<Socket>();
  const upstreams = new Set<ClientRequest>();
  const timers = new Set<NodeJS.Timeout>();

  let proxyOrigin = "";
  // Set by stop(): the upstream failures it causes are not the target's fault.
  let stopping: Promise<void> | undefined;

  function setPlan(next: FaultPlan): void {
    validateFaultPlan(next);
    // A copy, so a caller mutating its object later cannot change the plan
    // half-way through a run.
    plan = {
      ...next,
      methods: next.methods === undefined ? undefined : [...next.methods],
      delayMs: next.delayMs === undefined ? undefined : { ...next.delayMs },
    };
    failuresInjected = 0;
  }

  function responseHeaders(upstream: IncomingMessage): OutgoingHttpHeaders {
    const headers = endToEndHeaders(upstream.headers);
    // The server advertises its own origin in Location; point it back at the
    // proxy so a client following it does not silently bypass the faults.
    const location = headers["location"];
    if (typeof location === "string" && location.startsWith(target.origin)) {
      headers["location"] = proxyOrigin + location.slice(target.origin.length);
    }
    return headers;
  }

  function reply(req: IncomingMessage, res: ServerResponse, status: number, extra: OutgoingHttpHeaders): void {
    // Discard the unread body so the client's connection stays usable.
    req.resume();
    res.writeHead(status, { "content-type": "text/plain", ...extra });
    res.end(`fault proxy: injected ${status}`);
  }

  function forward(
    req: IncomingMessage,
    res: ServerResponse,
    kind: FaultKind | undefined,
    activePlan: FaultPlan,
  ): void {
    stats.forwarded += 1;
    const method = req.method ?? "GET";
    const headers = endToEndHeaders(req.headers);
    headers["host"] = target.host;
    // agent: false gives each forwarded request its own connection that
    // closes with the response, so nothing lingers in a pool after stop().
    const upstream = httpRequest({
      hostname: target.hostname,
      port: target.port,
      method,
      path: req.url ?? "/",
      headers,
      agent: false,
    });
    upstreams.add(upstream);
    upstream.once("close", () => upstreams.delete(upstream));

    let abandoned = false;
    const abandon = (): void => {
      abandoned = true;
      upstream.destroy();
    };
    // A client that hangs up (or that we cut) must not leave a long-poll or
    // SSE read open against the target.
    res.once("close", () => {
      if (!res.writableFinished) abandon();
    });

    const onUpstreamFailure = (): void => {
      if (abandoned) return;
      abandoned = true;
      if (stopping !== undefined) {
        req.socket.destroy();
        return;
      }
      stats.upstreamErrors += 1;
      if (!res.headersSent) {
        res.writeHead(502, { "content-type": "text/plain" });
        res.end("fault proxy: target failed");
      } else {
        // Mid-body: pass the breakage on rather than end the body cleanly.
        req.socket.destroy();
      }
    };
    upstream.on("error", onUpstreamFailure);

    upstream.on("response", (upstreamRes) => {
      upstreamRes.on("error", onUpstreamFailure);

      if (kind === "hang") {
        // The target has answered, so it applied the request; the client
        // waits on a connection that stays open and silent.
        abandon();
        return;
      }

      if (kind === "dropBeforeResponse") {
        // The target has answered, so it applied the request; the client
        // never learns the outcome.
        abandon();
        req.socket.destroy();
        return;
      }

      const status = upstreamRes.statusCode ?? 502;
      const headers = responseHeaders(upstreamRes);

      if (kind === "dropDuringResponse") {
        if (hasNoBody(method, upstreamRes)) {
          // Nothing to cut after the headers (e.g. a 204 append), and a
          // complete header block would read as success, so withhold it all.
          abandon();
          req.socket.destroy();
          return;
        }
        res.writeHead(status, headers);
        res.flushHeaders();
        truncateBody(req, res, upstreamRes, activePlan, abandon);
        return;
      }

      if (kind === "slowloris") {
        sendSlowlorisResponse({
          req,
          res,
          upstreamRes,
          status,
          headers,
          bodiless: hasNoBody(method, upstreamRes),
          isHead: method === "HEAD",
          intervalMs: activePlan.slowlorisIntervalMs ?? DEFAULT_SLOWLORIS_INTERVAL_MS,
        });
        return;
      }

      res.writeHead(status, headers);
      // Send headers now: an SSE or long-poll response may not produce body
      // bytes for a while, and the client is waiting for the status.
      res.flushHeaders();
      upstreamRes.pipe(res);
    });

    req.pipe(upstream);
  }

  function act(
    req: IncomingMessage,
    res: ServerResponse,
    kind: FaultKind | undefined,
    activePlan: FaultPlan,
  ): void {
    switch (kind) {
      case "dropDuringRequest":
        dropDuringRequest(req);
        return;
      case "unavailable":
        reply(req, res, 503, {});
        return;
      case "rateLimited":
        reply(req, res, 429, { "retry-after": String(activePlan.retryAfterSeconds ?? 0) });
        return;
      case "hang":
        if (activePlan.forwardBeforeHang ?? true) {
          forward(req, res, kind, activePlan);
        } else {
          // Take the whole upload, so the client is left waiting for an
          // answer rather than stuck sending.
          req.resume();
        }
        return;
      case "dropDuringResponse":
      case "dropBeforeResponse":
      case "slowloris":
      case undefined:
        forward(req, res, kind, activePlan);
        return;
    }
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    stats.requests += 1;
    req.on("error", ignoreError);
    res.on("error", ignoreError);

    // Snapshot: a setPlan() during an injected delay applies to later
    // requests, not to this one.
    const activePlan = plan;
    let decision: FaultDecision = { kind: undefined, delayMs: 0 };
    if (isEligible(activePlan, req.method ?? "GET")) {
      const failuresLeft =
        activePlan.maxFaults === undefined || failuresInjected < activePlan.maxFaults;
      decision = decideFault(activePlan, random, failuresLeft);
    }
    const { kind, delayMs } = decision;
    if (kind !== undefined) {
      failuresInjected += 1;
      stats[kind] += 1;
    }
    if (delayMs === 0) {
      act(req, res, kind, activePlan);
      return;
    }
    stats.delayed += 1;
    const timer = setTimeout(() => {
      timers.delete(timer);
      // The client may have given up while we held the request.
      if (!req.socket.destroyed) act(req, res, kind, activePlan);
    }, delayMs);
    timers.add(timer);
  }

  setPlan(options.plan ?? {});

  const server = createServer(handle);
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", ignoreError);
  const address: AddressInfo | string | null = server.address();
  if (address === null || typeof address === "string") {
    throw new Error("fault proxy: expected a TCP listener address");
  }
  proxyOrigin = `http://127.0.0.1:${address.port}`;

  function stop(): Promise<void> {
    stopping ??= new Promise<void>((resolve) => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      // close() resolves once every connection is gone, which the loops
      // below guarantee instead of waiting for clients to hang up.
      server.close(() => resolve());
      for (const upstream of upstreams) upstream.destroy();
      for (const socket of sockets) socket.destroy();
    });
    return stopping;
  }

  return {
    url: proxyOrigin,
    seed,
    stats,
    setPlan,
    stop,
  };
}
