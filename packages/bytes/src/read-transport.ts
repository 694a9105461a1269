import type { DurableStreamError } from "./errors"

/**
 * How the read machine (read-machine.ts) talks about its requests. A
 * request (or one SSE connection) reads from the current position and says
 * what the server said; the machine moves the position, retries, and
 * decides with the supervisor when to wait, reconnect or switch transport.
 */

export type TransportName = "catch-up" | "long-poll" | "sse"

/** How a request or connection ended, when it did not fail. */
export type ConnectionEnd =
  /** Answered in full, or the server ended the connection cleanly. */
  | { kind: "ended" }
  /** This runtime cannot use the transport (SSE without a streaming body). */
  | { kind: "unsupported" }
  /** The connection broke after it opened (network error, silence); the position is still good. */
  | { kind: "cut"; error: DurableStreamError }

export const ENDED: ConnectionEnd = Object.freeze({ kind: "ended" })
export const UNSUPPORTED: ConnectionEnd = Object.freeze({ kind: "unsupported" })
