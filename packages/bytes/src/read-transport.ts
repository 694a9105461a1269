import type { DurableStreamError } from "./errors"
import type { RequestPlan } from "./http"
import type { Answer, ReadPosition } from "./read-position"

/**
 * The contract between the read loop and a transport. A transport makes one
 * request (or holds one SSE connection) from the current position and
 * yields what the server said; it never retries a cut connection, moves
 * the position, or decides when to reconnect: the loop and the liveness
 * supervisor do. Adding a transport is a file with one of these and a line
 * in the loop's table.
 */

export type TransportName = "catch-up" | "long-poll" | "sse"

/** How a request or connection ended, when it did not throw. */
export type ConnectionEnd =
  /** Answered in full, or the server ended the connection cleanly. */
  | { kind: "ended" }
  /** This runtime cannot use the transport (SSE without a streaming body). */
  | { kind: "unsupported" }
  /** The connection broke after it opened (network error, silence); the position is still good. */
  | { kind: "cut"; error: DurableStreamError }

export const ENDED: ConnectionEnd = Object.freeze({ kind: "ended" })

/** What a session has learned about the stream and the runtime, shared by its transports. */
export interface ReadFacts {
  /** The stream's content type: from the handle, then from each catch-up response. */
  contentType: string | undefined
  /** False once a response showed that this fetch cannot stream bodies (React Native). */
  streamingBodies: boolean
  /** With `followRedirects`: where the last response came from, when a redirect led there. */
  redirectedUrl: string | undefined
}

export interface TransportContext {
  readonly url: string
  /** The current position (it moves while an SSE connection delivers). */
  position(): ReadPosition
  readonly facts: ReadFacts
  /** This connection's signal: the session's, plus the supervisor's interrupts. */
  readonly signal: AbortSignal
  readonly longPollTimeoutMs: number
  readonly sseIdleMs: number
  readonly maxSseBufferBytes: number
  /**
   * One GET from the current position with the session's headers, params,
   * deadlines and retries. `live` adds `live=` and echoes the cursor.
   */
  get<T>(
    live: "long-poll" | "sse" | undefined,
    plan: Pick<RequestPlan<T>, "okStatuses" | "handle" | "timeoutMs" | "reissueOnTimeout" | "successResetsRetries">
  ): Promise<T>
  /** The server answered (response headers are in): the connection is up. */
  opened(): void
}

export type Transport = (context: TransportContext) => AsyncGenerator<Answer, ConnectionEnd>
