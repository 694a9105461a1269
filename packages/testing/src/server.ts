/// <reference types="node" />
// The reference above keeps Node's types available when a client package's
// tests import this file under a tsconfig that sets `"types": []`.
import { randomBytes } from "node:crypto";
import { Server } from "node:http";
import { DurableStreamTestServer } from "@durable-streams/server";

/** Options of `startReferenceServer`. */
export interface ReferenceServerOptions {
  /**
   * How long the server holds a caught-up long-poll (and an idle SSE
   * connection between keep-alive control events) before answering.
   * Defaults to 500 ms instead of the server's 30 s so tests stay fast.
   */
  longPollTimeoutMs?: number;
}

/**
 * A fault the reference server applies itself, to the next `count` (default 1)
 * requests on one path. Derived from the server's own signature because the
 * package does not export its `InjectedFault` type.
 */
export type ServerFault = Parameters<DurableStreamTestServer["injectFault"]>[1];

/** A running reference server, from `startReferenceServer`. */
export interface ReferenceServer {
  /** Origin of the server, e.g. `http://127.0.0.1:43117` (no trailing slash). */
  readonly url: string;
  /** The underlying server, for store inspection or its own fault injection. */
  readonly server: DurableStreamTestServer;
  /**
   * Absolute URL of a stream under `/v1/stream/`. Without a name every call
   * returns a fresh name, so tests sharing one server never collide.
   */
  streamUrl(name?: string): string;
  /**
   * Arms a server-side fault for the stream at `streamUrl`. Only the pathname
   * is used (the server keys faults by path, ignoring the query), so a URL
   * pointing through a fault proxy works too. Arming a second fault on the
   * same path replaces the first.
   */
  injectFault(streamUrl: string, fault: ServerFault): void;
  /** Stops the server and waits until its port is released. */
  stop(): Promise<void>;
}

/** The long-poll timeout the test server uses by default (the real server's is 30 s). */
export const DEFAULT_TEST_LONG_POLL_TIMEOUT_MS = 500;

// Module-wide so names stay unique across several servers in one worker; the
// random part keeps them unique across workers and reruns too.
let streamCounter = 0;

function uniqueStreamName(): string {
  streamCounter += 1;
  return `test-${streamCounter}-${randomBytes(4).toString("hex")}`;
}

// How often idle keep-alive sockets are swept while stopping, and when the
// remaining ones are cut regardless.
const IDLE_SWEEP_INTERVAL_MS = 10;
const FORCE_CLOSE_AFTER_MS = 1_000;

/**
 * `DurableStreamTestServer.stop()` answers pending long-polls and ends SSE
 * streams, then calls `server.close()`. Node closes only the connections idle
 * at that instant; the ones that were busy stay open as keep-alive sockets
 * until the client gives up on them (about 3 s with undici), which would add
 * seconds to every afterAll. So we keep sweeping idle sockets until close
 * completes. The http.Server is a private field, hence the guarded lookup:
 * if a future version renames it we fall back to the plain, slower stop.
 */
async function stopPromptly(server: DurableStreamTestServer): Promise<void> {
  const httpServer: unknown = Reflect.get(server, "server");
  const stopping = server.stop();
  if (!(httpServer instanceof Server)) return stopping;
  const sweep = setInterval(
    () => httpServer.closeIdleConnections(),
    IDLE_SWEEP_INTERVAL_MS,
  );
  const force = setTimeout(
    () => httpServer.closeAllConnections(),
    FORCE_CLOSE_AFTER_MS,
  );
  try {
    await stopping;
  } finally {
    clearInterval(sweep);
    clearTimeout(force);
  }
}

/**
 * Starts the real Durable Streams reference server in memory on an ephemeral
 * loopback port, so integration tests exercise the actual protocol.
 */
export async function startReferenceServer(
  options: ReferenceServerOptions = {},
): Promise<ReferenceServer> {
  const server = new DurableStreamTestServer({
    host: "127.0.0.1",
    // Must be explicit: the constructor defaults to 4437 even though its
    // typings document 0, and a fixed port collides between parallel workers.
    port: 0,
    longPollTimeout:
      options.longPollTimeoutMs ?? DEFAULT_TEST_LONG_POLL_TIMEOUT_MS,
  });
  const url = await server.start();
  let stopped: Promise<void> | undefined;

  return {
    url,
    server,
    streamUrl(name?: string): string {
      return `${url}/v1/stream/${name ?? uniqueStreamName()}`;
    },
    injectFault(streamUrl: string, fault: ServerFault): void {
      server.injectFault(new URL(streamUrl).pathname, fault);
    },
    stop(): Promise<void> {
      // Idempotent so an afterAll hook can call it even after a test did.
      stopped ??= stopPromptly(server);
      return stopped;
    },
  };
}
