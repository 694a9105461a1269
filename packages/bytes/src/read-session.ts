import { AbortReason, linkedController, sleep } from "./abort"
import { aliasAsyncIterator } from "./async-iterator"
import { decodeBase64 } from "./base64"
import { concatBytes, joinJsonArrays } from "./bytes-util"
import { DurableStreamError, invalidArgument } from "./errors"
import {
  Recovery,
  execute,
  toStreamError,
  type ClientContext,
  type OnError,
  type RequestPlan,
} from "./http"
import { H, flagHeader, isJsonContentType, mediaType } from "./protocol-headers"
import type { HeadersRecord, ParamsRecord } from "./request-values"
import { DEFAULTS } from "./defaults"
import { resolveReadOptions, type ResolvedReadOptions } from "./options"
import { backoffDelay } from "./retry"
import { readSseEvents } from "./sse-events"

/**
 * `false`: catch up and stop. `"long-poll"` / `"sse"`: catch up and tail with
 * that transport. `"auto"`: catch up with plain (cacheable) GETs, then tail
 * by SSE, falling back to long-poll where SSE cannot work.
 */
export type LiveMode = false | "long-poll" | "sse" | "auto"

export type SessionStatus =
  | "connecting"
  | "catching-up"
  | "live"
  | "backoff"
  | "closed"
  | "error"

export interface ReadOptions {
  /** Where to start: `"-1"` (default, the beginning), `"now"` (the tail) or a saved offset. */
  offset?: string
  live?: LiveMode
  signal?: AbortSignal
  /** Extra headers for this session; functions run on every request. */
  headers?: HeadersRecord
  params?: ParamsRecord
  /** Replaces the handle's `onError` for this session. */
  onError?: OnError
  /**
   * Client-side limit for one long-poll request, replacing the handle's
   * `timeouts.longPollMs` for this session. It must exceed the server's wait
   * (30 s on the reference server); on expiry the poll is simply reissued.
   */
  longPollTimeoutMs?: number
  /**
   * Follow HTTP redirects to where the stream moved. Off by default: a
   * redirect fails the read with REDIRECTED. When on, `redirectedUrl` says
   * where the session ended up reading.
   */
  followRedirects?: boolean
  /**
   * Most bytes an SSE connection may send between two control events before
   * the session fails with PROTOCOL_VIOLATION. Default 32 MiB.
   */
  maxSseBufferBytes?: number
  /**
   * Share one live connection among the browser tabs reading this stream:
   * pass `tabSharing()` from `@durable-client/bytes/tab-sharing`. Kept out of
   * the main entry so apps that don't use it don't ship it.
   */
  shareAcrossTabs?: LiveSharing
}

/**
 * Produces a session's chunks by coordinating with other readers (e.g. other
 * tabs). It gets private, unshared reads of the same stream to do the work.
 */
export interface LiveSharing {
  run(context: SharedReadContext): AsyncGenerator<StreamChunk>
}

export interface SharedReadContext {
  url: string
  /** Where this session starts. */
  offset: string
  live: LiveMode
  /** Aborts when the session is cancelled. */
  signal: AbortSignal
  /** An unshared read of the same stream with the session's headers, params and retries. */
  read(offset: string, live: LiveMode): AsyncIterable<StreamChunk>
}

export interface StreamChunk {
  /** Bytes of this chunk; for JSON streams, one JSON array of messages. */
  data: Uint8Array
  /** Resume point after this chunk: save it to continue exactly here. */
  offset: string
  /** Caught up with the tail for now (not end of stream). */
  upToDate: boolean
  /** The stream is closed and this is its end: no more data will come. */
  closed: boolean
  cursor?: string
}

/** What the handle passes to a session besides the shared request context. */
export interface SessionContext extends ClientContext {
  /** The stream's content type, when the handle already knows it. */
  contentType: string | undefined
  /** Learns the content type with a HEAD when SSE needs it and nothing told us yet. */
  lookupContentType: (signal: AbortSignal) => Promise<string | undefined>
}

/** SSE connections shorter than this count as "dying young" (buffering proxies). */
const SHORT_CONNECTION_MS = 1000
/** After this many short SSE connections in a row, `auto` switches to long-poll. */
const SHORT_CONNECTIONS_BEFORE_FALLBACK = 3

type Phase = "catch-up" | "long-poll" | "sse"

interface Position {
  offset: string
  cursor: string | undefined
  upToDate: boolean
}

/**
 * One read of a stream from an offset. Pull-based: nothing is requested until
 * the consumer asks for data, and the next request waits until the consumer
 * has taken the previous chunk, so a slow consumer slows the reader instead
 * of filling memory.
 */
export class ReadSession implements AsyncIterable<StreamChunk> {
  /**
   * Checkpoint: the offset after the last chunk delivered to the consumer
   * (handed out by the iterator, or fully handled by a `subscribe` handler).
   */
  offset: string
  cursor: string | undefined
  upToDate = false
  /** The stream has been read to its end (it is closed). */
  closed = false
  status: SessionStatus = "connecting"
  /** Live transport in use once live: `"sse"` or `"long-poll"`. */
  liveTransport: "sse" | "long-poll" | undefined
  /** The stream's content type, once known. */
  contentType: string | undefined
  /** With `followRedirects`: the URL the last response came from, when a redirect led there. */
  redirectedUrl: string | undefined

  readonly url: string
  private readonly live: LiveMode
  private readonly controller: AbortController
  private readonly releaseSignal: () => void
  private readonly userSignal: AbortSignal | undefined
  private readonly statusListeners = new Set<(status: SessionStatus) => void>()
  private readonly recovery: Recovery
  private started = false
  private cancelled = false
  private generator: AsyncGenerator<StreamChunk> | undefined
  /** Where the next request reads from; runs ahead of `offset` by at most the chunk being handed over. */
  private position: Position
  private streamingBodies = true
  /** Answers in a row that moved nothing (see `DEFAULTS.maxNoProgressResponses`). */
  private idleAnswers = 0
  private readonly options: ResolvedReadOptions

  constructor(
    private readonly context: SessionContext,
    given?: ReadOptions
  ) {
    this.url = context.url
    const options = resolveReadOptions(context, given)
    this.options = options
    this.offset = options.offset
    this.live = options.live
    this.contentType = context.contentType
    this.position = { offset: this.offset, cursor: undefined, upToDate: false }
    this.userSignal = options.signal
    const linked = linkedController(options.signal)
    this.controller = linked.controller
    this.releaseSignal = linked.dispose
    this.recovery = new Recovery(context, {
      signal: this.controller.signal,
      onError: options.onError,
      onBackoff: () => this.setStatus("backoff"),
    })
  }

  /** Listens for status changes; returns a function that stops listening. */
  onStatusChange(listener: (status: SessionStatus) => void): () => void {
    this.statusListeners.add(listener)
    return () => this.statusListeners.delete(listener)
  }

  /**
   * Ends the session: aborts the request in flight, clears timers and ends
   * iteration without an error. Resolves once nothing is left running.
   */
  async cancel(): Promise<void> {
    if (this.cancelled) return
    this.cancelled = true
    this.controller.abort(new AbortReason("cancel"))
    this.releaseSignal()
    this.setStatus("closed")
    await this.generator?.return(undefined).catch(() => undefined)
  }

  [Symbol.asyncIterator](): AsyncIterator<StreamChunk> {
    const generator = this.claim("iterate")
    return {
      next: async () => {
        const result = await this.pull(generator)
        if (!result.done) this.commit(result.value)
        return result
      },
      return: async () => {
        await this.cancel()
        return { done: true, value: undefined }
      },
    }
  }

  /**
   * Calls `handler` for each chunk, waiting for async handlers before reading
   * on (backpressure). The checkpoint `offset` advances only after the
   * handler finished. Resolves at end of stream or `cancel()`; rejects with
   * the session's error, or the handler's.
   */
  async subscribe(handler: (chunk: StreamChunk) => void | Promise<void>): Promise<void> {
    const generator = this.claim("subscribe")
    for (;;) {
      const result = await this.pull(generator)
      if (result.done) return
      try {
        await handler(result.value)
      } catch (error) {
        // Listeners hear "error" first; cancel() then leaves a finished session alone.
        this.setStatus("error")
        await this.cancel()
        throw error
      }
      this.commit(result.value)
    }
  }

  /** Reads to the end of this session (up to date for `live: false`) and returns every byte. */
  async bytes(): Promise<Uint8Array> {
    const parts: Uint8Array[] = []
    for await (const chunk of this) parts.push(chunk.data)
    this.throwIfAbortedByCaller()
    return concatBytes(parts)
  }

  async text(): Promise<string> {
    return new TextDecoder().decode(await this.bytes())
  }

  private throwIfAbortedByCaller(): void {
    if (this.userSignal?.aborted) {
      throw toStreamError(this.userSignal.reason, this.url, {
        operation: "read",
        offset: this.offset,
        signal: this.userSignal,
      })
    }
  }

  private claim(kind: string): AsyncGenerator<StreamChunk> {
    if (this.started) {
      throw invalidArgument(
        this.url,
        `a read session has one consumer and is already being consumed (tried to ${kind}); start another read() instead`,
        "read"
      )
    }
    this.started = true
    this.generator = this.produce()
    return this.generator
  }

  /** Next chunk, turning a cancel into a quiet end and recording failures. */
  private async pull(generator: AsyncGenerator<StreamChunk>): Promise<IteratorResult<StreamChunk>> {
    if (this.cancelled) return { done: true, value: undefined }
    try {
      const result = await generator.next()
      if (result.done) {
        this.releaseSignal()
        this.setStatus("closed")
      }
      return result
    } catch (error) {
      if (this.cancelled && !this.userSignal?.aborted) return { done: true, value: undefined }
      this.releaseSignal()
      this.setStatus("error")
      throw error
    }
  }

  private commit(chunk: StreamChunk): void {
    this.offset = chunk.offset
    this.upToDate = chunk.upToDate
    this.closed = chunk.closed
    if (chunk.cursor !== undefined) this.cursor = chunk.cursor
  }

  private setStatus(status: SessionStatus): void {
    // A finished session stays finished.
    if (this.status === status || this.status === "closed" || this.status === "error") return
    this.status = status
    for (const listener of this.statusListeners) listener(status)
  }

  private async *produce(): AsyncGenerator<StreamChunk> {
    const sharing = this.options.shareAcrossTabs
    if (sharing && this.live !== false) {
      const shared = sharing.run({
        url: this.url,
        offset: this.offset,
        live: this.live,
        signal: this.controller.signal,
        read: (offset, live) =>
          new ReadSession(this.context, {
            ...this.options,
            offset,
            live,
            shareAcrossTabs: undefined,
            signal: this.controller.signal,
          }),
      })
      for await (const chunk of shared) {
        this.setStatus(chunk.upToDate ? "live" : "catching-up")
        yield chunk
      }
      return
    }
    let phase: Phase = this.live === "long-poll" || this.live === "sse" ? this.live : "catch-up"
    try {
      for (;;) {
        if (phase === "sse" && !this.streamingBodies) phase = "long-poll"
        if (phase === "sse") {
          const outcome = yield* this.runSse()
          if (outcome === "closed") return
          phase = "long-poll" // SSE cannot work here; keep going by long-poll
          continue
        }
        const chunk = await this.fetchChunk(phase)
        // Set before handing the chunk over, so a consumer sees the transport
        // that delivered it (a long-poll session's first poll included).
        if (phase === "long-poll") this.liveTransport = "long-poll"
        if (chunk) yield chunk
        if (chunk?.closed) return
        if (phase === "catch-up" && this.position.upToDate) {
          if (this.live === false) return
          phase = this.live === "auto" ? "sse" : this.live
        }
        if (phase === "long-poll") this.liveTransport = "long-poll"
      }
    } catch (error) {
      throw toStreamError(error, this.url, {
        operation: "read",
        offset: this.position.offset,
        signal: this.controller.signal,
      })
    }
  }

  /** One catch-up or long-poll request; returns a chunk worth delivering, if any. */
  private async fetchChunk(phase: "catch-up" | "long-poll"): Promise<StreamChunk | undefined> {
    this.setStatus(phase === "long-poll" && this.position.upToDate ? "live" : "catching-up")
    const response = await this.get(
      phase === "long-poll" ? "long-poll" : undefined,
      {
        timeoutMs: phase === "long-poll" ? this.options.longPollTimeoutMs : undefined,
        okStatuses: phase === "long-poll" ? [200, 204] : [200],
        reissueOnTimeout: phase === "long-poll",
        handle: async (res, reader) => {
          const streamed = res.body != null
          // Read the whole body inside the attempt: a cut body is retried, never half-delivered.
          const data = res.status === 204 ? (reader.discard(), new Uint8Array(0)) : await reader.bytes()
          // Data that came without a body stream means this fetch cannot stream (React
          // Native's has no `body` at all). An empty body may legitimately have none.
          if (!streamed && data.length > 0) this.streamingBodies = false
          if (res.redirected && res.url) this.redirectedUrl = res.url
          return { headers: res.headers, status: res.status, data }
        },
      }
    )
    const headers = response.headers
    const contentType = headers.get(H.contentType)
    if (contentType && response.status === 200) this.contentType = contentType
    const nextOffset = headers.get(H.nextOffset)
    if (nextOffset === null || nextOffset === "") {
      throw new DurableStreamError(
        "PARSE_ERROR",
        `Reading stream ${this.url} at offset ${this.position.offset}: response has no Stream-Next-Offset header`,
        { url: this.url, operation: "read", offset: this.position.offset, status: response.status }
      )
    }
    const closed = flagHeader(headers, H.closed)
    const upToDate = closed || response.status === 204 || flagHeader(headers, H.upToDate)
    if (response.data.length === 0 && nextOffset === this.position.offset && !upToDate) {
      await this.afterIdleAnswer()
    } else {
      this.idleAnswers = 0
    }
    return this.advance({
      data: response.data,
      offset: nextOffset,
      upToDate,
      closed,
      cursor: headers.get(H.cursor) ?? undefined,
    })
  }

  /**
   * An answer with no data, no new offset and no "up to date" tells the
   * client nothing, and asking again at once would spin (thousands of
   * requests a second were measured). Back off like a retry; after a run of
   * them, the server is broken for this stream: fail typed.
   */
  private async afterIdleAnswer(): Promise<void> {
    this.idleAnswers++
    if (this.idleAnswers > DEFAULTS.maxNoProgressResponses) {
      throw new DurableStreamError(
        "PROTOCOL_VIOLATION",
        `Reading stream ${this.url} at offset ${this.position.offset}: ${this.idleAnswers} answers in a row brought no data, no new offset and no Stream-Up-To-Date`,
        { url: this.url, operation: "read", offset: this.position.offset }
      )
    }
    this.setStatus("backoff")
    await sleep(backoffDelay(this.context.retry, this.idleAnswers - 1), this.controller.signal)
  }

  /**
   * One GET from the current position: `live` picks the mode, the cursor is
   * echoed in live modes, and the session's headers, params, signal and
   * retry state apply.
   */
  private get<T>(
    live: "long-poll" | "sse" | undefined,
    plan: Pick<RequestPlan<T>, "okStatuses" | "handle" | "timeoutMs" | "reissueOnTimeout" | "successResetsRetries">
  ): Promise<T> {
    const params: Record<string, string> = { offset: this.position.offset }
    if (live !== undefined) {
      params.live = live
      if (this.position.cursor !== undefined) params.cursor = this.position.cursor
    }
    return execute(
      this.context,
      {
        ...plan,
        operation: "read",
        method: "GET",
        params,
        extraHeaders: this.options.headers,
        extraParams: this.options.params,
        signal: this.controller.signal,
        offset: this.position.offset,
        followRedirects: this.options.followRedirects,
      },
      this.recovery
    )
  }

  /**
   * Moves the read position; returns the chunk if the consumer should see it:
   * it has data, moves the offset, or is news (just caught up, end of stream).
   */
  private advance(chunk: StreamChunk): StreamChunk | undefined {
    const previous = this.position
    if (isBehind(chunk.offset, previous.offset)) {
      // Offsets of one stream sort lexicographically (G-07): going back would
      // deliver the same data again, forever.
      throw new DurableStreamError(
        "PROTOCOL_VIOLATION",
        `Reading stream ${this.url}: the server answered offset ${previous.offset} with next offset ${chunk.offset}, which is behind it`,
        { url: this.url, operation: "read", offset: previous.offset }
      )
    }
    const cursor = chunk.cursor ?? previous.cursor
    this.position = { offset: chunk.offset, cursor, upToDate: chunk.upToDate }
    if (cursor !== undefined) chunk.cursor = cursor
    const moved = chunk.offset !== previous.offset
    if (chunk.data.length > 0 || chunk.closed || moved || (chunk.upToDate && !previous.upToDate)) {
      return chunk
    }
    return undefined
  }

  /**
   * Tails by SSE until the stream closes ("closed") or SSE proves unusable
   * here ("fallback"). Reconnects from the last control event's offset and
   * cursor when the server ends a connection, as servers do every minute or so.
   */
  private async *runSse(): AsyncGenerator<StreamChunk, "closed" | "fallback"> {
    let shortConnections = 0
    if (this.contentType === undefined) {
      this.contentType = await this.context.lookupContentType(this.controller.signal)
    }
    for (;;) {
      this.setStatus(this.position.upToDate ? "live" : "catching-up")
      const { response, connection } = await this.get("sse", {
        okStatuses: [200],
        successResetsRetries: false,
        handle: async (res, reader) => ({ response: res, connection: reader.hold() }),
      })
      const body = response.body
      if (body == null) {
        connection.release()
        // No streaming bodies here (React Native's fetch: null or no property): SSE cannot work.
        this.streamingBodies = false
        return "fallback"
      }
      if (response.redirected && response.url) this.redirectedUrl = response.url
      this.liveTransport = "sse"
      const openedAt = Date.now()
      const base64 = this.sseUsesBase64(response.headers)
      const idleMs = this.context.timeouts.sseIdleMs
      let parts: Array<Uint8Array | string> = []
      let buffered = 0
      try {
        // The watchdog: any byte (data, control, a comment) proves the connection alive.
        connection.touch(idleMs)
        const events = readSseEvents(body, { signal: connection.signal, onBytes: () => connection.touch(idleMs) })
        for await (const event of events) {
          if (event.event === "data") {
            buffered += event.data.length
            if (buffered > this.options.maxSseBufferBytes) throw this.bufferOverflow(buffered)
            parts.push(base64 ? this.decodeSseData(event.data) : event.data)
          } else if (event.event === "control") {
            const chunk = this.advance(this.controlChunk(event.data, parts))
            parts = []
            buffered = 0
            this.recovery.succeeded()
            if (this.position.upToDate) this.setStatus("live")
            if (chunk) yield chunk
            if (chunk?.closed) return "closed"
          }
          // Unknown event types are extensions: ignored.
        }
      } catch (caught) {
        // Data after the last control event is dropped: the server resends it from that offset.
        const error = toStreamError(caught, this.url, {
          operation: "read",
          offset: this.position.offset,
          signal: this.controller.signal,
        })
        // A connection gone silent is reopened at once, like a long-poll that
        // timed out: silence is not a failure, and must not use up retries.
        if (error.code !== "TIMEOUT") await this.recovery.recover(error)
        continue
      } finally {
        connection.release()
      }
      // The server ended the connection without closing the stream: reconnect.
      if (Date.now() - openedAt < SHORT_CONNECTION_MS) {
        shortConnections++
        if (this.live === "auto" && shortConnections >= SHORT_CONNECTIONS_BEFORE_FALLBACK) {
          return "fallback"
        }
        // Do not hammer a server or proxy that keeps cutting us off.
        this.setStatus("backoff")
        await sleep(backoffDelay(this.context.retry, shortConnections - 1), this.controller.signal)
      } else {
        shortConnections = 0
      }
    }
  }

  /**
   * The server says so with `Stream-SSE-Data-Encoding: base64`. Cross-origin
   * browsers may not be allowed to read that header, so a known binary
   * content type (neither text/* nor JSON) also means base64: servers must
   * encode those.
   */
  private sseUsesBase64(headers: Headers): boolean {
    const declared = headers.get(H.sseEncoding)
    if (declared !== null) return declared.trim().toLowerCase() === "base64"
    if (this.contentType === undefined) return false
    const type = mediaType(this.contentType)
    return !type.startsWith("text/") && type !== "application/json"
  }

  private bufferOverflow(buffered: number): DurableStreamError {
    return new DurableStreamError(
      "PROTOCOL_VIOLATION",
      `Reading stream ${this.url} by SSE after offset ${this.position.offset}: ${buffered} bytes of data arrived without a control event (limit maxSseBufferBytes = ${this.options.maxSseBufferBytes})`,
      { url: this.url, operation: "read", offset: this.position.offset }
    )
  }

  private decodeSseData(data: string): Uint8Array {
    const bytes = decodeBase64(data)
    if (bytes === undefined) {
      throw new DurableStreamError(
        "PARSE_ERROR",
        `Reading stream ${this.url} by SSE after offset ${this.position.offset}: data event is not valid base64`,
        { url: this.url, operation: "read", offset: this.position.offset }
      )
    }
    return bytes
  }

  private controlChunk(data: string, parts: Array<Uint8Array | string>): StreamChunk {
    let control: unknown
    try {
      control = JSON.parse(data)
    } catch {
      control = undefined
    }
    const fields = (control ?? {}) as {
      streamNextOffset?: unknown
      streamCursor?: unknown
      upToDate?: unknown
      streamClosed?: unknown
    }
    if (
      typeof control !== "object" ||
      control === null ||
      typeof fields.streamNextOffset !== "string" ||
      fields.streamNextOffset === ""
    ) {
      throw new DurableStreamError(
        "PARSE_ERROR",
        `Reading stream ${this.url} by SSE after offset ${this.position.offset}: malformed control event ${JSON.stringify(data.slice(0, 200))}`,
        { url: this.url, operation: "read", offset: this.position.offset }
      )
    }
    const closed = fields.streamClosed === true
    return {
      data: isJsonContentType(this.contentType) ? joinJsonArrays(parts) : concatBytes(parts),
      offset: fields.streamNextOffset,
      upToDate: closed || fields.upToDate === true,
      closed,
      cursor: typeof fields.streamCursor === "string" ? fields.streamCursor : undefined,
    }
  }
}

/**
 * True when `next` sorts before `previous`: an offset going backwards.
 * The sentinels "-1" (start) and "now" (tail) are not positions.
 */
function isBehind(next: string, previous: string): boolean {
  return previous !== "-1" && previous !== "now" && next < previous
}

// `for await` over a session in React Native, where Hermes lacks Symbol.asyncIterator.
aliasAsyncIterator(ReadSession.prototype)
