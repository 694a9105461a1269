import { AbortReason } from "./abort"
import { concatBytes } from "./bytes-util"
import { responseAnswer } from "./catch-up-transport"
import { DurableStreamError } from "./errors"
import { isRedirect, redirectError, resolveRequestValues, type ClientContext } from "./http"
import { LiveSupervisor } from "./live-supervisor"
import type { ResolvedReadOptions } from "./options"
import { advance, startPosition, type Answer, type ReadPosition, type Step, type StreamChunk } from "./read-position"
import { ENDED, UNSUPPORTED, type ConnectionEnd, type TransportName } from "./read-transport"
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
  protected position: ReadPosition
  /** The stream's content type: from the handle, then from each catch-up response. */
  contentType: string | undefined
  /** False once a response showed that this fetch cannot stream bodies (React Native). */
  protected streamingBodies = true
  /** With `followRedirects`: where the last response came from, when a redirect led there. */
  redirectedUrl: string | undefined
  /** No more chunks: the next pull ends (with `failure`, if any). */
  protected finished = false
  private failure: DurableStreamError | undefined
  private state = State.Start
  /** Caught up once: the next request is a live one. */
  private caughtUp = false
  /** The next connection replaces one that was lost (and `lost` is why, when it failed). */
  private reconnect = false
  private lost: DurableStreamError | undefined
  private openedAt = 0
  /** The connection brought data or moved the offset (an SSE connection that did is healthy however it ended). */
  private delivered = false
  /**
   * Ends the request in flight. Kept for the next request until it is
   * aborted: a finished request's signal stays referenced from inside fetch
   * (Node's keeps it until a finalizer runs), so a new controller per
   * request would leave an idle reader holding the catch-up's as well.
   */
  private controller: AbortController | undefined
  /** Requests sent with `controller`: renewed now and then, since fetch may hang a listener on it per request. */
  private controllerUses = 0
  /** Numbers the requests: an answer to any but the latest is stale. */
  private requestNo = 0
  /** The body being read (catch-up, long-poll) or the SSE connection's. */
  private reader: ReadableStreamDefaultReader<Uint8Array> | undefined
  private sse: SseParser | undefined
  private decoder: TextDecoder | undefined
  /** SSE data since the last control event, and its size. */
  private parts: Array<Uint8Array | string> = []
  private buffered = 0
  private base64 = false
  private sseDone = false
  /** Created by the first failure: most sessions never have one. */
  private recovery: Recovery | undefined
  /** With `shareAcrossTabs`: where chunks come from instead of requests (a sharing hands them out). */
  protected source: AsyncIterator<StreamChunk> | undefined
  /** The caller's header and param values of the request in flight, kept out of error messages. */
  private secrets: string[] | undefined
  private resolveNext: ((result: IteratorResult<StreamChunk>) => void) | undefined
  private rejectNext: ((error: unknown) => void) | undefined
  private pending: Promise<IteratorResult<StreamChunk>> | undefined
  /** `forEach`'s handler: called with each chunk, instead of answering a pull with it. */
  private sink: ((chunk: StreamChunk) => unknown) | undefined
  /** The handler is running: the machine waits, and an end waits for it. */
  private feeding = false
  private unlinkSignal: (() => void) | undefined

  constructor(context: ClientContext, options: ResolvedReadOptions, contentType: string | undefined) {
    super(context, options)
    this.position = startPosition(options.offset)
    this.contentType = contentType
    const signal = options.signal
    if (signal && !signal.aborted) {
      // The caller's signal, observed with one listener for the whole session.
      const onAbort = (): void => this.callerAborted()
      signal.addEventListener("abort", onAbort, { once: true })
      this.unlinkSignal = () => signal.removeEventListener("abort", onAbort)
    }
  }

  /** The status the session shows. */
  protected abstract setStatus(status: "catching-up" | "live" | "backoff"): void
  /** A request of `transport` is about to go out. */
  protected abstract connecting(transport: TransportName): void
  /** The server answered a request of `transport`: response headers, or an SSE control event. */
  protected abstract answered(transport: TransportName): void
  /** The session is setting up its connection again; `error` is what it lost it to, if anything. */
  protected abstract reconnecting(error: DurableStreamError | undefined): void
  /** The read is over: at its end (no error) or failed. */
  protected abstract over(error: DurableStreamError | undefined): void
  /** `forEach`'s handler finished with `chunk`. */
  protected abstract accepted(chunk: StreamChunk): void
  /** `forEach`'s handler failed; resolves once the session is cancelled. */
  protected abstract rejected(error: unknown): Promise<void>

  protected backingOff(): void {
    this.setStatus("backoff")
  }

  /** The next chunk, or the end. One pull at a time: a second waits for the first. */
  protected nextChunk(): Promise<IteratorResult<StreamChunk>> {
    if (this.pending) return this.pending.then(() => this.nextChunk(), () => this.nextChunk())
    const pending = new Promise<IteratorResult<StreamChunk>>((resolve, reject) => {
      this.resolveNext = resolve
      this.rejectNext = reject
    })
    this.pending = pending
    this.kick()
    return pending
  }

  /**
   * Calls `handler` with each chunk, waiting for a promise it returns
   * before reading on; resolves at the end. Not a loop of pulls: an idle
   * reader holds this one promise, not a pull's promise and reaction too.
   */
  protected drain(handler: (chunk: StreamChunk) => unknown): Promise<void> {
    this.sink = handler
    return new Promise<void>((resolve, reject) => {
      this.resolveNext = resolve as () => void
      this.rejectNext = reject
      this.kick()
    })
  }

  private kick(): void {
    if (this.options.signal?.aborted && !this.finished) this.callerAborted()
    else this.run()
  }

  private feed(chunk: StreamChunk): void {
    this.feeding = true
    let returned: unknown
    try {
      returned = this.sink!(chunk)
    } catch (error) {
      return this.fed(chunk, error, true)
    }
    // A plain handler's chunk is accepted a microtask later, like an awaited one: many SSE events in one read never nest.
    Promise.resolve(returned).then(
      () => this.fed(chunk, undefined, false),
      (error) => this.fed(chunk, error, true)
    )
  }

  private fed(chunk: StreamChunk, error: unknown, threw: boolean): void {
    this.feeding = false
    if (threw) {
      const reject = this.rejectNext!
      this.resolveNext = this.rejectNext = undefined
      void this.rejected(error).then(() => reject(error))
      return
    }
    this.accepted(chunk)
    this.run()
  }

  /** Ends the read: aborts what is in flight, clears timers; a pending pull ends without an error. */
  protected halt(reason: unknown, error?: DurableStreamError): void {
    if (this.finished) return
    const controller = this.controller
    this.finish(reason)
    controller?.abort(reason)
    this.settle(undefined, error)
  }

  /** Takes the next step; anything thrown ends the read. */
  private run(): void {
    try {
      if (this.finished) return this.settle(undefined, this.failure)
      if (this.source) return this.pullSource(this.source)
      if (this.state === State.Streaming) return this.pump()
      if (this.state === State.Answered) return this.ended(ENDED)
      this.begin()
    } catch (error) {
      this.lose(error)
    }
  }

  private pullSource(source: AsyncIterator<StreamChunk>): void {
    source.next().then((result) => {
      if (this.finished) return
      if (!result.done) return this.settle(result.value, undefined)
      this.finish(new AbortReason("cancel"))
      this.settle(undefined, undefined)
    }, (error) => this.lose(error))
  }

  /** Chooses the transport and sends the first attempt, once requests of that kind may go out. */
  private begin(): void {
    this.supervise()
    const name: TransportName = this.caughtUp ? this.chooseLive(this.streamingBodies) : "catch-up"
    if (this.pauseReason(name) !== undefined) {
      this.state = State.Busy
      this.ready(name).then(() => {
        // Back from a pause: whatever happened meanwhile is read with cacheable GETs first.
        if (name !== "catch-up") this.caughtUp = false
        this.state = State.Start
        this.run()
      }, (error) => this.lose(error))
      return
    }
    this.setStatus(name !== "catch-up" && this.position.upToDate ? "live" : "catching-up")
    if (this.reconnect) this.reconnecting(this.lost)
    this.reconnect = false
    this.lost = undefined
    this.connecting(name)
    this.opening(name)
    this.openedAt = Date.now()
    this.delivered = false
    this.state = State.Busy
    this.attempt()
  }

  /** One attempt of the request under way, from the current position with the session's headers and params. */
  private attempt(): void {
    resolveRequestValues(
      this.context,
      { operation: "read", offset: this.position.offset, extraHeaders: this.options.headers, extraParams: this.options.params },
      this.recovery?.overrides ?? {}
    ).then(
      (values) => this.send(values),
      (error) => this.failed(error, this.requestNo)
    )
  }

  private send(values: { headers: Record<string, string>; params: Record<string, string>; secrets: string[] }): void {
    if (this.finished) return
    // Ended between two attempts (during a backoff, or while headers resolved): this one must not go out.
    if (this.interrupted !== undefined) return this.failed(new AbortReason("cancel"), this.requestNo)
    const name = this.open!
    const { position, options, context } = this
    const params = values.params
    params.offset = position.offset
    if (name !== "catch-up") {
      params.live = name
      // PROTOCOL §8.1: echo the cursor on live requests (CDN collapsing).
      if (position.cursor !== undefined) params.cursor = position.cursor
    }
    this.secrets = values.secrets
    let controller = this.controller
    if (!controller || controller.signal.aborted || ++this.controllerUses > 64) {
      controller = this.controller = new AbortController()
      this.controllerUses = 0
    }
    const n = ++this.requestNo
    this.armDeadline(name === "long-poll" ? options.longPollTimeoutMs : context.timeouts.headersMs)
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
      (response) => this.responded(response, controller, n),
      (error) => this.failed(error, n)
    )
  }

  private responded(response: Response, controller: AbortController, n: number): void {
    if (n !== this.requestNo || this.finished) return discardBody(response)
    const url = this.context.url
    const position = this.position
    const name = this.open!
    if (isRedirect(response, this.options.followRedirects)) {
      discardBody(response)
      return this.failed(redirectError(response, url, { method: "GET", operation: "read", offset: position.offset }, this.secrets ?? []), n)
    }
    const status = response.status
    if (status !== 200 && !(status === 204 && name === "long-poll")) {
      this.armDeadline(this.context.timeouts.bodyIdleMs)
      const fail = (error: unknown): void => this.failed(error, n)
      errorFromResponse(response, { url, operation: "read", offset: position.offset, secrets: this.secrets }).then(fail, fail)
      return
    }
    if (name === "sse") return this.stream(response)
    this.opened(name)
    const streamed = response.body != null
    const body = status === 204 ? (discardBody(response), Promise.resolve(EMPTY)) : this.readBody(response, controller)
    body.then(
      (data) => this.bodyRead(response, data, streamed, n),
      (error) => this.failed(error, n)
    )
  }

  /** The whole body; each gap between its chunks must stay under the body-idle deadline. */
  private async readBody(response: Response, controller: AbortController): Promise<Uint8Array> {
    const idleMs = this.context.timeouts.bodyIdleMs
    this.armDeadline(idleMs)
    const body = response.body
    // No streaming bodies (React Native): the whole body must come within one idle window.
    if (!body) return new Uint8Array(await response.arrayBuffer())
    const reader = body.getReader()
    this.reader = reader
    const parts: Uint8Array[] = []
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (controller.signal.aborted) throw controller.signal.reason
        if (done) break
        parts.push(value)
        this.armDeadline(idleMs)
      }
    } finally {
      if (this.reader === reader) this.reader = undefined
      reader.releaseLock()
    }
    return parts.length === 1 ? parts[0]! : concatBytes(parts)
  }

  private bodyRead(response: Response, data: Uint8Array, streamed: boolean, n: number): void {
    if (n !== this.requestNo || this.finished) return
    this.requestNo++
    this.disarmDeadline()
    this.recovery?.succeeded()
    // Data that came without a body stream means this fetch cannot stream (React
    // Native's has no `body` at all). An empty body may legitimately have none.
    if (!streamed && data.length > 0) this.streamingBodies = false
    if (response.redirected && response.url) this.redirectedUrl = response.url
    try {
      const contentType = response.headers.get("content-type")
      if (contentType && response.status === 200) this.contentType = contentType
      const step = this.take(responseAnswer(this.context.url, this.position.offset, response, data), false)
      this.state = State.Answered
      if (step.chunk) return this.handOut(step.chunk)
      if (step.idle) {
        // An answer that told nothing: asking again at once would spin.
        this.backoff(backoffDelay(this.context.retry, this.position.idleAnswers - 1)).then(
          () => this.run(),
          (error) => this.lose(error)
        )
        return
      }
      this.run()
    } catch (error) {
      this.lose(error)
    }
  }

  /** The SSE connection is open: read its events. */
  private stream(response: Response): void {
    const body = response.body
    // No streaming bodies here (React Native's fetch: null or no property): SSE cannot work.
    if (body == null) return this.ended(UNSUPPORTED)
    if (response.redirected && response.url) this.redirectedUrl = response.url
    this.opened("sse")
    this.base64 = usesBase64(response.headers, this.contentType)
    // The watchdog: any byte (data, control, a comment) proves the connection alive.
    this.armDeadline(this.context.timeouts.sseIdleMs)
    this.reader = body.getReader()
    this.decoder = new TextDecoder()
    this.sse = new SseParser()
    this.sseDone = false
    this.state = State.Streaming
    this.pump()
  }

  /** Hands out the next SSE answer, or reads on until there is one. */
  private pump(): void {
    const { sse, reader } = this
    const url = this.context.url
    try {
      const events = sse!.events
      while (events.length > 0) {
        const event = events.shift()!
        if (event.event === "data") {
          this.buffered += event.data.length
          if (this.buffered > this.options.maxSseBufferBytes) {
            throw bufferOverflow(url, this.position.offset, this.buffered, this.options.maxSseBufferBytes)
          }
          this.parts.push(this.base64 ? decodeData(url, this.position.offset, event.data) : event.data)
        } else if (event.event === "control") {
          const answer = controlAnswer(url, this.position.offset, this.contentType, event.data, this.parts)
          this.parts = []
          this.buffered = 0
          const step = this.take(answer, true)
          if (step.chunk) return this.handOut(step.chunk)
        }
      }
    } catch (error) {
      return this.lose(error)
    }
    if (this.sseDone) return this.ended(ENDED)
    reader!.read().then(
      (result) => this.streamed(result, reader!),
      (error) => this.cut(error, reader!)
    )
  }

  private streamed(result: ReadableStreamReadResult<Uint8Array>, reader: ReadableStreamDefaultReader<Uint8Array>): void {
    if (reader !== this.reader || this.finished) return
    const signal = this.controller!.signal
    if (signal.aborted) return this.cut(signal.reason, reader)
    const decoder = this.decoder!
    if (result.done) {
      this.sseDone = true
      // An event without its terminating blank line is incomplete and is dropped, as the SSE spec requires.
      this.sse!.feed(decoder.decode())
    } else {
      this.armDeadline(this.context.timeouts.sseIdleMs)
      this.sse!.feed(decoder.decode(result.value, { stream: true }))
    }
    this.pump()
  }

  /** The SSE connection broke after it opened. Data after the last control event is dropped: the server resends it. */
  private cut(caught: unknown, reader: ReadableStreamDefaultReader<Uint8Array>): void {
    if (reader !== this.reader || this.finished) return
    const error = this.problem(caught)
    this.ended({ kind: "cut", error })
  }

  /** The server answered: the connection is up. */
  private opened(name: TransportName): void {
    this.openedAt = Date.now()
    this.answered(name)
  }

  /** Applies one answer to the position. */
  private take(answer: Answer, sse: boolean): Step {
    if (sse) this.answered("sse")
    const step = advance(this.position, answer, this.context.url, !sse)
    if (answer.data.length > 0 || step.position.offset !== this.position.offset) this.delivered = true
    this.position = step.position
    // A connection that opens and then dies is not progress; its control events are.
    if (sse) this.recovery?.succeeded()
    // A live session is live from the answer that caught it up, whichever transport gave it.
    if (this.options.live !== false && step.position.upToDate) this.setStatus("live")
    return step
  }

  private handOut(chunk: StreamChunk): void {
    if (chunk.closed) this.finish(new AbortReason("cancel"))
    this.settle(chunk, undefined)
  }

  /** An attempt failed: retry it, reissue it, or end the connection. */
  private failed(caught: unknown, n: number): void {
    if (n !== this.requestNo || this.finished) return
    this.requestNo++
    this.disarmDeadline()
    if (this.interrupted !== undefined) return this.ended(undefined)
    const error = this.problem(caught)
    // A long-poll that timed out is simply asked again (RD-25), without using up retries.
    if (this.open === "long-poll" && error.code === "TIMEOUT") return this.attempt()
    this.recovering().recover(error).then(
      () => this.attempt(),
      (final) => this.lose(final)
    )
  }

  private recovering(): Recovery {
    return (this.recovery ??= new Recovery(this.context, {
      signal: this.options.signal,
      onError: this.options.onError,
      onBackoff: (error) => this.reconnecting(error),
      wait: (delayMs) => this.backoff(delayMs),
    }))
  }

  /** The connection is over; what next. `end` is undefined only for one the supervisor interrupted. */
  private ended(end: ConnectionEnd | undefined): void {
    const name = this.open
    this.closeConnection()
    const next = (): void => {
      this.state = State.Start
      this.run()
    }
    const after = (wait: Promise<unknown> | undefined): void => {
      if (wait === undefined) return next()
      this.state = State.Busy
      wait.then(next, (error) => this.lose(error))
    }
    if (this.interrupted !== undefined) {
      // Paused, woken from sleep, or back online: the connection is gone or
      // stale. Once live requests may go out again, catch up from the
      // position, then go live.
      this.caughtUp = false
      this.reconnect = true
      return after(this.ready(this.options.live === "long-poll" ? "long-poll" : "sse"))
    }
    if (end === undefined) return next()
    if (end.kind === "unsupported") {
      this.streamingBodies = false
      this.sseUnsupported()
      return next()
    }
    if (end.kind === "cut") {
      // A connection gone silent is reopened at once, like a long-poll that
      // timed out: silence is not a failure, and must not use up retries.
      if (end.error.code === "TIMEOUT") {
        this.reconnect = true
        this.lost = end.error
        return next()
      }
      return after(this.recovering().recover(end.error))
    }
    if (name === "catch-up") {
      if (this.position.upToDate) {
        if (this.options.live === false) {
          this.finish(new AbortReason("cancel"))
          return this.settle(undefined, undefined)
        }
        this.caughtUp = true
      }
    } else if (name === "sse") {
      // PROTOCOL §5.7: servers end SSE connections every minute or so; reconnect from the last control event.
      this.reconnect = true
      return after(this.sseEnded(this.openedAt, this.delivered))
    }
    next()
  }

  /** An error ended the step under way: the read fails, unless the supervisor ended the connection on purpose. */
  private lose(error: unknown): void {
    if (this.finished) return
    if (this.open !== undefined && this.interrupted !== undefined) return this.ended(undefined)
    const final = this.problem(error)
    this.finish(final)
    this.settle(undefined, final)
  }

  private closeConnection(): void {
    const reader = this.reader
    if (reader && this.state === State.Streaming) {
      // Cancelling also aborts the underlying connection. Not awaited: on a
      // cloned body (fetch wrappers, mocks) the cancel settles only once every
      // clone is done, which would hang the caller.
      if (!this.sseDone) reader.cancel().catch(ignore)
      try {
        reader.releaseLock()
      } catch {
        // A read still pending (a cancel in flight) keeps the lock in older runtimes: nothing to free.
      }
    }
    this.reader = this.sse = this.decoder = undefined
    this.parts = []
    this.buffered = 0
    this.closing()
  }

  /** No more chunks after this: stop everything. */
  private finish(reason: unknown): void {
    this.finished = true
    this.requestNo++
    const reader = this.reader
    // A fetch that does not tie its body to the signal (some polyfills, test doubles) would leave a read pending.
    if (reader && this.state !== State.Streaming) reader.cancel(reason).catch(ignore)
    this.closeConnection()
    this.state = State.Busy
    this.unsupervise(reason)
    this.unlinkSignal?.()
    this.unlinkSignal = undefined
  }

  /** Ends the request or connection in flight (a deadline, an interrupt, cancel). */
  protected endRequest(reason: unknown): void {
    this.controller?.abort(reason)
    // A fetch that does not tie its body to the signal (some polyfills, test doubles) would leave a read pending.
    this.reader?.cancel(reason).catch(ignore)
  }

  private callerAborted(): void {
    const signal = this.options.signal!
    this.halt(signal.reason, this.problem(signal.reason))
  }

  private problem(caught: unknown): DurableStreamError {
    return toStreamError(caught, this.context.url, { operation: "read", offset: this.position.offset, signal: this.options.signal })
  }

  /** Answers the pending pull: a chunk, the end, or (`error`) a failure. Without one pending, a failure waits for the next. */
  private settle(chunk: StreamChunk | undefined, error: DurableStreamError | undefined): void {
    const resolve = this.resolveNext
    const reject = this.rejectNext
    if (!resolve || !reject || this.feeding) {
      if (error) this.failure = error
      return
    }
    if (chunk && this.sink) return this.feed(chunk)
    this.resolveNext = this.rejectNext = this.pending = undefined
    if (chunk) return resolve({ done: false, value: chunk })
    this.failure = undefined
    this.over(error)
    if (error) reject(error)
    else resolve(this.sink ? (undefined as never) : DONE)
  }
}
