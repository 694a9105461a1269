import { sleep } from "./abort"
import type { ResolvedRetry } from "./retry"
import { backoffDelay } from "./retry"

/** SSE connections shorter than this count as "dying young" (buffering proxies). */
const SHORT_CONNECTION_MS = 1000
/** After this many short SSE connections in a row, `auto` switches to long-poll. */
const SHORT_CONNECTIONS_BEFORE_FALLBACK = 3

export interface SupervisorScope {
  /** The session's mode: only `auto` may fall back from SSE. */
  auto: boolean
  retry: ResolvedRetry
  /** The session's signal: every wait ends when it aborts. */
  signal: AbortSignal
  onBackoff(): void
}

/**
 * Decides when a live session reconnects and with which transport: how
 * long to wait after a connection ended, and when SSE has proven unusable.
 */
export class LiveSupervisor {
  private shortConnections = 0
  private sseFailed = false

  constructor(private readonly scope: SupervisorScope) {}

  /** The transport for the next live request. */
  liveTransport(preferred: "sse" | "long-poll", streamingBodies: boolean): "sse" | "long-poll" {
    if (preferred === "long-poll" || !streamingBodies || this.sseFailed) return "long-poll"
    return "sse"
  }

  /**
   * The server ended an SSE connection without closing the stream. Resolves
   * when it is time to reconnect; a run of connections that die young backs
   * off, and in `auto` mode ends SSE for this session.
   */
  async sseEnded(openedAt: number): Promise<void> {
    if (Date.now() - openedAt >= SHORT_CONNECTION_MS) {
      this.shortConnections = 0
      return
    }
    this.shortConnections++
    if (this.scope.auto && this.shortConnections >= SHORT_CONNECTIONS_BEFORE_FALLBACK) {
      this.sseFailed = true
      return
    }
    // Do not hammer a server or proxy that keeps cutting us off.
    await this.backoff(backoffDelay(this.scope.retry, this.shortConnections - 1))
  }

  /** SSE cannot work in this runtime. */
  sseUnsupported(): void {
    this.sseFailed = true
  }

  /** A wait before asking again. */
  async backoff(delayMs: number): Promise<void> {
    this.scope.onBackoff()
    await sleep(delayMs, this.scope.signal)
  }
}
