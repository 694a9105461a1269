import type { DurableStreamError } from "./errors"

/**
 * How the read machine (read-machine.ts) talks about its requests. A
 * request (or one SSE connection) reads from the current position and says
 * what the server said; the machine moves the position, retries, and
 * decides with the supervisor when to wait, reconnect or switch transport.
 */

export type TransportName = "catch-up" | "long-poll" | "sse"

/**
 * How a request or connection ended, when it did not fail: answered in
 * full or ended cleanly by the server; unusable in this runtime (SSE
 * without a streaming body); or (an error) broken after it opened, a
 * network error or silence, with the position still good.
 */
export type ConnectionEnd = "ended" | "unsupported" | DurableStreamError
