import { AbortReason, linkedController } from "./abort"
import { aliasAsyncIterator } from "./async-iterator"
import { concatBytes } from "./bytes-util"
import { invalidArgument, isDurableStreamError } from "./errors"
import type { ClientContext } from "./http"
import type { LifecycleOptions } from "./lifecycle"
import type { LiveSharing } from "./live-sharing"
import { resolveReadOptions, type ResolvedReadOptions } from "./options"
import { readLoop } from "./read-loop"
import type { ReadOptions } from "./read-options"
import type { StreamChunk } from "./read-position"
import type { ReadFacts } from "./read-transport"
import { HealthTracker, notify, type SessionHealth, type SessionStatus } from "./session-health"
import { toStreamError } from "./stream-error"

export type { StreamChunk } from "./read-position"
export type { SessionHealth, SessionStatus } from "./session-health"

/** What the handle passes to a session besides the shared request context. */
export interface SessionContext extends ClientContext {
  /**
   * The stream's content type, when the handle already knows it. Otherwise
   * the catch-up responses tell it, before SSE needs it (for base64).
   */
  contentType: string | undefined
  /** The handle's lifecycle options, which the read's own replace key by key. */
  lifecycle?: LifecycleOptions | undefined
}

/**
 * One read of a stream from an offset: the consumer's side. Pull-based:
 * nothing is requested until the consumer asks for data, and the next
 * request waits until the consumer has taken the previous chunk, so a slow
 * consumer slows the reader instead of filling memory. The reading itself
 * is read-loop.ts.
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

  readonly url: string
  private readonly controller: AbortController
  private readonly releaseSignal: () => void
  private readonly userSignal: AbortSignal | undefined
  /** Created by the first listener: most sessions never get one, and an empty Set is not free. */
  private statusListeners: Set<(status: SessionStatus) => void> | undefined
  private readonly healthTracker: HealthTracker
  private readonly facts: ReadFacts
  private started = false
  private cancelled = false
  private generator: AsyncGenerator<StreamChunk> | undefined
  private readonly options: ResolvedReadOptions

  constructor(
    private readonly context: SessionContext,
    given?: ReadOptions
  ) {
    this.url = context.url
    this.healthTracker = new HealthTracker(this.url)
    const options = resolveReadOptions(context, given)
    this.options = options
    this.offset = options.offset
    this.facts = { contentType: context.contentType, streamingBodies: true, redirectedUrl: undefined }
    this.userSignal = options.signal
    const linked = linkedController(options.signal)
    this.controller = linked.controller
    this.releaseSignal = linked.dispose
  }

  /**
   * How the read is doing, for an app to show: status, transport, pause,
   * last answer, reconnects, last error. A new snapshot on every change.
   */
  get health(): SessionHealth {
    return this.healthTracker.snapshot
  }

  /**
   * Listens for health changes (status, transport, pause, an answer,
   * reconnects, errors); returns a function that stops listening. A
   * listener that throws never disturbs the session.
   */
  onHealthChange(listener: (health: SessionHealth) => void): () => void {
    return this.healthTracker.subscribe(listener)
  }

  /** The stream's content type, once known. */
  get contentType(): string | undefined {
    return this.facts.contentType
  }

  /** With `followRedirects`: the URL the last response came from, when a redirect led there. */
  get redirectedUrl(): string | undefined {
    return this.facts.redirectedUrl
  }

  /** Listens for status changes; returns a function that stops listening. A listener that throws never disturbs the session. */
  onStatusChange(listener: (status: SessionStatus) => void): () => void {
    const listeners = (this.statusListeners ??= new Set())
    listeners.add(listener)
    return () => listeners.delete(listener)
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
  forEach(handler: (chunk: StreamChunk) => void | Promise<void>): Promise<void> {
    return this.consume(handler)
  }

  /** @deprecated Use `forEach(handler)`: `subscribe` names a change listener in every layer (see the root README). */
  subscribe(handler: (chunk: StreamChunk) => void | Promise<void>): Promise<void> {
    return this.consume(handler)
  }

  private async consume(handler: (chunk: StreamChunk) => void | Promise<void>): Promise<void> {
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

  /**
   * Next chunk, turning a cancel into a quiet end and recording failures.
   * Not an async function: an idle session waits here, and an async
   * function's suspended frame is one more thing it would hold.
   */
  private pull(generator: AsyncGenerator<StreamChunk>): Promise<IteratorResult<StreamChunk>> {
    if (this.cancelled) return Promise.resolve({ done: true, value: undefined })
    return generator.next().then(
      (result): IteratorResult<StreamChunk> => {
        if (result.done) {
          this.releaseSignal()
          this.setStatus("closed")
        }
        return result
      },
      (error: unknown): IteratorResult<StreamChunk> => {
        if (this.cancelled && !this.userSignal?.aborted) return { done: true, value: undefined }
        this.releaseSignal()
        if (isDurableStreamError(error)) this.healthTracker.update({ lastError: error })
        this.setStatus("error")
        throw error
      }
    )
  }

  private commit(chunk: StreamChunk): void {
    this.offset = chunk.offset
    this.upToDate = chunk.upToDate
    this.closed = chunk.closed
    if (chunk.cursor !== undefined) this.cursor = chunk.cursor
    this.healthTracker.update({ upToDate: chunk.upToDate })
  }

  private setStatus(status: SessionStatus): void {
    // A finished session stays finished.
    if (this.status === status || this.status === "closed" || this.status === "error") return
    this.status = status
    this.healthTracker.update({ status })
    if (this.statusListeners) notify(this.url, "an onStatusChange listener", this.statusListeners, status)
  }

  /**
   * The chunks of this read. Not a generator itself: it hands out the read
   * loop's (or the sharing's) own, so an idle session keeps one suspended
   * frame fewer.
   */
  private produce(): AsyncGenerator<StreamChunk> {
    const sharing = this.options.shareAcrossTabs
    if (sharing && this.options.live !== false) return this.produceShared(sharing)
    const health = this.healthTracker
    return readLoop({
      url: this.url,
      context: this.context,
      options: this.options,
      signal: this.controller.signal,
      facts: this.facts,
      setStatus: (status) => this.setStatus(status),
      connecting: (transport) => {
        // Long-poll always works once chosen; SSE counts only once a connection opened.
        if (transport === "long-poll") this.liveTransport = transport
        health.update({ transport })
      },
      answered: (transport) => {
        if (transport !== "catch-up") this.liveTransport = transport
        health.update({ lastResponseAt: Date.now() })
      },
      reconnecting: (error) =>
        health.update({ reconnects: health.snapshot.reconnects + 1, lastError: error ?? health.snapshot.lastError }),
      paused: (reason) => {
        health.update({ paused: reason })
        if (reason !== undefined) this.setStatus("paused")
      },
    })
  }

  private async *produceShared(sharing: LiveSharing): AsyncGenerator<StreamChunk> {
    const lifecycle = this.options.lifecycle
    const shared = sharing.run({
      url: this.url,
      offset: this.offset,
      live: this.options.live,
      signal: this.controller.signal,
      read: (offset, live, overrides) =>
        new ReadSession(this.context, {
          ...this.options,
          offset,
          live,
          shareAcrossTabs: undefined,
          signal: this.controller.signal,
          // The sources this session resolved, as given: nothing to detect again.
          lifecycle: {
            visibility: lifecycle.visibility ?? false,
            appState: lifecycle.appState ?? false,
            online: lifecycle.online ?? false,
            pauseWhenHidden: overrides?.pauseWhenHidden ?? lifecycle.pauseWhenHidden,
            wakeCheckMs: lifecycle.wakeCheckMs ?? false,
            wakeGapMs: lifecycle.wakeGapMs,
          },
        }),
    })
    for await (const chunk of shared) {
      this.setStatus(chunk.upToDate ? "live" : "catching-up")
      this.healthTracker.update({ lastResponseAt: Date.now() })
      yield chunk
    }
  }
}

// `for await` over a session in React Native, where Hermes lacks Symbol.asyncIterator.
aliasAsyncIterator(ReadSession.prototype)
