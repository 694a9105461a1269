import {
  DurableStream,
  DurableStreamError,
  ProtocolHeaders as H,
  defaultIsRetryable,
  describeValue,
  invalidArgument,
  isJsonContentType,
  optionalSignal,
  optionsObject,
} from "@durable-client/bytes"
import { classifyAck } from "./ack-outcome"
import { callbackFailed, reportCallbackError } from "@durable-client/bytes"
import { encodeJsonValue } from "./json-codec"
import { JsonStream } from "./json-stream"
import {
  resolveProducerOptions,
  type IdempotentProducerOptions,
  type ResolvedProducerOptions,
} from "./producer-options"

export interface ProducerAppendResult {
  /** Stream tail after the batch holding this message; absent on some duplicate acks. */
  offset: string | undefined
  /** The server had already stored this batch (a retry of a request whose answer was lost). */
  duplicate: boolean
}

/**
 * The result shared by every append of one batch: they are stored (or fail)
 * together, so one promise serves them all. That keeps an append to a
 * push and a size count, with no allocation per message.
 */
interface Settlement {
  promise: Promise<ProducerAppendResult>
  resolve: (result: ProducerAppendResult) => void
  reject: (error: Error) => void
}

/** An append that arrived while the buffer was full; it joins a batch when space frees. */
interface WaitingAppend {
  /** JSON text (JSON streams) or bytes (byte streams). */
  payload: string | Uint8Array
  size: number
  settlement: Settlement
}

type Outcome = "acked" | "failed" | "parked"

interface Batch {
  payloads: Array<string | Uint8Array>
  settlement: Settlement
  size: number
  body: Uint8Array | undefined
  /** Close request (`Stream-Closed: true`), optionally with a final message. */
  close: boolean
  epoch: number
  seq: number
  gapRetries: number
  /**
   * An attempt with this (epoch, seq) may have reached the server and been
   * stored (a network error, timeout or 5xx). Only then can a 204 duplicate
   * be the server recognising our own resend; a 204 to a tuple never sent
   * before means another instance used it.
   */
  mayBeStored: boolean
  /** Settles when the current transmission ends; recreated on every send. */
  transmission: Promise<Outcome>
  settle: (outcome: Outcome) => void
}

/** How many times a batch is resent after a sequence gap once everything before it is settled. */
const MAX_GAP_RETRIES = 3

const encoder = new TextEncoder()
const noop = (): void => undefined

/**
 * Exactly-once writer. Messages are batched (linger, size and count limits),
 * up to `maxInFlight` batches are pipelined, and every batch carries
 * `Producer-Id` / `Producer-Epoch` / `Producer-Seq` so the server drops
 * retried duplicates. Network errors, 429 and 5xx are retried with the same
 * epoch, seq and bytes. Nothing is ever dropped silently: a batch that cannot
 * be stored rejects its `append` promises, every later message, `flush()`
 * and `onError`.
 */
export class IdempotentProducer<T = unknown> {
  readonly producerId: string
  readonly url: string
  private readonly stream: DurableStream
  private readonly json: boolean
  private readonly contentType: string
  private readonly options: ResolvedProducerOptions
  private readonly onError: ((error: Error) => void) | undefined
  private readonly abortController = new AbortController()

  private epochValue: number
  private nextSeqValue = 0
  /** First batch of an epoch goes alone: later seqs must not race the epoch's bootstrap. */
  private epochConfirmed = false
  private state: "open" | "closing" | "closed" | "detached" = "open"
  private failure: Error | undefined

  private open: Array<string | Uint8Array> = []
  private openSize = 0
  private openSettlement: Settlement | undefined
  private lingerTimer: ReturnType<typeof setTimeout> | undefined
  private lingerExpired = false
  private forceSend = 0
  private readonly waiting: WaitingAppend[] = []
  private readonly queue: Batch[] = []
  private readonly inFlight = new Set<Batch>()
  private parked: Batch[] = []
  private claimEpoch: number | undefined
  /** Highest epoch a 403 named (without autoClaim); restart() moves past it. */
  private fencedBy: number | undefined
  /** The server stored (200) a batch of the current epoch: its producer state there is ours. */
  private storedInEpoch = false
  private buffered = 0
  private readonly idleWaiters: Array<() => void> = []
  private readyPromise: Promise<void> | undefined
  private readyResolve: (() => void) | undefined
  private closing: Promise<ProducerAppendResult> | undefined

  constructor(
    target: DurableStream | JsonStream<T>,
    producerId: string,
    options?: IdempotentProducerOptions
  ) {
    if (target instanceof DurableStream) this.stream = target
    else if (target instanceof JsonStream) this.stream = target.stream
    else {
      throw invalidArgument("(no url)", `IdempotentProducer needs a DurableStream or JsonStream (got ${describeValue(target)})`)
    }
    this.url = this.stream.url
    // The handle's retry delays, with the producer's own maxRetries (see defaults.ts).
    this.options = resolveProducerOptions(this.url, producerId, options, this.stream.settings.retry)
    this.producerId = producerId
    this.onError = this.options.onError
    const contentType = this.stream.contentType
    if (contentType === undefined) {
      throw invalidArgument(
        this.url,
        "the stream's content type is unknown: create or connect the stream first, or pass contentType"
      )
    }
    this.contentType = contentType
    this.json = isJsonContentType(contentType)
    this.epochValue = this.options.epoch
    const signal = this.options.signal
    if (signal) {
      if (signal.aborted) this.abort()
      else signal.addEventListener("abort", () => this.abort(), { once: true })
    }
  }

  /** Current epoch (changes on `restart()` and auto-claim). */
  get epoch(): number {
    return this.epochValue
  }

  /** Seq the next batch will carry. */
  get nextSeq(): number {
    return this.nextSeqValue
  }

  /** Bytes appended but not yet acknowledged (queued, batched or on the wire). */
  get bufferedBytes(): number {
    return this.buffered
  }

  /** The failure that stopped this producer, if any. */
  get error(): Error | undefined {
    return this.failure
  }

  /**
   * Resolves when the buffer is below `maxBufferedBytes`. Fire-and-forget
   * writers `await producer.ready` between appends to keep memory bounded on
   * a slow network.
   */
  get ready(): Promise<void> {
    if (!this.overLimit()) return Promise.resolve()
    this.readyPromise ??= new Promise((resolve) => {
      this.readyResolve = resolve
    })
    return this.readyPromise
  }

  /**
   * Queues one message (a JSON value on JSON streams; bytes or a string on
   * byte streams). Resolves when its batch is acknowledged. Ignoring the
   * promise is fine: failures also reject `flush()` and reach `onError`.
   */
  append(value: T | Uint8Array | string): Promise<ProducerAppendResult> {
    if (this.failure) return settledRejection(this.failure)
    if (this.state !== "open") return settledRejection(this.notOpenError())
    let payload: string | Uint8Array
    try {
      payload = this.encode(value)
    } catch (error) {
      return settledRejection(error as Error)
    }
    const size = this.wireSize(payload)
    if (this.waiting.length > 0 || this.overLimit()) {
      const settlement = settle()
      this.waiting.push({ payload, size, settlement })
      return settlement.promise
    }
    const promise = this.addToOpenBatch(payload, size)
    this.pump()
    return promise
  }

  /**
   * Resolves once everything appended so far is acknowledged. Rejects if
   * anything failed; the signal only stops the waiting, not the sending.
   */
  async flush(given?: { signal?: AbortSignal }): Promise<void> {
    const signal = optionalSignal(this.url, optionsObject(this.url, given, "flush options").signal, "signal")
    if (!this.isIdle()) {
      this.forceSend++
      try {
        this.pump()
        await withSignal(
          new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
          signal,
          this.url
        )
      } finally {
        this.forceSend--
      }
    }
    if (this.failure) throw this.failure
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
    if (this.closing) return this.closing
    const hasFinal = arguments.length > 0 && final !== undefined
    let body: Uint8Array | undefined
    try {
      // Before anything changes: a final value that cannot be sent leaves the producer as it was.
      body = hasFinal ? this.batchBody([this.encode(final)]) : undefined
    } catch (error) {
      return settledRejection(error as Error)
    }
    this.closing = (async () => {
      if (this.state === "open") this.state = "closing"
      await this.flush()
      const batch = this.makeBatch([], settle(), 0, body, true)
      this.queue.push(batch)
      this.forceSend++
      let result: ProducerAppendResult
      try {
        this.pump()
        result = await batch.settlement.promise
      } finally {
        this.forceSend--
      }
      this.state = "closed"
      this.clearLinger()
      return result
    })()
    this.closing.catch(noop)
    return this.closing
  }

  /** Flushes and stops accepting appends, leaving the stream open (another writer may go on). */
  async detach(): Promise<void> {
    if (this.state === "open") this.state = "detached"
    try {
      await this.flush()
    } finally {
      this.clearLinger()
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
    await this.whenNothingInFlight()
    this.failure = undefined
    this.epochValue = Math.max(this.epochValue, this.fencedBy ?? -1) + 1
    this.fencedBy = undefined
    this.nextSeqValue = 0
    this.epochConfirmed = false
    this.storedInEpoch = false
    if (this.state !== "closed" && this.state !== "closing") this.state = "open"
    this.pump()
  }

  // ---- batching -------------------------------------------------------------

  private encode(value: unknown): string | Uint8Array {
    if (this.json) {
      // Bytes have no JSON meaning (they would go out as {"0":…}): say so instead.
      if (value instanceof Uint8Array) {
        throw invalidArgument(this.url, "a JSON stream takes JSON values, not bytes (decode and parse them first)", "append")
      }
      return encodeJsonValue(value, this.url)
    }
    if (typeof value === "string") return encoder.encode(value)
    if (value instanceof Uint8Array) {
      if (value.length === 0) throw invalidArgument(this.url, "cannot append empty data", "append")
      return value
    }
    throw invalidArgument(this.url, "byte streams take Uint8Array or string messages", "append")
  }

  /** Bytes a message adds to a batch body: UTF-8 text plus its comma or bracket (JSON), or its bytes. */
  private wireSize(payload: string | Uint8Array): number {
    return typeof payload === "string" ? utf8Length(payload) + 1 : payload.length
  }

  /** Body length of a batch whose entries add up to `size` (a JSON array has one more bracket). */
  private bodyLength(size: number): number {
    return this.json ? size + 1 : size
  }

  /** Adds a message to the batch being filled; returns that batch's shared promise. */
  private addToOpenBatch(payload: string | Uint8Array, size: number): Promise<ProducerAppendResult> {
    // A message that would push the body past maxBatchBytes starts the next batch.
    if (this.open.length > 0 && this.bodyLength(this.openSize + size) > this.options.maxBatchBytes) {
      this.sealOpenBatch()
    }
    this.open.push(payload)
    this.openSize += size
    this.buffered += size
    const settlement = (this.openSettlement ??= settle())
    if (
      this.bodyLength(this.openSize) >= this.options.maxBatchBytes ||
      this.open.length >= this.options.maxBatchItems
    ) {
      this.sealOpenBatch()
    } else if (this.lingerTimer === undefined && !this.lingerExpired) {
      this.lingerTimer = setTimeout(() => {
        this.lingerTimer = undefined
        this.lingerExpired = true
        this.pump()
      }, this.options.lingerMs)
    }
    return settlement.promise
  }

  private sealOpenBatch(): void {
    if (this.open.length === 0 || !this.openSettlement) return
    const payloads = this.open
    const settlement = this.openSettlement
    this.open = []
    this.openSettlement = undefined
    const size = this.openSize
    this.openSize = 0
    this.clearLinger()
    this.queue.push(this.makeBatch(payloads, settlement, size, this.batchBody(payloads), false))
  }

  private makeBatch(
    payloads: Array<string | Uint8Array>,
    settlement: Settlement,
    size: number,
    body: Uint8Array | undefined,
    close: boolean
  ): Batch {
    return {
      payloads,
      settlement,
      size,
      body,
      close,
      epoch: -1,
      seq: -1,
      gapRetries: 0,
      mayBeStored: false,
      transmission: Promise.resolve("acked"),
      settle: noop,
    }
  }

  private batchBody(payloads: Array<string | Uint8Array>): Uint8Array {
    if (this.json) return encoder.encode(`[${(payloads as string[]).join(",")}]`)
    let length = 0
    for (const part of payloads as Uint8Array[]) length += part.length
    const body = new Uint8Array(length)
    let at = 0
    for (const part of payloads as Uint8Array[]) {
      body.set(part, at)
      at += part.length
    }
    return body
  }

  private clearLinger(): void {
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer)
    this.lingerTimer = undefined
    this.lingerExpired = false
  }

  /** Sends what may go now: sealed batches first, then the open batch once it lingered. */
  private pump(): void {
    for (;;) {
      if (this.failure || this.claimEpoch !== undefined) return
      const limit = this.epochConfirmed ? this.options.maxInFlight : 1
      if (this.inFlight.size >= limit) return
      if (this.queue.length === 0) {
        if (this.open.length === 0) return
        if (!this.lingerExpired && this.forceSend === 0) return
        this.sealOpenBatch()
      }
      this.send(this.queue.shift()!)
    }
  }

  private send(batch: Batch): void {
    batch.epoch = this.epochValue
    batch.seq = this.nextSeqValue++
    // A new tuple: nothing sent under it yet.
    batch.mayBeStored = false
    batch.transmission = new Promise((resolve) => {
      batch.settle = resolve
    })
    this.inFlight.add(batch)
    void this.transmit(batch)
  }

  // ---- the wire -----------------------------------------------------------

  private async transmit(batch: Batch): Promise<void> {
    for (;;) {
      try {
        const answer = await this.post(batch)
        const outcome = classifyAck({
          status: answer.status,
          closeOnly: batch.close && batch.body === undefined,
          seq: batch.seq,
          serverSeq: answer.serverSeq,
          highestSentSeq: this.nextSeqValue - 1,
          mayBeStored: batch.mayBeStored,
          storedInEpoch: this.storedInEpoch,
        })
        if (outcome === "verify-closed") {
          // A close-only 204 looks the same whether it closed the stream or
          // another instance's seq made it a duplicate: ask the stream.
          const info = await this.stream.head({ signal: this.abortController.signal })
          if (!info.closed) {
            this.epochInUse(batch, answer.serverSeq)
            return
          }
        } else if (outcome === "epoch-in-use") {
          this.epochInUse(batch, answer.serverSeq)
          return
        }
        if (answer.status === 200 && batch.epoch === this.epochValue) this.storedInEpoch = true
        this.ack(batch, { offset: answer.offset, duplicate: outcome === "duplicate" })
        return
      } catch (caught) {
        const error = caught as DurableStreamError
        const next = await this.afterFailure(batch, error)
        if (next === "retry") continue
        return
      }
    }
  }

  private post(batch: Batch): Promise<{ status: number; offset: string | undefined; serverSeq: number | undefined }> {
    const headers: Record<string, string> = {
      [H.producerId]: this.producerId,
      [H.producerEpoch]: String(batch.epoch),
      [H.producerSeq]: String(batch.seq),
    }
    if (batch.body !== undefined) headers[H.contentType] = this.contentType
    if (batch.close) headers[H.closed] = "true"
    return this.stream.request("append", {
      method: "POST",
      headers,
      body: batch.body,
      signal: this.abortController.signal,
      retry: this.options.retry,
      okStatuses: [200, 204],
      // Called for every failed attempt: the one place to learn that an
      // attempt may have been stored before its answer was lost.
      isRetryable: (error) => {
        if (mayHaveReachedServer(error)) batch.mayBeStored = true
        return defaultIsRetryable(error)
      },
      handle: async (response) => {
        if (response.body) await response.body.cancel().catch(noop)
        // The highest seq the server accepted in this epoch (IP-08).
        const serverSeq = Number(response.headers.get(H.producerSeq) ?? NaN)
        return {
          status: response.status,
          offset: response.headers.get(H.nextOffset) ?? undefined,
          serverSeq: Number.isSafeInteger(serverSeq) ? serverSeq : undefined,
        }
      },
    })
  }

  private async afterFailure(batch: Batch, error: DurableStreamError): Promise<"retry" | "done"> {
    if (error.code === "SEQUENCE_CONFLICT" && error.headers?.has(H.producerExpectedSeq)) {
      // A later batch overtook an earlier one on the wire. Wait for every
      // earlier batch of this epoch, then resend in order.
      const earlier = [...this.inFlight].filter(
        (other) => other !== batch && other.epoch === batch.epoch && other.seq < batch.seq
      )
      const outcomes = await Promise.all(earlier.map((other) => other.transmission))
      if (this.failure || outcomes.includes("failed")) {
        this.fail(batch, this.failure ?? error)
      } else if (outcomes.includes("parked") || this.claimEpoch !== undefined) {
        this.park(batch, undefined)
      } else if (batch.gapRetries++ < MAX_GAP_RETRIES) {
        return "retry"
      } else {
        this.fail(batch, error)
      }
      return "done"
    }
    if (error.status === 403 && error.headers?.has(H.producerEpoch)) {
      const serverEpoch = Number(error.headers.get(H.producerEpoch))
      if (this.options.autoClaim && Number.isSafeInteger(serverEpoch)) {
        this.park(batch, serverEpoch)
      } else {
        if (Number.isSafeInteger(serverEpoch)) this.fencedBy = Math.max(this.fencedBy ?? serverEpoch, serverEpoch)
        this.fail(batch, this.staleEpochError(batch.epoch, serverEpoch, error))
      }
      return "done"
    }
    this.fail(batch, error)
    return "done"
  }

  private ack(batch: Batch, result: ProducerAppendResult): void {
    this.inFlight.delete(batch)
    if (batch.epoch === this.epochValue) this.epochConfirmed = true
    this.buffered -= batch.size
    batch.settlement.resolve(result)
    batch.settle("acked")
    this.afterSettle()
  }

  /**
   * The server answered "duplicate" for a tuple this instance never had
   * stored: another instance (an earlier life without persisted state, or a
   * twin) used this epoch, and the batch was dropped, not stored. Like a
   * 403, auto-claim moves to a newer epoch and resends; otherwise the batch
   * fails with STALE_EPOCH.
   */
  private epochInUse(batch: Batch, serverSeq: number | undefined): void {
    if (this.options.autoClaim) {
      this.park(batch, batch.epoch)
      return
    }
    this.fencedBy = Math.max(this.fencedBy ?? batch.epoch, batch.epoch)
    const seen = serverSeq === undefined ? "" : ` (the server has its seqs up to ${serverSeq})`
    this.fail(
      batch,
      new DurableStreamError(
        "STALE_EPOCH",
        `Producer ${this.producerId} on stream ${this.url}: epoch ${batch.epoch} is already in use by another instance${seen}, so seq ${batch.seq} was answered as a duplicate and not stored. Persist and bump the epoch, restart(), or use autoClaim.`,
        { url: this.url, operation: batch.close ? "close" : "append", currentEpoch: batch.epoch }
      )
    )
  }

  /** Auto-claim: hold the batch until every request of the fenced epoch is back, then renumber. */
  private park(batch: Batch, serverEpoch: number | undefined): void {
    this.inFlight.delete(batch)
    this.parked.push(batch)
    if (serverEpoch !== undefined) {
      this.claimEpoch = Math.max(this.claimEpoch ?? serverEpoch, serverEpoch)
    }
    batch.settle("parked")
    if (this.inFlight.size === 0 && this.claimEpoch !== undefined) {
      const resend = this.parked.sort((a, b) => a.epoch - b.epoch || a.seq - b.seq)
      this.parked = []
      this.epochValue = Math.max(this.claimEpoch + 1, this.epochValue + 1)
      this.claimEpoch = undefined
      this.nextSeqValue = 0
      this.epochConfirmed = false
      this.storedInEpoch = false
      for (const parkedBatch of resend) parkedBatch.gapRetries = 0
      this.queue.unshift(...resend)
      this.pump()
    }
  }

  /**
   * A batch failed for good. Every later message depends on it (seqs are a
   * chain), so all of them fail too, loudly, with the same root cause.
   */
  private fail(batch: Batch, error: Error): void {
    this.inFlight.delete(batch)
    const first = this.failure === undefined
    this.failure ??= error
    this.buffered -= batch.size
    batch.settlement.reject(error)
    batch.settle("failed")
    this.rejectPending(this.failure)
    this.afterSettle()
    if (first && this.onError) {
      // Last, and guarded: what the caller's callback throws must not stop
      // the producer settling (flush() would hang) nor replace the failure.
      try {
        this.onError(error)
      } catch (thrown) {
        reportCallbackError(callbackFailed(this.url, `onError of producer ${this.producerId}`, thrown, "append"), undefined)
      }
    }
  }

  private rejectPending(error: Error): void {
    // Waiting appends were never counted in `buffered`; batched ones were.
    const pending: Settlement[] = this.waiting.splice(0).map((waiting) => waiting.settlement)
    if (this.openSettlement) pending.push(this.openSettlement)
    this.open = []
    this.openSettlement = undefined
    this.buffered -= this.openSize
    this.openSize = 0
    for (const batch of [...this.queue.splice(0), ...this.parked.splice(0)]) {
      pending.push(batch.settlement)
      this.buffered -= batch.size
      batch.settle("failed")
    }
    this.claimEpoch = undefined
    this.clearLinger()
    for (const settlement of pending) settlement.reject(error)
  }

  private afterSettle(): void {
    while (this.waiting.length > 0 && !this.overLimit()) {
      const waiting = this.waiting.shift()!
      this.addToOpenBatch(waiting.payload, waiting.size).then(waiting.settlement.resolve, waiting.settlement.reject)
    }
    if (!this.overLimit() && this.readyResolve) {
      this.readyResolve()
      this.readyResolve = undefined
      this.readyPromise = undefined
    }
    this.pump()
    if (this.isIdle()) {
      for (const resolve of this.idleWaiters.splice(0)) resolve()
    }
  }

  private overLimit(): boolean {
    return this.buffered >= this.options.maxBufferedBytes
  }

  private isIdle(): boolean {
    return (
      this.open.length === 0 &&
      this.waiting.length === 0 &&
      this.queue.length === 0 &&
      this.inFlight.size === 0 &&
      this.parked.length === 0
    )
  }

  private async whenNothingInFlight(): Promise<void> {
    while (this.inFlight.size > 0) {
      await Promise.all([...this.inFlight].map((batch) => batch.transmission))
    }
  }

  private abort(): void {
    const error = new DurableStreamError("ABORTED", `Producer ${this.producerId} on stream ${this.url} was aborted`, {
      url: this.url,
      operation: "append",
    })
    this.failure ??= error
    this.state = "closed"
    this.abortController.abort(error)
    this.rejectPending(error)
    this.afterSettle()
  }

  private staleEpochError(epoch: number, serverEpoch: number, cause: DurableStreamError): DurableStreamError {
    return new DurableStreamError(
      "STALE_EPOCH",
      `Producer ${this.producerId} on stream ${this.url} was fenced: epoch ${epoch} is older than the server's epoch ${String(serverEpoch)}. Another instance took over; restart() or autoClaim to take it back.`,
      {
        url: this.url,
        operation: "append",
        status: 403,
        headers: cause.headers,
        currentEpoch: Number.isSafeInteger(serverEpoch) ? serverEpoch : undefined,
        cause,
      }
    )
  }

  private notOpenError(): DurableStreamError {
    return new DurableStreamError(
      "STREAM_CLOSED",
      `Producer ${this.producerId} on stream ${this.url} is ${this.state}: it accepts no more appends`,
      { url: this.url, operation: "append" }
    )
  }
}

/**
 * A failed attempt that may have been processed: no answer at all (network
 * error, timeout) or a 5xx, which a proxy may send after the server stored
 * the request. A 4xx (429 included) is a refusal: nothing was stored.
 */
function mayHaveReachedServer(error: DurableStreamError): boolean {
  return error.code === "NETWORK" || error.code === "TIMEOUT" || (error.status !== undefined && error.status >= 500)
}

const NON_ASCII = /[^\x00-\x7f]/

/** UTF-8 length of a string without encoding it (JSON text has no lone surrogates). */
function utf8Length(text: string): number {
  // Most JSON is ASCII: one native scan instead of a loop in JavaScript.
  if (!NON_ASCII.test(text)) return text.length
  let length = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code < 0x80) length += 1
    else if (code < 0x800) length += 2
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) {
        length += 4
        i++
      } else {
        length += 3
      }
    } else length += 3
  }
  return length
}

function settle(): Settlement {
  let resolve!: Settlement["resolve"]
  let reject!: Settlement["reject"]
  const promise = new Promise<ProducerAppendResult>((res, rej) => {
    resolve = res
    reject = rej
  })
  // Fire-and-forget callers must not crash the process on rejection; flush() and onError report it.
  promise.catch(noop)
  return { promise, resolve, reject }
}

function settledRejection<T>(error: Error): Promise<T> {
  const promise = Promise.reject(error)
  promise.catch(noop)
  return promise
}

function withSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined, url: string): Promise<T> {
  if (!signal) return promise
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void =>
      reject(new DurableStreamError("ABORTED", `Waiting on stream ${url} was aborted`, { url, operation: "append" }))
    if (signal.aborted) return onAbort()
    signal.addEventListener("abort", onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort)
        reject(error)
      }
    )
  })
}
