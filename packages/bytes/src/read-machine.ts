import { AbortReason } from "./abort"
import { concatBytes } from "./bytes-util"
import { responseAnswer } from "./catch-up-transport"
import { DurableStreamError } from "./errors"
import { isRedirect, redirectError, resolveRequestValues, type ClientContext } from "./http"
import { LiveSupervisor } from "./live-supervisor"
import type { ResolvedReadOptions } from "./options"
import { advance, startPosition, type Answer, type ReadPosition, type Step, type StreamChunk } from "./read-position"
import type { ConnectionEnd, TransportName } from "./read-transport"
import { Recovery } from "./recovery"
import { buildUrl } from "./request-values"
import { errorFromResponse } from "./response-errors"
import { discardBody } from "./response-reader"
import { backoffDelay } from "./retry-policy"
import { bufferOverflow, controlAnswer, decodeData, usesBase64 } from "./sse-transport"
import { SseParser } from "./sse-events"
import { toStreamError } from "./stream-error"

/** Where the machine is between two steps. */
const enum State {
  /** Next: choose a transport and send a request. */
  Start,
  /** Something is under way (a request, a wait) and will call the machine back. */
  Busy,
  /** A catch-up or long-poll answer was handed out; the consumer's next pull ends that request. */
  Answered,
  /** An SSE connection is open; the consumer's next pull reads on. */
  Streaming,
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined })
const EMPTY = new Uint8Array(0)
const ignore = (): undefined => undefined

/**
 * A read as one state machine: plain catch-up GETs until up to date, then
 * the live transport (long-poll or SSE), moving the position by the pure
 * rules of read-position.ts; retries by the session's Recovery, waits and
 * reconnects by the supervisor it extends (live-supervisor.ts).
 *
 * Why a state machine and not an async generator: an idle live reader is
 * what apps hold thousands of, and all it should hold is its state (fields
 * of one object) and the request in flight. A suspended generator or async
 * function keeps its whole frame, each layer of them another, and each
 * `AbortSignal.any`-style link an event map; here the idle session is this
 * object, one AbortController for the request, one timer, and the promise
 * reaction that calls it back (`responded`, `streamed`).
 *
 * Pull-based: nothing is requested until the consumer asks (`nextChunk`),
 * and after a chunk is handed out nothing is read until it asks again, so a
 * slow consumer slows the reader instead of filling memory.
 */
export abstract class ReadMachine extends LiveSupervisor {
  /** Where the next request reads from, and what the server said last. */
  protected _position: ReadPosition
  /** The stream's content type: from the handle, then from each catch-up response. */
  contentType: string | undefined
  /** False once a response showed that this fetch cannot stream bodies (React Native). */
  protected _streamingBodies = true
  /** With `followRedirects`: where the last response came from, when a redirect led there. */
  redirectedUrl: string | undefined
  /** No more chunks: the next pull ends (with `failure`, if any). */
  protected _finished = false
  private _failure: DurableStreamError | undefined
  private _state = State.Start
  /** Caught up once: the next request is a live one. */
  private _caughtUp = false
  /** The next connection replaces one that was lost (and `lost` is why, when it failed). */
  private _reconnect = false
  private _lost: DurableStreamError | undefined
  private _openedAt = 0
  /** The connection brought data or moved the offset (an SSE connection that did is healthy however it ended). */
  private _delivered = false
  /**
   * Ends the request in flight. Kept for the next request until it is
   * aborted: a finished request's signal stays referenced from inside fetch
   * (Node's keeps it until a finalizer runs), so a new controller per
   * request would leave an idle reader holding the catch-up's as well.
   */
  private _controller: AbortController | undefined
  /** Requests sent with `controller`: renewed now and then, since fetch may hang a listener on it per request. */
  private _controllerUses = 0
  /** Numbers the requests: an answer to any but the latest is stale. */
  private _requestNo = 0
  /** The body being read (catch-up, long-poll) or the SSE connection's. */
  private _reader: ReadableStreamDefaultReader<Uint8Array> | undefined
  private _sse: SseParser | undefined
  private _decoder: TextDecoder | undefined
  /** SSE data since the last control event, and its size. */
  private _parts: Array<Uint8Array | string> = []
  private _buffered = 0
  private _base64 = false
  private _sseDone = false
  /** Created by the first failure: most sessions never have one. */
  private _recovery: Recovery | undefined
  /** With `shareAcrossTabs`: where chunks come from instead of requests (a sharing hands them out). */
  protected _source: AsyncGenerator<StreamChunk> | undefined
  /** Stops the sharing's own reads when this session ends. */
  protected _sourceStop: AbortController | undefined
  /** The caller's header and param values of the request in flight, kept out of error messages. */
  private _secrets: string[] | undefined
  private _resolveNext: ((result: IteratorResult<StreamChunk>) => void) | undefined
  private _rejectNext: ((error: unknown) => void) | undefined
  private _pending: Promise<IteratorResult<StreamChunk>> | undefined
  /** `forEach`'s handler: called with each chunk, instead of answering a pull with it. */
  private _sink: ((chunk: StreamChunk) => unknown) | undefined
  /** The handler is running: the machine waits, and an end waits for it. */
  private _feeding = false
  private _unlinkSignal: (() => void) | undefined

  constructor(context: ClientContext, options: ResolvedReadOptions, contentType: string | undefined) {
    super(context, options)
    this._position = startPosition(options.offset)
    this.contentType = contentType
    const signal = options.signal
    if (signal && !signal.aborted) {
      // The caller's signal, observed with one listener for the whole session.
      const onAbort = (): void => this._callerAborted()
      signal.addEventListener("abort", onAbort, { once: true })
      this._unlinkSignal = () => signal.removeEventListener("abort", onAbort)
    }
  }

  /** The status the session shows. */
  protected abstract _setStatus(status: "catching-up" | "live" | "backoff"): void
  /** A request of `transport` is about to go out. */
  protected abstract _connecting(transport: TransportName): void
  /** The server answered a request of `transport`: response headers, or an SSE control event. */
  protected abstract _answered(transport: TransportName): void
  /** The session is setting up its connection again; `error` is what it lost it to, if anything. */
  protected abstract _reconnecting(error: DurableStreamError | undefined): void
  /** The read is over: at its end (no error) or failed. */
  protected abstract _over(error: DurableStreamError | undefined): void
  /** `forEach`'s handler finished with `chunk`. */
  protected abstract _accepted(chunk: StreamChunk): void
  /** `forEach`'s handler failed; resolves once the session is cancelled. */
  protected abstract _rejected(error: unknown): Promise<void>

  protected _backingOff(): void {
    this._setStatus("backoff")
  }

  /** The next chunk, or the end. One pull at a time: a second waits for the first. */
  protected _nextChunk(): Promise<IteratorResult<StreamChunk>> {
    if (this._pending) return this._pending.then(() => this._nextChunk(), () => this._nextChunk())
    const pending = new Promise<IteratorResult<StreamChunk>>((resolve, reject) => {
      this._resolveNext = resolve
      this._rejectNext = reject
    })
    this._pending = pending
    this._kick()
    return pending
  }

  /**
   * Calls `handler` with each chunk, waiting for a promise it returns
   * before reading on; resolves at the end. Not a loop of pulls: an idle
   * reader holds this one promise, not a pull's promise and reaction too.
   */
  protected _drain(handler: (chunk: StreamChunk) => unknown): Promise<void> {
    this._sink = handler
    return new Promise<void>((resolve, reject) => {
      this._resolveNext = resolve as () => void
      this._rejectNext = reject
      this._kick()
    })
  }

  private _kick(): void {
    if (this._options.signal?.aborted && !this._finished) this._callerAborted()
    else this._run()
  }

  private _feed(chunk: StreamChunk): void {
    this._feeding = true
    let returned: unknown
    try {
      returned = this._sink!(chunk)
    } catch (error) {
      return this._fed(chunk, error, true)
    }
    // A plain handler's chunk is accepted a microtask later, like an awaited one: many SSE events in one read never nest.
    Promise.resolve(returned).then(
      () => this._fed(chunk, undefined, false),
      (error) => this._fed(chunk, error, true)
    )
  }

  private _fed(chunk: StreamChunk, error: unknown, threw: boolean): void {
    this._feeding = false
    if (threw) {
      const reject = this._rejectNext!
      this._resolveNext = this._rejectNext = undefined
      void this._rejected(error).then(() => reject(error))
      return
    }
    this._accepted(chunk)
    this._run()
  }

  /** Ends the read: aborts what is in flight, clears timers; a pending pull ends without an error. */
  protected _halt(reason: unknown, error?: DurableStreamError): void {
    if (this._finished) return
    this._finish(reason)
    this._settle(undefined, error)
  }

  /** Takes the next step; anything thrown ends the read. */
  private _run(): void {
    try {
      if (this._finished) return this._settle(undefined, this._failure)
      if (this._source) return this._pullSource(this._source)
      if (this._state === State.Streaming) return this._pump()
      if (this._state === State.Answered) return this._ended("ended")
      this._begin()
    } catch (error) {
      this._lose(error)
    }
  }

  private _pullSource(source: AsyncGenerator<StreamChunk>): void {
    source.next().then((result) => {
      if (this._finished) return
      if (!result.done) {
        this._setStatus(result.value.upToDate ? "live" : "catching-up")
        this._answered("catch-up")
        return this._settle(result.value, undefined)
      }
      this._finish(new AbortReason("cancel"))
      this._settle(undefined, undefined)
    }, (error) => this._lose(error))
  }

  /** Chooses the transport and sends the first attempt, once requests of that kind may go out. */
  private _begin(): void {
    this._supervise()
    const name: TransportName = this._caughtUp ? this._chooseLive(this._streamingBodies) : "catch-up"
    if (this._pauseReason(name) !== undefined) {
      this._state = State.Busy
      this._ready(name).then(() => {
        // Back from a pause: whatever happened meanwhile is read with cacheable GETs first.
        if (name !== "catch-up") this._caughtUp = false
        this._state = State.Start
        this._run()
      }, (error) => this._lose(error))
      return
    }
    this._setStatus(name !== "catch-up" && this._position.upToDate ? "live" : "catching-up")
    if (this._reconnect) this._reconnecting(this._lost)
    this._reconnect = false
    this._lost = undefined
    this._connecting(name)
    this._opening(name)
    this._openedAt = Date.now()
    this._delivered = false
    this._state = State.Busy
    this._attempt()
  }

  /** One attempt of the request under way, from the current position with the session's headers and params. */
  private _attempt(): void {
    resolveRequestValues(
      this._context,
      { operation: "read", offset: this._position.offset, extraHeaders: this._options.headers, extraParams: this._options.params },
      this._recovery?.overrides ?? {}
    ).then(
      (values) => this._send(values),
      (error) => this._failed(error, this._requestNo)
    )
  }

  private _send(values: { headers: Record<string, string>; params: Record<string, string>; secrets: string[] }): void {
    if (this._finished) return
    // Ended between two attempts (during a backoff, or while headers resolved): this one must not go out.
    if (this._interrupted !== undefined) return this._failed(new AbortReason("cancel"), this._requestNo)
    const name = this._open!
    const { _position: position, _options: options, _context: context } = this
    const params = values.params
    params.offset = position.offset
    if (name !== "catch-up") {
      params.live = name
      // PROTOCOL §8.1: echo the cursor on live requests (CDN collapsing).
      if (position.cursor !== undefined) params.cursor = position.cursor
    }
    this._secrets = values.secrets
    let controller = this._controller
    if (!controller || controller.signal.aborted || ++this._controllerUses > 64) {
      controller = this._controller = new AbortController()
      this._controllerUses = 0
    }
    const n = ++this._requestNo
    this._armDeadline(name === "long-poll" ? options.longPollTimeoutMs : context.timeouts.headersMs)
    let request: Promise<Response>
    try {
      request = context.fetch(buildUrl(context.url, params), {
        method: "GET",
        headers: values.headers,
        signal: controller.signal,
        redirect: options.followRedirects ? "follow" : "manual",
      })
    } catch (error) {
      request = Promise.reject(error)
    }
    request.then(
      (response) => this._responded(response, controller, n),
      (error) => this._failed(error, n)
    )
  }

  private _responded(response: Response, controller: AbortController, n: number): void {
    if (n !== this._requestNo || this._finished) return discardBody(response)
    const url = this._context.url
    const position = this._position
    const name = this._open!
    if (isRedirect(response, this._options.followRedirects)) {
      discardBody(response)
      return this._failed(redirectError(response, url, { method: "GET", operation: "read", offset: position.offset }, this._secrets ?? []), n)
    }
    const status = response.status
    if (status !== 200 && !(status === 204 && name === "long-poll")) {
      this._armDeadline(this._context.timeouts.bodyIdleMs)
      const fail = (error: unknown): void => this._failed(error, n)
      errorFromResponse(response, { url, operation: "read", offset: position.offset, secrets: this._secrets }).then(fail, fail)
      return
    }
    if (name === "sse") return this._stream(response)
    this._opened(name)
    const streamed = response.body != null
    const body = status === 204 ? (discardBody(response), Promise.resolve(EMPTY)) : this._readBody(response, controller)
    body.then(
      (data) => this._bodyRead(response, data, streamed, n),
      (error) => this._failed(error, n)
    )
  }

  /** The whole body; each gap between its chunks must stay under the body-idle deadline. */
  private async _readBody(response: Response, controller: AbortController): Promise<Uint8Array> {
    const idleMs = this._context.timeouts.bodyIdleMs
    this._armDeadline(idleMs)
    const body = response.body
    // No streaming bodies (React Native): the whole body must come within one idle window.
    if (!body) return new Uint8Array(await response.arrayBuffer())
    const reader = body.getReader()
    this._reader = reader
    const parts: Uint8Array[] = []
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (controller.signal.aborted) throw controller.signal.reason
        if (done) break
        parts.push(value)
        this._armDeadline(idleMs)
      }
    } finally {
      if (this._reader === reader) this._reader = undefined
      reader.releaseLock()
    }
    return parts.length === 1 ? parts[0]! : concatBytes(parts)
  }

  private _bodyRead(response: Response, data: Uint8Array, streamed: boolean, n: number): void {
    if (n !== this._requestNo || this._finished) return
    this._requestNo++
    this._disarmDeadline()
    this._recovery?.succeeded()
    // Data that came without a body stream means this fetch cannot stream (React
    // Native's has no `body` at all). An empty body may legitimately have none.
    if (!streamed && data.length > 0) this._streamingBodies = false
    if (response.redirected && response.url) this.redirectedUrl = response.url
    try {
      const contentType = response.headers.get("content-type")
      if (contentType && response.status === 200) this.contentType = contentType
      const step = this._take(responseAnswer(this._context.url, this._position.offset, response, data), false)
      this._state = State.Answered
      if (step.chunk) return this._handOut(step.chunk)
      if (step.idle) {
        // An answer that told nothing: asking again at once would spin.
        this._backoff(backoffDelay(this._context.retry, this._position.idleAnswers - 1)).then(
          () => this._run(),
          (error) => this._lose(error)
        )
        return
      }
      this._run()
    } catch (error) {
      this._lose(error)
    }
  }

  /** The SSE connection is open: read its events. */
  private _stream(response: Response): void {
    const body = response.body
    // No streaming bodies here (React Native's fetch: null or no property): SSE cannot work.
    if (body == null) return this._ended("unsupported")
    if (response.redirected && response.url) this.redirectedUrl = response.url
    this._opened("sse")
    this._base64 = usesBase64(response.headers, this.contentType)
    // The watchdog: any byte (data, control, a comment) proves the connection alive.
    this._armDeadline(this._context.timeouts.sseIdleMs)
    this._reader = body.getReader()
    this._decoder = new TextDecoder()
    this._sse = new SseParser()
    this._sseDone = false
    this._state = State.Streaming
    this._pump()
  }

  /** Hands out the next SSE answer, or reads on until there is one. */
  private _pump(): void {
    const { _sse: sse, _reader: reader } = this
    const url = this._context.url
    try {
      const events = sse!.events
      while (events.length > 0) {
        const event = events.shift()!
        if (event.event === "data") {
          this._buffered += event.data.length
          if (this._buffered > this._options.maxSseBufferBytes) {
            throw bufferOverflow(url, this._position.offset, this._buffered, this._options.maxSseBufferBytes)
          }
          this._parts.push(this._base64 ? decodeData(url, this._position.offset, event.data) : event.data)
        } else if (event.event === "control") {
          const answer = controlAnswer(url, this._position.offset, this.contentType, event.data, this._parts)
          this._parts = []
          this._buffered = 0
          const step = this._take(answer, true)
          if (step.chunk) return this._handOut(step.chunk)
        }
      }
    } catch (error) {
      return this._lose(error)
    }
    if (this._sseDone) return this._ended("ended")
    reader!.read().then(
      (result) => this._streamed(result, reader!),
      (error) => this._cut(error, reader!)
    )
  }

  private _streamed(result: ReadableStreamReadResult<Uint8Array>, reader: ReadableStreamDefaultReader<Uint8Array>): void {
    if (reader !== this._reader || this._finished) return
    const signal = this._controller!.signal
    if (signal.aborted) return this._cut(signal.reason, reader)
    const decoder = this._decoder!
    if (result.done) {
      this._sseDone = true
      // An event without its terminating blank line is incomplete and is dropped, as the SSE spec requires.
      this._sse!.feed(decoder.decode())
    } else {
      this._armDeadline(this._context.timeouts.sseIdleMs)
      this._sse!.feed(decoder.decode(result.value, { stream: true }))
    }
    this._pump()
  }

  /** The SSE connection broke after it opened. Data after the last control event is dropped: the server resends it. */
  private _cut(caught: unknown, reader: ReadableStreamDefaultReader<Uint8Array>): void {
    if (reader !== this._reader || this._finished) return
    this._ended(this._problem(caught))
  }

  /** The server answered: the connection is up. */
  private _opened(name: TransportName): void {
    this._openedAt = Date.now()
    this._answered(name)
  }

  /** Applies one answer to the position. */
  private _take(answer: Answer, sse: boolean): Step {
    if (sse) this._answered("sse")
    const step = advance(this._position, answer, this._context.url, !sse)
    if (answer.data.length > 0 || step.position.offset !== this._position.offset) this._delivered = true
    this._position = step.position
    // A connection that opens and then dies is not progress; its control events are.
    if (sse) this._recovery?.succeeded()
    // A live session is live from the answer that caught it up, whichever transport gave it.
    if (this._options.live !== false && step.position.upToDate) this._setStatus("live")
    return step
  }

  private _handOut(chunk: StreamChunk): void {
    if (chunk.closed) this._finish(new AbortReason("cancel"))
    this._settle(chunk, undefined)
  }

  /** An attempt failed: retry it, reissue it, or end the connection. */
  private _failed(caught: unknown, n: number): void {
    if (n !== this._requestNo || this._finished) return
    this._requestNo++
    this._disarmDeadline()
    if (this._interrupted !== undefined) return this._ended(undefined)
    const error = this._problem(caught)
    // A long-poll that timed out is simply asked again (RD-25), without using up retries.
    if (this._open === "long-poll" && error.code === "TIMEOUT") return this._attempt()
    this._recovering().recover(error).then(
      () => this._attempt(),
      (final) => this._lose(final)
    )
  }

  private _recovering(): Recovery {
    return (this._recovery ??= new Recovery(this._context, {
      signal: this._options.signal,
      onError: this._options.onError,
      onBackoff: (error) => this._reconnecting(error),
      wait: (delayMs) => this._backoff(delayMs),
    }))
  }

  /** The connection is over; what next. `end` is undefined only for one the supervisor interrupted. */
  private _ended(end: ConnectionEnd | undefined): void {
    const name = this._open
    this._closeConnection()
    const next = (): void => {
      this._state = State.Start
      this._run()
    }
    const after = (wait: Promise<unknown> | undefined): void => {
      if (wait === undefined) return next()
      this._state = State.Busy
      wait.then(next, (error) => this._lose(error))
    }
    if (this._interrupted !== undefined) {
      // Paused, woken from sleep, or back online: the connection is gone or
      // stale. Once live requests may go out again, catch up from the
      // position, then go live.
      this._caughtUp = false
      this._reconnect = true
      return after(this._ready(this._options.live === "long-poll" ? "long-poll" : "sse"))
    }
    if (end === undefined) return next()
    if (end === "unsupported") {
      this._streamingBodies = false
      this._sseUnsupported()
      return next()
    }
    if (typeof end === "object") {
      // A connection gone silent is reopened at once, like a long-poll that
      // timed out: silence is not a failure, and must not use up retries.
      if (end.code === "TIMEOUT") {
        this._reconnect = true
        this._lost = end
        return next()
      }
      return after(this._recovering().recover(end))
    }
    if (name === "catch-up") {
      if (this._position.upToDate) {
        if (this._options.live === false) {
          this._finish(new AbortReason("cancel"))
          return this._settle(undefined, undefined)
        }
        this._caughtUp = true
      }
    } else if (name === "sse") {
      // PROTOCOL §5.7: servers end SSE connections every minute or so; reconnect from the last control event.
      this._reconnect = true
      return after(this._sseEnded(this._openedAt, this._delivered))
    }
    next()
  }

  /** An error ended the step under way: the read fails, unless the supervisor ended the connection on purpose. */
  private _lose(error: unknown): void {
    if (this._finished) return
    if (this._open !== undefined && this._interrupted !== undefined) return this._ended(undefined)
    const final = this._problem(error)
    this._finish(final)
    this._settle(undefined, final)
  }

  private _closeConnection(): void {
    const reader = this._reader
    if (reader && this._state === State.Streaming) {
      // Cancelling also aborts the underlying connection. Not awaited: on a
      // cloned body (fetch wrappers, mocks) the cancel settles only once every
      // clone is done, which would hang the caller.
      if (!this._sseDone) reader.cancel().catch(ignore)
      try {
        reader.releaseLock()
      } catch {
        // A read still pending (a cancel in flight) keeps the lock in older runtimes: nothing to free.
      }
    }
    this._reader = this._sse = this._decoder = undefined
    this._parts = []
    this._buffered = 0
    this._closing()
  }

  /** No more chunks after this: stop everything. */
  private _finish(reason: unknown): void {
    this._finished = true
    this._requestNo++
    this._endRequest(reason)
    this._closeConnection()
    this._state = State.Busy
    this._unsupervise(reason)
    this._unlinkSignal?.()
    this._unlinkSignal = undefined
    this._sourceStop?.abort(reason)
  }

  /** Ends the request or connection in flight (a deadline, an interrupt, cancel). */
  protected _endRequest(reason: unknown): void {
    // The body first: cancelling it releases the connection (a fetch that does not tie its body to the signal,
    // as some polyfills and test doubles, would otherwise leave a read pending), then whatever is still in flight.
    this._reader?.cancel(reason).catch(ignore)
    this._controller?.abort(reason)
  }

  private _callerAborted(): void {
    const signal = this._options.signal!
    this._halt(signal.reason, this._problem(signal.reason))
  }

  private _problem(caught: unknown): DurableStreamError {
    return toStreamError(caught, this._context.url, { operation: "read", offset: this._position.offset, signal: this._options.signal })
  }

  /** Answers the pending pull: a chunk, the end, or (`error`) a failure. Without one pending, a failure waits for the next. */
  private _settle(chunk: StreamChunk | undefined, error: DurableStreamError | undefined): void {
    const resolve = this._resolveNext
    const reject = this._rejectNext
    if (!resolve || !reject || this._feeding) {
      if (error) this._failure = error
      return
    }
    if (chunk && this._sink) return this._feed(chunk)
    this._resolveNext = this._rejectNext = this._pending = undefined
    if (chunk) return resolve({ done: false, value: chunk })
    this._failure = undefined
    this._over(error)
    if (error) reject(error)
    else resolve(this._sink ? (undefined as never) : DONE)
  }
}
