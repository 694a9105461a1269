import { invalidArgument } from "@durable-client/bytes/internal"
import { encodeJsonValue } from "./json-codec"

/**
 * Pure: encodes messages, gathers them into batches within `maxBatchBytes`
 * and `maxBatchItems`, and knows what a batch costs on the wire. No timers
 * and no I/O: the linger wait is a state here, and the clock that ends it
 * belongs to whoever owns the builder (see `LingerClock`).
 */

/** One message as it goes into a body: JSON text (JSON streams) or bytes (byte streams). */
export type Payload = string | Uint8Array

/** Encodes one appended value, refusing what the stream cannot carry (INVALID_ARGUMENT). */
export function toPayload(value: unknown, json: boolean, url: string): Payload {
  if (json) {
    // Bytes have no JSON meaning (they would go out as {"0":…}): say so instead.
    if (value instanceof Uint8Array) {
      throw invalidArgument(url, "a JSON stream takes JSON values, not bytes (decode and parse them first)", "append")
    }
    return encodeJsonValue(value, url)
  }
  if (typeof value === "string") return encoder.encode(value)
  if (value instanceof Uint8Array) {
    if (value.length === 0) throw invalidArgument(url, "cannot append empty data", "append")
    return value
  }
  throw invalidArgument(url, "byte streams take Uint8Array or string messages", "append")
}

/**
 * A batch of messages sent as one request. `Ticket` is the caller's handle on
 * one append (the producer's promise); `tickets` runs beside `payloads`, so a
 * batch a 413 refused can be split and each message settled on its own.
 */
export interface Batch<Ticket> {
  /**
   * The encoded messages, kept so a batch can be re-encoded or split. Once a
   * JSON batch is sealed they may be dropped (`payloadsDropped`): the body
   * holds them all, and `payloadsOf` finds them again there.
   */
  readonly payloads: Payload[]
  payloadsDropped?: boolean
  /** One ticket per message, beside `payloads`; a close has one ticket (for its final message, if any). */
  readonly tickets: Ticket[]
  /** Bytes the messages add to a body: what the batch counts against `maxBufferedBytes`. */
  size: number
  /** The request body, set when the batch is sealed; absent for a close without a final message. */
  body: Uint8Array | undefined
  /** A close request (`Stream-Closed: true`), optionally with a final message. */
  readonly close: boolean
  /** The (epoch, seq) tuple it is sent under; -1 until it is first sent. */
  epoch: number
  seq: number
  /** Resends after a sequence gap under this tuple. */
  gapRetries: number
  /**
   * An attempt with this tuple may have reached the server and been stored
   * (a network error, timeout or 5xx). Only then can a 204 duplicate be the
   * server recognising our own resend; a 204 to a tuple never sent before
   * means another instance used it.
   */
  mayBeStored: boolean
  /** Restored from a durable outbox: a seq gap with nothing earlier in flight means the seqs from the expected one are free. */
  restored?: boolean
}

export interface BatchLimits {
  /** JSON streams send `[a,b,…]`; byte streams concatenate. */
  json: boolean
  maxBatchBytes: number
  maxBatchItems: number
}

/** The linger timer, owned by the caller: the builder says when it starts and when it is no longer wanted. */
export interface LingerClock {
  startLinger(): void
  cancelLinger(): void
  /** A batch was sealed: later appends go to another request. */
  batchSealed?(): void
}

/** A batch not yet sent or sealed. */
export function newBatch<Ticket>(tickets: Ticket[] = [], close = false, body?: Uint8Array): Batch<Ticket> {
  return { payloads: [], tickets, size: 0, body, close, epoch: -1, seq: -1, gapRetries: 0, mayBeStored: false }
}

/**
 * The two halves of a sealed batch of several messages (a 413 refused it),
 * each sealed, in order, carrying the parent's tuple until it is renumbered.
 */
export function splitBatch<Ticket>(batch: Batch<Ticket>, json: boolean): [Batch<Ticket>, Batch<Ticket>] {
  const payloads = payloadsOf(batch)
  const middle = Math.ceil(payloads.length / 2)
  const half = (from: number, to: number): Batch<Ticket> => {
    const part = newBatch(batch.tickets.slice(from, to))
    part.payloads.push(...payloads.slice(from, to))
    for (const payload of part.payloads) part.size += wireSize(payload)
    part.body = encodeBody(part.payloads, json)
    part.epoch = batch.epoch
    part.seq = batch.seq
    return part
  }
  return [half(0, middle), half(middle, payloads.length)]
}

/** A batch's messages: as kept, or found again in its sealed JSON body. */
export function payloadsOf<Ticket>(batch: Batch<Ticket>): Payload[] {
  if (!batch.payloadsDropped || batch.body === undefined) return batch.payloads
  return jsonArrayElements(batch.body).map((element) => decoder.decode(element))
}

/**
 * The elements of a JSON array body, as views of its bytes: the top-level
 * commas are found by tracking strings and nesting (bytes of multi-byte
 * UTF-8 characters never look like ASCII punctuation).
 */
export function jsonArrayElements(body: Uint8Array): Uint8Array[] {
  const elements: Uint8Array[] = []
  let depth = 0
  let inString = false
  let escaped = false
  let start = 1
  for (let i = 0; i < body.length; i++) {
    const byte = body[i]!
    if (inString) {
      if (escaped) escaped = false
      else if (byte === BACKSLASH) escaped = true
      else if (byte === QUOTE) inString = false
    } else if (byte === QUOTE) inString = true
    else if (byte === OPEN_BRACKET || byte === OPEN_BRACE) depth++
    else if (byte === CLOSE_BRACKET || byte === CLOSE_BRACE) {
      depth--
      if (depth === 0) {
        if (i > start) elements.push(body.subarray(start, i))
        break
      }
    } else if (byte === COMMA && depth === 1) {
      elements.push(body.subarray(start, i))
      start = i + 1
    }
  }
  return elements
}

const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d

/**
 * The batch being filled. Sealed batches go, in order, to `sealed` (the
 * sender's queue). While it is not full the open batch lingers: "armed"
 * once its clock runs, "expired" when the clock has fired.
 */
export class BatchBuilder<Ticket> {
  private _open: Batch<Ticket> | undefined
  private _linger: "idle" | "armed" | "expired" = "idle"
  /**
   * JSON: the open batch's body, written as messages join it (`[a,b,…`).
   * Encoding each message once into its place costs a third of joining
   * the texts and encoding the result at the seal, and a text is garbage
   * as soon as it is written instead of living until the batch goes.
   */
  private _jsonBody = EMPTY
  private _jsonLength = 0
  /** How large the next body starts: the size of the last one, so bodies are not grown by doubling again at every batch. */
  private _jsonStart = 0
  /**
   * JSON: short texts placed in the open batch but not yet in its body.
   * They are written a run at a time (joined, one `encodeInto`): a call
   * per message cost about half of what serialising the message did (100 000
   * ~100-byte messages: some 15 ms of calls beside 30 ms of JSON.stringify). `place`
   * counts each at its UTF-16 length + 1, the least its UTF-8 can take; the
   * write adds what the UTF-8 took beyond that (`takeGrowth`).
   */
  private _run: string[] = []
  private _runChars = 0
  private _growth = 0

  /**
   * The body size a batch is sealed at. The first batch is kept small: it
   * goes alone (the server learns the producer's epoch from it before
   * anything is pipelined), so the sooner it is answered, the sooner the
   * window opens; a full-size first batch kept the server idle while it was
   * built and the writer waiting while it was stored.
   */
  private _maxBytes: number

  constructor(
    private readonly _limits: BatchLimits,
    private readonly _sealed: Array<Batch<Ticket>>,
    private readonly _clock: LingerClock
  ) {
    this._maxBytes = Math.min(_limits.maxBatchBytes, FIRST_BATCH_BYTES)
  }

  /** Messages in the open batch. */
  get openCount(): number {
    // One ticket per message (a JSON batch keeps its messages only in its body).
    return this._open?.tickets.length ?? 0
  }

  /** The open batch may go now: its linger is over (or the caller forces it). */
  get lingered(): boolean {
    return this._linger === "expired"
  }

  /** Adds a message and returns the batch it joined (sealed already when that filled it); `ticket` settles it. */
  add(payload: Payload, ticket: Ticket): Batch<Ticket> {
    return this.commit(payload, this.place(payload), ticket)
  }

  /**
   * Puts a message at the end of the open batch, sealing that batch first
   * if the message would push its body past maxBatchBytes, and returns the
   * message's wire size. `commit` gives it its ticket; nothing else may
   * happen to the builder in between. (Two steps so an owner settling
   * appends by batch makes the ticket after a seal, see settlement.ts.)
   */
  place(payload: Payload): number {
    if (!this._limits.json) {
      const size = (payload as Uint8Array).length
      if (this._open && this._bodyLength(this._open.size + size) > this._maxBytes) this.seal()
      return size
    }
    const text = payload as string
    if (text.length <= RUN_TEXT_CHARS && this._runFits(text.length)) {
      this._run.push(text)
      this._runChars += text.length
      return text.length + 1
    }
    // From here the body is written message by message, exactly.
    this._writeRun()
    const start = this._jsonLength
    const size = this._writeJson(text)
    if (this._open && this._bodyLength(this._open.size + size) > this._maxBytes) {
      // It did not fit: the open batch goes without it, and it starts the next body.
      const bytes = this._jsonBody.slice(start + 1, this._jsonLength)
      this._jsonLength = start
      this.seal()
      this._reserve(bytes.length + 2)
      this._jsonBody[0] = OPEN_BRACKET
      this._jsonBody.set(bytes, 1)
      this._jsonLength = bytes.length + 1
    }
    return size
  }

  /** The message `place` just put in the open batch joins it with its ticket; a full batch is sealed. */
  commit(payload: Payload, size: number, ticket: Ticket): Batch<Ticket> {
    const batch = (this._open ??= newBatch())
    if (!this._limits.json) batch.payloads.push(payload)
    batch.tickets.push(ticket)
    batch.size += size
    if (this._run.length >= RUN_LENGTH) this._writeRun()
    if (this._bodyLength(batch.size) >= this._maxBytes || batch.tickets.length >= this._limits.maxBatchItems) {
      this.seal()
    } else if (this._linger === "idle") {
      this._linger = "armed"
      this._clock.startLinger()
    }
    return batch
  }

  /** Encodes the open batch and queues it. */
  seal(): void {
    const batch = this._open
    if (!batch) return
    this._writeRun()
    this._open = undefined
    this.resetLinger()
    if (this._limits.json) {
      // Its messages are in the body only (a durable outbox keeps its own
      // copy); `payloadsOf` finds them there for a 413 split.
      this._jsonBody[this._jsonLength++] = CLOSE_BRACKET
      const body = this._jsonBody
      const length = this._jsonLength
      // The next body starts as large as this one was, so a writer keeping
      // up a rate builds each body in one buffer or two, not by doubling
      // from a kilobyte after every batch a linger cut short.
      if (length * 2 >= body.length) {
        // Nearly full: the buffer itself is the body.
        batch.body = body.subarray(0, length)
        this._jsonStart = body.length
      } else {
        batch.body = body.slice(0, length)
        this._jsonStart = length
      }
      batch.payloadsDropped = true
      this._jsonBody = EMPTY
      this._jsonLength = 0
    } else {
      batch.body = encodeBody(batch.payloads, false)
    }
    this._sealed.push(batch)
    this._maxBytes = this._limits.maxBatchBytes
    this._clock.batchSealed?.()
  }

  /**
   * Bytes the open batch grew by, beyond the sizes `place` returned, since
   * the last call: written runs of texts that were not all ASCII. The owner
   * adds them to what it counts as buffered, so that stays the sum of the
   * batches' sizes.
   */
  takeGrowth(): number {
    const growth = this._growth
    this._growth = 0
    return growth
  }

  /** The clock fired. */
  lingerElapsed(): void {
    if (this._linger === "armed") this._linger = "expired"
  }

  /** Back to no linger at all, stopping the clock if it runs. */
  resetLinger(): void {
    if (this._linger === "armed") this._clock.cancelLinger()
    this._linger = "idle"
  }

  /** Takes the open batch away unsent (the producer failed). */
  discard(): Batch<Ticket> | undefined {
    const batch = this._open
    this._open = undefined
    this._jsonBody = EMPTY
    this._jsonLength = 0
    this._run = []
    this._runChars = 0
    this.resetLinger()
    return batch
  }

  /**
   * Whether a text of `chars` UTF-16 units may join the run: the body
   * stays within maxBatchBytes even if every unit of the run took 3 bytes.
   * Near a full body it does not, and texts are written one by one, so the
   * batch ends exactly where the limit says.
   */
  private _runFits(chars: number): boolean {
    // The body so far, 3 bytes per unit, a comma or `[` per text, and `]`.
    return this._jsonLength + 3 * (this._runChars + chars) + this._run.length + 2 <= this._maxBytes
  }

  /** Writes the run's texts to the body in one call and counts what they took beyond their estimate. */
  private _writeRun(): void {
    const count = this._run.length
    if (count === 0) return
    const estimate = this._runChars + count
    const text = count === 1 ? this._run[0]! : this._run.join(",")
    this._run = []
    this._runChars = 0
    const growth = this._writeJson(text) - estimate
    // The run's texts are in the open batch (each was committed right after `place`).
    this._open!.size += growth
    this._growth += growth
  }

  /**
   * Writes `[` or `,` and the text to the open JSON body, leaving room for
   * the `]`; returns the text's wire size (its UTF-8 length + 1). The text
   * is written into the room there is, and the body grows only if its UTF-8
   * is longer than that. (Reserving the worst case first, 3 bytes per
   * UTF-16 unit, grew and copied nearly every full body a little before its
   * end.)
   */
  private _writeJson(text: string): number {
    const start = this._jsonLength
    // At least a byte per UTF-16 unit, the `[` or `,`, and the `]`.
    this._reserve(text.length + 2)
    this._jsonBody[this._jsonLength++] = start === 0 ? OPEN_BRACKET : COMMA
    let rest = text
    for (;;) {
      // Up to the last byte, which stays free for the `]`.
      const { read, written } = writeUtf8(rest, this._jsonBody.subarray(this._jsonLength, this._jsonBody.length - 1))
      this._jsonLength += written
      if (read === rest.length) return this._jsonLength - start
      // Longer in UTF-8 than the room left (it stops between characters): room for the worst case of the rest.
      rest = rest.slice(read)
      this._reserve(rest.length * 3 + 1)
    }
  }

  /** Room for `bytes` more in the open JSON body, doubling from a small start (a lone message does not cost a full-size buffer). */
  private _reserve(bytes: number): void {
    const needed = this._jsonLength + bytes
    if (needed <= this._jsonBody.length) return
    const grown = new Uint8Array(
      Math.max(needed, Math.min(this._jsonBody.length * 2, this._limits.maxBatchBytes + 1), this._jsonStart, 1024)
    )
    grown.set(this._jsonBody.subarray(0, this._jsonLength))
    this._jsonBody = grown
  }

  /** Body length of a batch whose entries add up to `size` (a JSON array has one more bracket). */
  private _bodyLength(size: number): number {
    return this._limits.json ? size + 1 : size
  }
}

/** One request body: `[a,b,…]` for JSON text, the bytes end to end otherwise. */
export function encodeBody(payloads: readonly Payload[], json: boolean): Uint8Array {
  if (json) return encoder.encode(`[${(payloads as string[]).join(",")}]`)
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

/** Bytes a message adds to a batch body: UTF-8 text plus its comma or bracket (JSON), or its bytes. */
export function wireSize(payload: Payload): number {
  if (typeof payload !== "string") return payload.length
  // Encoding into a scratch buffer measures a short text faster than any
  // scan in JavaScript (or a regular expression for non-ASCII) does.
  if (payload.length <= SCRATCH_BYTES / 3 && canEncodeInto) return writeUtf8(payload, (scratch ??= new Uint8Array(SCRATCH_BYTES))).written + 1
  return encoder.encode(payload).length + 1
}

const encoder = new TextEncoder()
// Hermes (React Native) has TextEncoder without encodeInto: there a text is
// encoded on its own and copied into place.
const canEncodeInto = typeof encoder.encodeInto === "function"

/**
 * Writes as much of the UTF-8 of `text` as fits in `target`, whole
 * characters only (`TextEncoder.encodeInto`'s contract). Hermes (React
 * Native) has no encodeInto: there the text is encoded on its own and
 * copied in if it fits whole.
 */
function writeUtf8(text: string, target: Uint8Array): { read: number; written: number } {
  if (canEncodeInto) return encoder.encodeInto(text, target)
  const bytes = encoder.encode(text)
  if (bytes.length > target.length) return { read: 0, written: 0 }
  target.set(bytes)
  return { read: text.length, written: bytes.length }
}

/** The first batch's body at most (see `_maxBytes`). */
const FIRST_BATCH_BYTES = 64 * 1024

/** Texts written per call at most, and the longest text that waits for a run (a longer one is written at once: its call costs little beside it). */
const RUN_LENGTH = 64
const RUN_TEXT_CHARS = 1024

const SCRATCH_BYTES = 16 * 1024
let scratch: Uint8Array | undefined
const EMPTY = new Uint8Array(0)
const decoder = new TextDecoder()
