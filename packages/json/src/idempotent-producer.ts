import { DurableStream, type DurableStreamError } from "@durable-client/bytes"
import {
  ProtocolHeaders as H,
  describeValue,
  invalidArgument,
  isJsonContentType,
  optionalSignal,
  optionsObject,
} from "@durable-client/bytes/internal"
import { encodeBody, toPayload, type Batch, type Payload } from "./batch-builder"
import { callbackFailed, reportCallbackError, untilAborted } from "@durable-client/bytes/internal"
import { JsonStream } from "./json-stream"
import type { Answer, ProducerAppendResult } from "./producer-commands"
import { ProducerCore } from "./producer-core"
import type { OutboxJournal } from "./outbox-journal"
import { OUTBOX_JOURNAL } from "./outbox-journal-key"
import { notOpenError, producerAbortedError } from "./producer-errors"
import {
  resolveProducerOptions,
  type IdempotentProducerOptions,
  type ResolvedProducerOptions,
} from "./producer-options"
import { Settlements, settledRejection, type AppendReceipt } from "./settlement"

export type { ProducerAppendResult } from "./producer-commands"

const noop = (): void => undefined

/**
 * Resolves after one turn of the event loop, not a microtask: answers that
 * have arrived are read. A writer appending in a tight loop and awaiting
 * `waitForCapacity()` would otherwise starve the network until `flush()`,
 * and the producer could not pipeline its batches with the writer's work.
 */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof MessageChannel === "function") {
      const channel = new MessageChannel()
      channel.port1.onmessage = () => {
        channel.port1.close()
        resolve()
      }
      channel.port2.postMessage(undefined)
    } else {
      setTimeout(resolve, 0)
    }
  })
}

/**
 * Exactly-once writer. Messages are batched (linger, size and count limits),
 * up to `maxInFlight` batches are pipelined, and every batch carries
 * `Producer-Id` / `Producer-Epoch` / `Producer-Seq` so the server drops
 * retried duplicates. Network errors, 429 and 5xx are retried with the same
 * epoch, seq and bytes. Nothing is ever dropped silently: a batch that cannot
 * be stored rejects its `append` promises, every later message, `flush()`
 * and `onError`.
 *
 * This class is the I/O around `ProducerCore`, which makes every decision:
 * it encodes values, posts batches, runs the linger timer, turns the core's
 * tickets into promises and reports to `onError`.
 */
export class IdempotentProducer<T = unknown> {
  readonly producerId: string
  readonly url: string
  private readonly _stream: DurableStream
  private readonly _json: boolean
  private readonly _contentType: string
  private readonly _options: ResolvedProducerOptions
  private readonly _abortController = new AbortController()
  private readonly _core: ProducerCore<number>
  /** The promises of appends (tickets are numbers, settled in cohorts). */
  private readonly _settlements = new Settlements()
  private _state: "open" | "closing" | "closed" | "detached" = "open"
  private _lingerTimer: ReturnType<typeof setTimeout> | undefined
  /** A batch was handed to fetch since `waitForCapacity()` last gave the event loop a turn. */
  private _sentSinceYield = false
  /** flush() calls waiting for the core to be idle. */
  private readonly _idleWaiters: Array<() => void> = []
  /** restart() waiting for every request to be back. */
  private readonly _quietWaiters: Array<() => void> = []
  private _readyPromise: Promise<void> | undefined
  private _readyResolve: (() => void) | undefined
  private _closing: Promise<ProducerAppendResult> | undefined
  /** A failure the core reported, for onError once the step that caused it is done. */
  private _unreported: Error | undefined
  /** Messages refused alone (PAYLOAD_TOO_LARGE), for onError; the producer goes on. */
  private readonly _unreportedRefusals: Error[] = []
  /** Keeps the outbox in step with the core, when there is one. */
  private readonly _journal: OutboxJournal<number> | undefined

  constructor(
    target: DurableStream | JsonStream<T>,
    producerId: string,
    options?: IdempotentProducerOptions
  ) {
    if (target instanceof DurableStream) this._stream = target
    else if (target instanceof JsonStream) this._stream = target.stream
    else {
      throw invalidArgument("(no url)", `IdempotentProducer needs a DurableStream or JsonStream (got ${describeValue(target)})`)
    }
    this.url = this._stream.url
    // The handle's retry delays, with the producer's own maxRetries (see defaults.ts).
    this._options = resolveProducerOptions(this.url, producerId, options, this._stream.settings.retry)
    this.producerId = producerId
    const contentType = this._stream.contentType
    if (contentType === undefined) {
      throw invalidArgument(
        this.url,
        "the stream's content type is unknown: create or connect the stream first, or pass contentType"
      )
    }
    this._contentType = contentType
    this._json = isJsonContentType(contentType)
    const { epoch, autoClaim, maxBatchBytes, maxBatchItems, maxInFlight, maxBufferedBytes, lingerMs } = this._options
    this._core = new ProducerCore<number>(
      {
        url: this.url,
        producerId,
        json: this._json,
        epoch,
        autoClaim,
        maxBatchBytes,
        maxBatchItems,
        maxInFlight,
        maxBufferedBytes,
      },
      {
        createTicket: () => this._settlements.create(),
        batchSealed: () => this._settlements.cut(),
        send: (batch) => {
          this._sentSinceYield = true
          void this._transmit(batch)
        },
        checkClosed: (batch, answer) => void this._checkClosed(batch, answer),
        resolve: (ticket, result) => {
          this._journal?.settle(ticket)
          this._settlements.resolve(ticket, result)
        },
        reject: (ticket, error) => {
          this._journal?.settle(ticket)
          this._settlements.reject(ticket, error)
        },
        failed: (error) => {
          this._unreported = error
        },
        messageRefused: (error) => {
          this._unreportedRefusals.push(error)
        },
        startLinger: () => {
          this._lingerTimer = setTimeout(() => {
            this._lingerTimer = undefined
            this._step(() => this._core.lingerElapsed())
          }, lingerMs)
        },
        cancelLinger: () => {
          clearTimeout(this._lingerTimer)
          this._lingerTimer = undefined
        },
      }
    )
    const outbox = this._options.outbox
    if (outbox) {
      // The journal comes with the outbox adapter: a producer without an outbox does not ship it.
      const Journal = outbox[OUTBOX_JOURNAL] as typeof OutboxJournal
      this._journal = new Journal<number>(
        outbox,
        { url: this.url, producerId, json: this._json, maxBatchItems, maxBatchBytes },
        {
          position: () => ({ epoch: this._core.epoch, nextSeq: this._core.nextSeq }),
          sent: () => this._core.outboxSent(),
          stopped: () => this._core.error !== undefined,
        },
        (error) => this._outboxFailed(error)
      )
      this._core.holdForRestore()
      void this._restoreOutbox(this._journal)
    }
    const signal = this._options.signal
    if (signal) {
      if (signal.aborted) this._abort()
      else signal.addEventListener("abort", () => this._abort(), { once: true })
    }
  }

  /** Current epoch (changes on `restart()` and auto-claim). */
  get epoch(): number {
    return this._core.epoch
  }

  /** Seq the next batch will carry. */
  get nextSeq(): number {
    return this._core.nextSeq
  }

  /** Bytes appended but not yet acknowledged (queued, batched or on the wire). */
  get bufferedBytes(): number {
    return this._core.bufferedBytes
  }

  /** The buffer limit past which appends wait and `ready` pends. */
  get maxBufferedBytes(): number {
    return this._options.maxBufferedBytes
  }

  /** The failure that stopped this producer, if any. */
  get error(): Error | undefined {
    return this._core.error
  }

  /**
   * Resolves when the buffer is below `maxBufferedBytes`. Fire-and-forget
   * writers `await producer.waitForCapacity()` between appends to keep memory
   * bounded on a slow network.
   */
  waitForCapacity(): Promise<void> {
    if (this._core.overLimit) return this.ready
    // A request handed to fetch is only written to its socket in a later
    // turn: without one, the writer would encode the whole window before
    // the first byte left, instead of encoding the next batch while the
    // server stores this one.
    if (this._sentSinceYield || this._core.backlogged) {
      this._sentSinceYield = false
      return yieldToEventLoop()
    }
    return this.ready
  }

  /** @deprecated Use `waitForCapacity()`: anything that waits is a verb, and `ready` means "loaded" elsewhere. */
  get ready(): Promise<void> {
    if (!this._core.overLimit) return Promise.resolve()
    this._readyPromise ??= new Promise((resolve) => {
      this._readyResolve = resolve
    })
    return this._readyPromise
  }

  /**
   * Queues one message (a JSON value on JSON streams; bytes or a string on
   * byte streams). The receipt resolves, like a promise, when the message's
   * batch is acknowledged (see `AppendReceipt`). Ignoring it is fine:
   * failures also reject `flush()` and reach `onError`.
   */
  append(value: T | Uint8Array | string): AppendReceipt {
    const failure = this._core.error
    if (failure) return settledRejection(failure)
    if (this._state !== "open") return settledRejection(notOpenError(this, this._state))
    let payload: Payload
    try {
      payload = toPayload(value, this._json, this.url)
    } catch (error) {
      return settledRejection(error as Error)
    }
    // The hot path: no closure per message (see step).
    const ticket = this._core.append(payload)
    this._afterStep()
    this._journal?.accept(ticket, payload)
    return this._settlements.lastReceipt!
  }

  /**
   * With an `outbox`: resolves once every message appended so far is in it
   * (or already stored on the stream), so it survives a reload or a crash.
   * Rejects if the outbox fails, or with the failure that stopped the
   * producer (the outbox then keeps what it held for a later instance). The
   * signal only stops the waiting.
   */
  async waitForOutbox(given?: { signal?: AbortSignal }): Promise<void> {
    const signal = optionalSignal(this.url, optionsObject(this.url, given, "waitForOutbox options").signal, "signal")
    if (!this._journal) throw invalidArgument(this.url, "waitForOutbox() needs the outbox option", "append")
    await untilAborted(this._journal.written(), signal, this.url, "Waiting on")
    const failure = this._core.error
    if (failure) throw failure
  }

  /**
   * Resolves once everything appended so far is acknowledged. Rejects if
   * anything failed; the signal only stops the waiting, not the sending.
   */
  async flush(given?: { signal?: AbortSignal }): Promise<void> {
    const signal = optionalSignal(this.url, optionsObject(this.url, given, "flush options").signal, "signal")
    if (!this._core.idle) {
      this._step(() => this._core.beginFlush())
      try {
        await untilAborted(new Promise<void>((resolve) => this._idleWaiters.push(resolve)), signal, this.url, "Waiting on")
      } finally {
        this._core.endFlush()
      }
    }
    // The outbox forgets what was acknowledged before flush() says it is done.
    if (this._journal && !this._core.error) await untilAborted(this._journal.written(), signal, this.url, "Waiting on")
    const failure = this._core.error
    if (failure) throw failure
  }

  /**
   * Flushes, then closes the stream with producer headers, so a retried
   * close is deduplicated like any batch. With `final`, that message is
   * appended atomically with the close. Calling it again returns the same
   * promise. If another writer closed the stream first, it rejects with
   * STREAM_CLOSED, with or without `final` (PROTOCOL §5.2.1: only a repeat of
   * the request that closed the stream is a duplicate).
   */
  close(final?: T | Uint8Array | string): Promise<ProducerAppendResult> {
    if (this._closing) return this._closing
    const hasFinal = arguments.length > 0 && final !== undefined
    let body: Uint8Array | undefined
    try {
      // Before anything changes: a final value that cannot be sent leaves the producer as it was.
      body = hasFinal ? encodeBody([toPayload(final, this._json, this.url)], this._json) : undefined
    } catch (error) {
      return settledRejection(error as Error)
    }
    this._closing = (async () => {
      if (this._state === "open") this._state = "closing"
      await this.flush()
      // The close settles on its own, not with the appends before it.
      this._settlements.cut()
      this._core.enqueueClose(body)
      const closed = this._settlements.lastReceipt!
      this._settlements.cut()
      this._step(() => this._core.beginFlush())
      let result: ProducerAppendResult
      try {
        result = await closed
      } finally {
        this._core.endFlush()
      }
      this._state = "closed"
      this._core.resetLinger()
      return result
    })()
    this._closing.catch(noop)
    return this._closing
  }

  /** Flushes and stops accepting appends, leaving the stream open (another writer may go on). */
  async detach(): Promise<void> {
    if (this._state === "open") this._state = "detached"
    try {
      await this.flush()
    } finally {
      this._core.resetLinger()
    }
  }

  /**
   * Starts a new epoch (seq back to 0), fencing any older instance of this
   * producer id. Also clears a failure, so a failed producer can go on.
   * After being fenced (STALE_EPOCH) it moves past the epoch that fenced it:
   * reusing that epoch would share its seqs, and the server would take the
   * new batches for resends and drop them as duplicates.
   */
  async restart(): Promise<void> {
    while (this._core.inFlightCount > 0) await new Promise<void>((resolve) => this._quietWaiters.push(resolve))
    if (this._state !== "closed" && this._state !== "closing") this._state = "open"
    this._step(() => this._core.restart())
  }

  /**
   * Runs one input of the core, then does what its new state asks: wake
   * `ready`, flush() and restart() waiters, and tell onError (last, so the
   * producer has fully settled when the caller's code runs).
   */
  private _step<R>(input: () => R): R {
    const result = input()
    this._afterStep()
    return result
  }

  /** What `step` does once the core has taken its input. */
  private _afterStep(): void {
    const core = this._core
    if (!core.overLimit && this._readyResolve) {
      this._readyResolve()
      this._readyResolve = undefined
      this._readyPromise = undefined
    }
    if (this._idleWaiters.length > 0 && core.idle) for (const resolve of this._idleWaiters.splice(0)) resolve()
    if (this._quietWaiters.length > 0 && core.inFlightCount === 0) for (const resolve of this._quietWaiters.splice(0)) resolve()
    if (this._unreportedRefusals.length === 0 && this._unreported === undefined) return
    const failures = this._unreportedRefusals.splice(0)
    if (this._unreported) failures.push(this._unreported)
    this._unreported = undefined
    for (const failure of failures) {
      if (!this._options.onError) break
      // Guarded: what the caller's callback throws must not stop the
      // producer settling (flush() would hang) nor replace the failure.
      try {
        this._options.onError(failure)
      } catch (thrown) {
        reportCallbackError(callbackFailed(this.url, `onError of producer ${this.producerId}`, thrown, "append"), undefined)
      }
    }
  }

  /** One POST of the batch (the handle retries network errors, 429 and 5xx under the same tuple). */
  private async _transmit(batch: Batch<number>): Promise<void> {
    if (this._journal) {
      // Its tuple is in the outbox before it is sent: a crash from here on leaves it for the next instance to resend.
      try {
        await this._journal.sync()
      } catch {
        return // the journal stopped the producer
      }
      if (this._core.error) return
    }
    let answer: Answer
    try {
      answer = await this._post(batch)
    } catch (error) {
      this._step(() => this._core.refused(batch, error as DurableStreamError))
      // A refusal can move batches out of the sent set (held or parked) without settling them.
      void this._journal?.sync().catch(noop)
      return
    }
    this._step(() => this._core.answered(batch, answer))
    void this._journal?.sync().catch(noop)
  }

  /** Reads the outbox an earlier instance left; its batches go before anything appended since. */
  private async _restoreOutbox(journal: OutboxJournal<number>): Promise<void> {
    try {
      const snapshot = await journal.read()
      journal.adopt(this._step(() => this._core.restore(snapshot)))
    } catch (error) {
      this._outboxFailed(error)
    }
  }

  /** The outbox cannot be read or written: without it nothing is safe to send, so the producer stops. */
  private _outboxFailed(error: unknown): void {
    const failure = error instanceof Error ? error : new Error(String(error))
    this._journal?.halt(failure)
    if (this._core.error) return
    this._state = "closed"
    this._abortController.abort(failure)
    this._step(() => {
      this._core.abort(failure)
      this._unreported = failure
    })
  }

  private async _checkClosed(batch: Batch<number>, answer: Answer): Promise<void> {
    let closed: boolean
    try {
      closed = (await this._stream.head({ signal: this._abortController.signal })).closed
    } catch (error) {
      this._step(() => this._core.refused(batch, error as DurableStreamError))
      return
    }
    this._step(() => this._core.closeChecked(batch, answer, closed))
  }

  private _post(batch: Batch<number>): Promise<Answer> {
    const headers: Record<string, string> = {
      [H.producerId]: this.producerId,
      [H.producerEpoch]: String(batch.epoch),
      [H.producerSeq]: String(batch.seq),
    }
    if (batch.body !== undefined) headers[H.contentType] = this._contentType
    if (batch.close) headers[H.closed] = "true"
    return this._stream.request("append", {
      method: "POST",
      headers,
      body: batch.body,
      signal: this._abortController.signal,
      retry: this._options.retry,
      okStatuses: [200, 204],
      // Called for every failed attempt: the core learns whether it may have been stored.
      isRetryable: (error) => this._core.attemptFailed(batch, error),
      handle: async (response) => {
        if (response.body) await response.body.cancel().catch(noop)
        const serverSeq = Number(response.headers.get(H.producerSeq) ?? NaN)
        return {
          status: response.status,
          offset: response.headers.get(H.nextOffset) ?? undefined,
          serverSeq: Number.isSafeInteger(serverSeq) ? serverSeq : undefined,
        }
      },
    })
  }

  private _abort(): void {
    const error = producerAbortedError(this)
    this._journal?.halt(error)
    this._state = "closed"
    this._abortController.abort(error)
    this._step(() => this._core.abort(error))
  }
}
