import { type ReadSession, type SessionStatus, type StreamChunk } from "@durable-client/bytes"
import { aliasAsyncIterator, notify } from "@durable-client/bytes/internal"
import type { StandardSchemaV1 } from "@standard-schema/spec"
import { parseJsonBatch, validateItems } from "./json-codec"
import { messagePosition, type MessagePosition, type PositionedMessage } from "./message-position"

/** The messages of one response (or SSE batch), with where to resume after them. */
export interface JsonBatch<T> {
  items: T[]
  /** Where to resume after this batch. */
  offset: string
  /** The offset this batch was read from: `-1`/`now` for a read's first batch from there, else a server offset. */
  start: string
  /** `items[i]`'s position (`start` + `i`): a fork point (`fork({ at })`) and a key. Made on first use. */
  readonly positions: readonly MessagePosition[]
  upToDate: boolean
  closed: boolean
}

/**
 * A read of a JSON stream. Wraps a byte ReadSession and keeps its own
 * checkpoint: `offset` moves only past batches that parsed (and validated),
 * so after a PARSE_ERROR or VALIDATION error `offset` is still a good place
 * to resume from.
 *
 * It keeps its own status too: a batch that fails to parse or validate is
 * this session's error, which the byte session underneath never sees (for
 * it the bytes arrived fine, and it is simply cancelled). Listeners hear
 * "error", never a "closed" that would read as a normal end.
 */
export class JsonReadSession<T = unknown> implements AsyncIterable<JsonBatch<T>> {
  offset: string
  upToDate = false
  closed = false
  /** A batch failed to parse or validate: this session's own "error", whatever the byte session says. */
  private _failed = false
  /**
   * Created, and the byte session's status followed, only once someone
   * listens: an idle reader with no listener holds no Set and no closure.
   */
  private _statusListeners: Set<(status: SessionStatus) => void> | undefined

  private readonly _session: ReadSession
  private readonly _schema: StandardSchemaV1<unknown, T> | undefined

  constructor(session: ReadSession, schema: StandardSchemaV1<unknown, T> | undefined) {
    this._session = session
    this._schema = schema
    this.offset = session.offset
  }

  get url(): string {
    return this._session.url
  }

  get status(): SessionStatus {
    return this._failed ? "error" : this._session.status
  }

  get liveTransport(): "sse" | "long-poll" | undefined {
    return this._session.liveTransport
  }

  /** Listens for status changes; returns a function that stops listening. */
  onStatusChange(listener: (status: SessionStatus) => void): () => void {
    let listeners = this._statusListeners
    if (!listeners) {
      listeners = this._statusListeners = new Set()
      // The byte session reports each change once and stays finished once finished.
      this._session.onStatusChange((status) => {
        if (!this._failed) this._notify(status)
      })
    }
    listeners.add(listener)
    return () => {
      listeners.delete(listener)
    }
  }

  cancel(): Promise<void> {
    return this._session.cancel()
  }

  /** Batches in stream order; the checkpoint advances as each is handed out. */
  [Symbol.asyncIterator](): AsyncIterator<JsonBatch<T>> {
    const chunks = this._session[Symbol.asyncIterator]()
    return {
      next: async () => {
        const result = await chunks.next()
        if (result.done) return { done: true, value: undefined }
        const batch = await this._decode(result.value)
        this._commit(batch)
        return { done: false, value: batch }
      },
      return: async () => {
        await this._session.cancel()
        return { done: true, value: undefined }
      },
    }
  }

  /** One message at a time. `offset` advances per batch, after its last message was taken. */
  async *messages(): AsyncGenerator<T, void, undefined> {
    for await (const batch of this._decodedBatches()) for (const item of batch.items) yield item
  }

  /**
   * Decoded batches for the one-at-a-time readers: a batch is committed when
   * the next one is asked for, i.e. after its last message was taken; ending
   * early cancels the session.
   */
  private async *_decodedBatches(): AsyncGenerator<JsonBatch<T>, void, undefined> {
    const chunks = this._session[Symbol.asyncIterator]()
    try {
      for (;;) {
        const result = await chunks.next()
        if (result.done) return
        const batch = await this._decode(result.value)
        yield batch
        this._commit(batch)
      }
    } finally {
      await this._session.cancel()
    }
  }

  /**
   * Calls `handler` per batch and waits for it (backpressure). The checkpoint
   * moves only after the handler finished. Resolves at end of stream or on
   * `cancel()`; rejects with a read, parse, validation or handler error.
   */
  forEach(handler: (batch: JsonBatch<T>) => void | Promise<void>): Promise<void> {
    return this._consume(handler)
  }

  /** @deprecated Use `forEach(handler)`, the same verb as on the byte reader. */
  subscribeJson(handler: (batch: JsonBatch<T>) => void | Promise<void>): Promise<void> {
    return this._consume(handler)
  }

  private _consume(handler: (batch: JsonBatch<T>) => void | Promise<void>): Promise<void> {
    return this._session.forEach(async (chunk) => {
      const batch = await this._decode(chunk)
      await handler(batch)
      this._commit(batch)
    })
  }

  /**
   * One message at a time with its position (`{ value, position }`), for
   * keys and fork points without counting by hand. `offset` advances as
   * `messages()` does.
   */
  async *entries(): AsyncGenerator<PositionedMessage<T>, void, undefined> {
    for await (const batch of this._decodedBatches()) {
      for (let index = 0; index < batch.items.length; index++) {
        yield { value: batch.items[index] as T, position: messagePosition(batch.start, index) }
      }
    }
  }


  /** Every message up to the end of this session (up to date for `live: false`). */
  async json(): Promise<T[]> {
    const batches: T[][] = []
    let total = 0
    for await (const batch of this) {
      if (batch.items.length === 0) continue
      batches.push(batch.items)
      total += batch.items.length
    }
    // A catch-up is often one response: its parsed array is the result, not copied item by item.
    if (batches.length === 1) return batches[0]!
    const all: T[] = new Array(total)
    let at = 0
    for (const items of batches) for (let i = 0; i < items.length; i++) all[at++] = items[i]!
    return all
  }

  private async _decode(chunk: StreamChunk): Promise<JsonBatch<T>> {
    try {
      const raw = parseJsonBatch(chunk.data, this.url, this.offset)
      const items = await validateItems(raw, this._schema, this.url, this.offset)
      return withPositions({ items, offset: chunk.offset, start: this.offset, upToDate: chunk.upToDate, closed: chunk.closed })
    } catch (error) {
      // "error" first, so the byte session's "closed" from the cancel below
      // (which stops anything running behind a failed read) is not heard as a normal end.
      this._fail()
      await this._session.cancel()
      throw error
    }
  }

  private _fail(): void {
    // A finished session stays finished.
    const current = this.status
    if (current === "closed" || current === "error") return
    this._failed = true
    this._notify("error")
  }

  private _notify(status: SessionStatus): void {
    // One listener's bug must not stop the others or the read (the same rule as the byte session's).
    if (this._statusListeners) notify(this.url, "an onStatusChange listener", this._statusListeners, status)
  }


  private _commit(batch: JsonBatch<T>): void {
    this.offset = batch.offset
    this.upToDate = batch.upToDate
    this.closed = batch.closed
  }
}

/**
 * Adds the lazy `positions`: not enumerable, so batches still compare and
 * spread as plain data, and a reader that never asks pays nothing.
 */
function withPositions<T>(batch: Omit<JsonBatch<T>, "positions">): JsonBatch<T> {
  let positions: readonly MessagePosition[] | undefined
  return Object.defineProperty(batch, "positions", {
    enumerable: false,
    get: () => (positions ??= Object.freeze(batch.items.map((_, index) => messagePosition(batch.start, index)))),
  }) as JsonBatch<T>
}

// `for await` over a session in React Native, where Hermes lacks Symbol.asyncIterator.
aliasAsyncIterator(JsonReadSession.prototype)
