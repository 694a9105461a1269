import { catchUpTransport } from "./catch-up-transport"
import type { DurableStreamError } from "./errors"
import { execute, type ClientContext } from "./http"
import { LiveSupervisor, type PauseReason } from "./live-supervisor"
import { longPollTransport } from "./long-poll-transport"
import type { ResolvedReadOptions } from "./options"
import { advance, startPosition, type StreamChunk } from "./read-position"
import type { ConnectionEnd, ReadFacts, Transport, TransportContext, TransportName } from "./read-transport"
import { Recovery } from "./recovery"
import { backoffDelay } from "./retry-policy"
import { sseTransport } from "./sse-transport"
import { toStreamError } from "./stream-error"

/** Every transport, by name. A new live mode is a transport file and a line here. */
const TRANSPORTS: Record<TransportName, Transport> = {
  "catch-up": catchUpTransport,
  "long-poll": longPollTransport,
  sse: sseTransport,
}

/** What the loop tells the session that runs it, and needs from it. */
export interface LoopHost {
  readonly url: string
  readonly context: ClientContext
  readonly options: ResolvedReadOptions
  /** The session's signal: cancel, or the caller's abort. */
  readonly signal: AbortSignal
  readonly facts: ReadFacts
  setStatus(status: "catching-up" | "live" | "backoff"): void
  /** A request of `transport` is about to go out. */
  connecting(transport: TransportName): void
  /** The server answered a request of `transport`: response headers, or an SSE control event. */
  answered(transport: TransportName): void
  /** The session is setting up its connection again; `error` is what it lost it to, if anything. */
  reconnecting(error: DurableStreamError | undefined): void
  /** Live requests went on hold, or (undefined) may go on. */
  paused(reason: PauseReason | undefined): void
}

/**
 * Reads from an offset to the end of the session: plain catch-up GETs
 * until up to date, then the live transport, moving the position by the
 * pure rules of read-position.ts. When to wait, reconnect or switch
 * transport is the supervisor's call (live-supervisor.ts).
 */
export async function* readLoop(host: LoopHost): AsyncGenerator<StreamChunk> {
  // One generator for the whole read: an idle live session is suspended in
  // it, and every extra generator in the chain is one more frame it keeps.
  const supervisor = new LiveSupervisor({
    live: host.options.live,
    lifecycle: host.options.lifecycle,
    retry: host.context.retry,
    signal: host.signal,
    onBackoff: () => host.setStatus("backoff"),
    onPause: (reason) => host.paused(reason),
  })
  let position = startPosition(host.options.offset)
  try {
    const { url, options, facts } = host
    const live = options.live
    const recovery = new Recovery(host.context, {
      signal: host.signal,
      onError: options.onError,
      onBackoff: (error) => host.reconnecting(error),
      wait: (delayMs) => supervisor.backoff(delayMs),
    })
    supervisor.start()
    let phase: "catch-up" | "live" = "catch-up"
    /** The next connection replaces one that was lost (and `lost` is why, when it failed). */
    let reconnect = false
    let lost: DurableStreamError | undefined
    const preferred = live === "long-poll" ? "long-poll" : "sse"
    for (;;) {
      const name: TransportName =
        phase === "catch-up" ? "catch-up" : supervisor.liveTransport(preferred, facts.streamingBodies)
      if ((await supervisor.ready(name)) && name !== "catch-up") {
        // Back from a pause: whatever happened meanwhile is read with cacheable GETs first.
        phase = "catch-up"
        continue
      }
      host.setStatus(name !== "catch-up" && position.upToDate ? "live" : "catching-up")
      if (reconnect) host.reconnecting(lost)
      reconnect = false
      lost = undefined
      host.connecting(name)
      const connection = supervisor.open(name)
      let openedAt = Date.now()
      let delivered = false
      const context: TransportContext = {
        url,
        position: () => position,
        facts,
        signal: connection.signal,
        longPollTimeoutMs: options.longPollTimeoutMs,
        sseIdleMs: host.context.timeouts.sseIdleMs,
        maxSseBufferBytes: options.maxSseBufferBytes,
        get: (liveParam, plan) => {
          const params: Record<string, string> = { offset: position.offset }
          if (liveParam !== undefined) {
            params.live = liveParam
            // PROTOCOL §8.1: echo the cursor on live requests (CDN collapsing).
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
              signal: connection.signal,
              connection,
              offset: position.offset,
              followRedirects: options.followRedirects,
            },
            recovery
          )
        },
        opened: () => {
          openedAt = Date.now()
          host.answered(name)
        },
      }
      const transport = TRANSPORTS[name](context)
      let end: ConnectionEnd | undefined
      try {
        for (;;) {
          const next = await transport.next()
          if (next.done) {
            end = next.value
            break
          }
          if (name === "sse") host.answered(name)
          const step = advance(position, next.value, url, name !== "sse")
          if (next.value.data.length > 0 || step.position.offset !== position.offset) delivered = true
          position = step.position
          if (name === "sse") recovery.succeeded()
          // A live session is live from the answer that caught it up, whichever transport gave it.
          if (live !== false && position.upToDate) host.setStatus("live")
          if (step.chunk) {
            yield step.chunk
            if (step.chunk.closed) return
          }
          if (step.idle) await supervisor.backoff(backoffDelay(host.context.retry, position.idleAnswers - 1))
        }
      } catch (error) {
        // A connection the supervisor ended fails with ABORTED; the session goes on.
        if (connection.interrupted === undefined) throw error
      } finally {
        connection.close()
        await transport.return(undefined as never)
      }
      if (connection.interrupted !== undefined) {
        // Paused, woken from sleep, or back online: the connection is gone or
        // stale. Once live requests may go out again, catch up from the
        // position, then go live.
        await supervisor.ready(preferred)
        phase = "catch-up"
        reconnect = true
        continue
      }
      if (end === undefined) continue // only an interrupted connection ends without one
      if (end.kind === "unsupported") {
        facts.streamingBodies = false
        supervisor.sseUnsupported()
        continue
      }
      if (end.kind === "cut") {
        // A connection gone silent is reopened at once, like a long-poll that
        // timed out: silence is not a failure, and must not use up retries.
        if (end.error.code === "TIMEOUT") {
          reconnect = true
          lost = end.error
        } else {
          await recovery.recover(end.error)
        }
        continue
      }
      if (name === "catch-up") {
        if (position.upToDate) {
          if (live === false) return
          phase = "live"
        }
      } else if (name === "sse") {
        // PROTOCOL §5.7: servers end SSE connections every minute or so; reconnect from the last control event.
        await supervisor.sseEnded(openedAt, delivered)
        reconnect = true
      }
    }
  } catch (error) {
    throw toStreamError(error, host.url, { operation: "read", offset: position.offset, signal: host.signal })
  } finally {
    supervisor.stop()
  }
}
