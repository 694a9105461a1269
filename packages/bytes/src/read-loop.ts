import { sleep } from "./abort"
import { catchUpTransport } from "./catch-up-transport"
import { execute, toStreamError, type ClientContext, type Recovery } from "./http"
import { LiveSupervisor } from "./live-supervisor"
import { longPollTransport } from "./long-poll-transport"
import type { ResolvedReadOptions } from "./options"
import { advance, startPosition, type ReadPosition, type StreamChunk } from "./read-position"
import type { ConnectionEnd, ReadFacts, Transport, TransportContext, TransportName } from "./read-transport"
import { backoffDelay } from "./retry"
import { sseTransport } from "./sse-transport"

const TRANSPORTS: Record<TransportName, Transport> = {
  "catch-up": catchUpTransport,
  "long-poll": longPollTransport,
  sse: sseTransport,
}

/** What the loop needs from the session that runs it. */
export interface LoopHost {
  readonly url: string
  readonly context: ClientContext
  readonly options: ResolvedReadOptions
  /** The session's signal: cancel, or the caller's abort. */
  readonly signal: AbortSignal
  readonly recovery: Recovery
  readonly facts: ReadFacts
  setStatus(status: "catching-up" | "live" | "backoff"): void
  /** A request or connection of `transport` got its response. */
  opened(transport: TransportName): void
}

/**
 * Reads from an offset to the end of the session: catch-up, then the live
 * transport, moving the position by the pure rules of read-position.ts and
 * reconnecting when the supervisor says so.
 */
export async function* readLoop(host: LoopHost): AsyncGenerator<StreamChunk> {
  const position = { current: startPosition(host.options.offset) }
  try {
    yield* run(host, position)
  } catch (error) {
    throw toStreamError(error, host.url, { operation: "read", offset: position.current.offset, signal: host.signal })
  }
}

async function* run(host: LoopHost, at: { current: ReadPosition }): AsyncGenerator<StreamChunk> {
  const { url, options, facts, recovery } = host
  const live = options.live
  const supervisor = new LiveSupervisor({
    auto: live === "auto",
    retry: host.context.retry,
    signal: host.signal,
    onBackoff: () => host.setStatus("backoff"),
  })
  let position = at.current
  let phase: TransportName = "catch-up"
  for (;;) {
    if (phase !== "catch-up") phase = supervisor.liveTransport(phase, facts.streamingBodies)
    host.setStatus(phase !== "catch-up" && position.upToDate ? "live" : "catching-up")
    const name = phase
    const context: TransportContext = {
      url,
      position: () => position,
      facts,
      signal: host.signal,
      longPollTimeoutMs: options.longPollTimeoutMs,
      sseIdleMs: host.context.timeouts.sseIdleMs,
      maxSseBufferBytes: options.maxSseBufferBytes,
      get: (liveParam, plan) => {
        const params: Record<string, string> = { offset: position.offset }
        if (liveParam !== undefined) {
          params.live = liveParam
          if (position.cursor !== undefined) params.cursor = position.cursor
        }
        return execute(
          host.context,
          {
            ...plan,
            operation: "read",
            method: "GET",
            params,
            extraHeaders: options.headers,
            extraParams: options.params,
            signal: host.signal,
            offset: position.offset,
            followRedirects: options.followRedirects,
          },
          recovery
        )
      },
      opened: () => {
        openedAt = Date.now()
        host.opened(name)
      },
    }
    let openedAt = Date.now()
    const connection = TRANSPORTS[name](context)
    let end: ConnectionEnd
    try {
      for (;;) {
        const next = await connection.next()
        if (next.done) {
          end = next.value
          break
        }
        const step = advance(position, next.value, url, name !== "sse")
        position = at.current = step.position
        if (name === "sse") recovery.succeeded()
        // A live session is live from the answer that caught it up, whichever transport gave it.
        if (live !== false && position.upToDate) host.setStatus("live")
        if (step.chunk) {
          yield step.chunk
          if (step.chunk.closed) return
        }
        if (step.idle) {
          host.setStatus("backoff")
          await sleep(backoffDelay(host.context.retry, position.idleAnswers - 1), host.signal)
        }
      }
    } finally {
      await connection.return(undefined as never)
    }
    if (end.kind === "unsupported") {
      facts.streamingBodies = false
      supervisor.sseUnsupported()
      continue
    }
    if (end.kind === "cut") {
      // A connection gone silent is reopened at once, like a long-poll that
      // timed out: silence is not a failure, and must not use up retries.
      if (end.error.code !== "TIMEOUT") await recovery.recover(end.error)
      continue
    }
    if (name === "catch-up") {
      if (position.upToDate) {
        if (live === false) return
        phase = live === "auto" ? "sse" : live
      }
    } else if (name === "sse") {
      await supervisor.sseEnded(openedAt)
    }
  }
}
