import { AbortReason } from "./abort"
import { aliasAsyncIterator } from "./async-iterator"
import { concatBytes } from "./bytes-util"
import { invalidArgument, isDurableStreamError, type DurableStreamError } from "./errors"
import type { ClientContext } from "./http"
import type { LifecycleOptions } from "./lifecycle"
import type { PauseReason } from "./live-supervisor"
import { resolveReadOptions, type ResolvedReadOptions } from "./options"
import { ReadMachine } from "./read-machine"
import type { LiveMode, ReadOptions } from "./read-options"
import type { StreamChunk } from "./read-position"
import type { TransportName } from "./read-transport"
import { INITIAL_HEALTH, notify, type SessionHealth, type SessionStatus } from "./session-health"
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

type Handler = (chunk: StreamChunk) => void | Promise<void>

/**
 * One read of a stream from an offset: the consumer's side. Pull-based:
 * nothing is requested until the consumer asks for data, and the next
 * request waits until the consumer has taken the previous chunk, so a slow
 * consumer slows the reader instead of filling memory. The reading itself
 * is the state machine it extends (read-machine.ts): a session is one
 * object, whatever it is doing.
 */
export class ReadSession extends ReadMachine implements AsyncIterable<StreamChunk> {
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
  /** Created by the first listener: most sessions never get one, and an empty Set is not free. */
  private _statusListeners: Set<(status: SessionStatus) => void> | undefined
  /** The health snapshot: a new frozen object on every change (so `useSyncExternalStore` and friends can compare by identity). */
  private _health: SessionHealth = INITIAL_HEALTH
  /** Created by the first listener (see `_statusListeners`). */
  private _healthListeners: Set<(health: SessionHealth) => void> | undefined
  private _started = false
  private _cancelled = false

  constructor(context: SessionContext, given?: ReadOptions) {
    const options = resolveReadOptions(context, given)
    super(context, options, context.contentType)
    this.url = context.url
    this.offset = options.offset
  }

  /**
   * How the read is doing, for an app to show: status, transport, pause,
   * last answer, reconnects, last error. A new snapshot on every change.
   */
  get health(): SessionHealth {
    return this._health
  }

  /**
   * Listens for health changes (status, transport, pause, an answer,
   * reconnects, errors); returns a function that stops listening. A
   * listener that throws never disturbs the session.
   */
  onHealthChange(listener: (health: SessionHealth) => void): () => void {
    const listeners = (this._healthListeners ??= new Set())
    listeners.add(listener)
    return () => listeners.delete(listener)
  }

  /** Listens for status changes; returns a function that stops listening. A listener that throws never disturbs the session. */
  onStatusChange(listener: (status: SessionStatus) => void): () => void {
    const listeners = (this._statusListeners ??= new Set())
    listeners.add(listener)
    return () => listeners.delete(listener)
  }

  /**
   * Ends the session: aborts the request in flight, clears timers and ends
   * iteration without an error. Resolves once nothing is left running.
   */
  async cancel(): Promise<void> {
    if (this._cancelled) return
    this._cancelled = true
    this._halt(new AbortReason("cancel"))
    this._setStatus("closed")
    await this._source?.return(undefined).catch(() => undefined)
  }

  [Symbol.asyncIterator](): AsyncIterator<StreamChunk> {
    this._claim("iterate")
    return {
      next: async () => {
        const result = await this._pull()
        if (!result.done) this._commit(result.value)
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
  forEach(handler: Handler): Promise<void> {
    return this._consume(handler)
  }

  /** @deprecated Use `forEach(handler)`: `subscribe` names a change listener in every layer (see the root README). */
  subscribe(handler: Handler): Promise<void> {
    return this._consume(handler)
  }

  /**
   * Not an async function nor a loop of pulls: an idle session waits in
   * here, and a suspended frame, or a pull's promise and reaction, is one
   * more thing it would hold. The machine calls the handler itself.
   */
  private _consume(handler: Handler): Promise<void> {
    try {
      this._claim("subscribe")
    } catch (error) {
      return Promise.reject(error)
    }
    return this._drain(handler)
  }

  protected _accepted(chunk: StreamChunk): void {
    this._commit(chunk)
  }

  protected _rejected(_error: unknown): Promise<void> {
    // Listeners hear "error" first; cancel() then leaves a finished session alone.
    this._setStatus("error")
    return this.cancel()
  }

  /** Reads to the end of this session (up to date for `live: false`) and returns every byte. */
  async bytes(): Promise<Uint8Array> {
    const parts: Uint8Array[] = []
    for await (const chunk of this) parts.push(chunk.data)
    this._throwIfAbortedByCaller()
    return concatBytes(parts)
  }

  async text(): Promise<string> {
    return new TextDecoder().decode(await this.bytes())
  }

  private _throwIfAbortedByCaller(): void {
    const signal = this._options.signal
    if (signal?.aborted) {
      throw toStreamError(signal.reason, this.url, { operation: "read", offset: this.offset, signal })
    }
  }

  private _claim(kind: string): void {
    if (this._started) {
      throw invalidArgument(
        this.url,
        `a read session has one consumer and is already being consumed (tried to ${kind}); start another read() instead`,
        "read"
      )
    }
    this._started = true
    const sharing = this._options.shareAcrossTabs
    if (sharing && this._options.live !== false) {
      const stop = (this._sourceStop = new AbortController())
      this._source = sharing.run({
        url: this.url,
        offset: this.offset,
        live: this._options.live,
        signal: stop.signal,
        read: (offset, live, overrides) => this._unshared(offset, live, stop.signal, overrides?.pauseWhenHidden),
      })
    }
  }

  /** Next chunk; a cancel is a quiet end. */
  private _pull(): Promise<IteratorResult<StreamChunk>> {
    return this._cancelled ? Promise.resolve({ done: true, value: undefined }) : this._nextChunk()
  }

  private _commit(chunk: StreamChunk): void {
    this.offset = chunk.offset
    this.upToDate = chunk.upToDate
    this.closed = chunk.closed
    if (chunk.cursor !== undefined) this.cursor = chunk.cursor
    this._report({ upToDate: chunk.upToDate })
  }

  protected _setStatus(status: SessionStatus): void {
    // A finished session stays finished.
    if (this.status === status || this.status === "closed" || this.status === "error") return
    this.status = status
    this._report({ status })
    if (this._statusListeners) notify(this.url, "an onStatusChange listener", this._statusListeners, status)
  }

  private _report(changes: Partial<SessionHealth>): void {
    const current = this._health as unknown as Record<string, unknown>
    if (!Object.keys(changes).some((key) => (changes as Record<string, unknown>)[key] !== current[key])) return
    this._health = Object.freeze({ ...this._health, ...changes })
    if (this._healthListeners) notify(this.url, "an onHealthChange listener", this._healthListeners, this._health)
  }

  protected _connecting(transport: TransportName): void {
    // Long-poll always works once chosen; SSE counts only once a connection opened.
    if (transport === "long-poll") this.liveTransport = transport
    this._report({ transport })
  }

  protected _answered(transport: TransportName): void {
    if (transport !== "catch-up") this.liveTransport = transport
    this._report({ lastResponseAt: Date.now() })
  }

  protected _reconnecting(error: DurableStreamError | undefined): void {
    const health = this._health
    this._report({ reconnects: health.reconnects + 1, lastError: error ?? health.lastError })
  }

  protected _paused(reason: PauseReason | undefined): void {
    this._report({ paused: reason })
    if (reason !== undefined) this._setStatus("paused")
  }

  protected _over(error: DurableStreamError | undefined): void {
    if (error && isDurableStreamError(error)) this._report({ lastError: error })
    this._setStatus(error ? "error" : "closed")
  }

  /** A read for the sharing: this session's options from `offset`, without sharing. */
  private _unshared(offset: string, live: LiveMode, signal: AbortSignal, pauseWhenHidden: boolean | undefined): ReadSession {
    const session = new ReadSession(this._context as SessionContext, { offset, live, signal })
    const lifecycle = this._options.lifecycle
    // This session's resolved options as they are (its lifecycle sources too: nothing to detect again).
    ;(session as unknown as { _options: ResolvedReadOptions })._options = {
      ...this._options,
      offset,
      live,
      shareAcrossTabs: undefined,
      signal,
      lifecycle: { ...lifecycle, pauseWhenHidden: pauseWhenHidden ?? lifecycle.pauseWhenHidden },
    }
    return session
  }

}

// `for await` over a session in React Native, where Hermes lacks Symbol.asyncIterator.
aliasAsyncIterator(ReadSession.prototype)
