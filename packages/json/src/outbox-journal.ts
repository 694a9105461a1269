import { wireSize, type Payload } from "./batch-builder"
import {
  SEGMENT_SIZE,
  corruptOutbox,
  decodeHead,
  decodeMessage,
  decodeSegment,
  encodeHead,
  encodeMessage,
  encodeSegment,
  firstLiveSegment,
  outboxKey,
  segmentKey,
  type OutboxHead,
} from "./outbox-entry"
import type { OutboxSnapshot } from "./producer-core"
import type { KeyValueStore } from "./producer-outbox"

export interface JournalConfig {
  url: string
  producerId: string
  json: boolean
  /** Restored messages go out as new batches within the producer's limits. */
  maxBatchItems: number
  maxBatchBytes: number
}

/** What the journal asks its producer when it writes. */
export interface JournalSource<Ticket> {
  /** The epoch and the seq the next batch takes. */
  position(): { epoch: number; nextSeq: number }
  /** Batches in flight that may be stored, in (epoch, seq) order (`ProducerCore.outboxSent`). */
  sent(): ReadonlyArray<{ epoch: number; seq: number; tickets: readonly Ticket[] }>
  /** The producer failed or was aborted: the outbox keeps what it holds for a later instance, untouched. */
  stopped(): boolean
}

/**
 * Keeps a producer's outbox in step with it: every message `append()`
 * accepted is owed to the stream until its ticket settles (stored, or
 * refused on its own), and the outbox holds every owed message.
 *
 * Writes are coalesced: a change schedules one write after the current
 * microtask checkpoint (so the appends of one synchronous loop share a
 * write), and changes made while a write runs share the next one. Each
 * write stores only the segments that gained messages and a small head
 * (see `outbox-entry.ts`), so n appends cost O(n) in total.
 */
export class OutboxJournal<Ticket> {
  private readonly _indexOf = new Map<Ticket, number>()
  /** Every message below `low` is settled; `end` is the next index. */
  private _low = 0
  private _end = 0
  /** Settled messages above `low` (acknowledged out of order, or refused alone). */
  private readonly _settledAbove = new Set<number>()
  /** Encoded messages from `bufferStart` on: the last, partial segment and anything not yet written. */
  private _buffer: Array<string | null> = []
  private _bufferStart = 0
  /** Messages below this index are in storage. */
  private _writtenEnd = 0
  /** Segments from here up to the first live one may still be in storage. */
  private _dropFrom = 0
  /** The head text in storage, if any, so an unchanged head is not written again. */
  private _headInStorage: string | undefined
  /** Accepted while the outbox is being read; indexed after the earlier instance's messages. */
  private _early: Map<Ticket, string> | undefined = new Map()
  /** Indexes of the restored messages, in the order `ProducerCore.restore` returns their tickets. */
  private _restoredIndexes: number[] = []
  private _requested = 0
  private _done = 0
  private _running = false
  private readonly _waiters: Array<{ generation: number; resolve: () => void; reject: (error: Error) => void }> = []
  private _failure: Error | undefined

  constructor(
    private readonly _outbox: KeyValueStore,
    private readonly _config: JournalConfig,
    private readonly _source: JournalSource<Ticket>,
    private readonly _onFailure: (error: Error) => void
  ) {}

  /**
   * Reads what an earlier instance left: its sent batches (to resend under
   * their tuples) and its unsent messages (as new batches). Pass the tickets
   * `ProducerCore.restore` made for them to `adopt`.
   */
  async read(): Promise<OutboxSnapshot> {
    const { url, producerId, json } = this._config
    const text = await this._outbox.get(outboxKey(url, producerId))
    if (text === undefined || text === null) return { sent: [], pending: [], position: undefined }
    const head = decodeHead(url, producerId, json, text)
    this._headInStorage = text
    this._low = head.low
    this._end = this._writtenEnd = head.end
    this._dropFrom = head.dropFrom
    for (const [from, to] of head.settled) for (let i = from; i < to; i++) this._settledAbove.add(i)
    const first = firstLiveSegment(head)
    const segments: Array<Array<string | null>> = []
    for (let segment = first; segment * SEGMENT_SIZE < head.end; segment++) {
      segments.push(decodeSegment(url, producerId, segment, await this._outbox.get(segmentKey(url, producerId, segment))))
    }
    const stored = (index: number): string | null | undefined =>
      segments[Math.floor(index / SEGMENT_SIZE) - first]?.[index % SEGMENT_SIZE]
    const message = (index: number): Payload => decodeMessage(url, producerId, json, stored(index))

    // The last, partial segment is rewritten as messages join it: keep what it holds (settled ones need no text).
    this._bufferStart = Math.floor(head.end / SEGMENT_SIZE) * SEGMENT_SIZE
    for (let i = this._bufferStart; i < head.end; i++) this._buffer.push(this._owed(i) ? encodeMessage(message(i)) : null)

    const inSent = new Set<number>()
    const sent = head.sent.map((range) => {
      const payloads: Payload[] = []
      for (let i = range.from; i < range.to; i++) {
        payloads.push(message(i))
        inSent.add(i)
        this._restoredIndexes.push(i)
      }
      return { epoch: range.epoch, seq: range.seq, payloads }
    })
    const lastSent = head.sent.at(-1)?.to ?? 0
    const pending: Payload[][] = []
    let run: Payload[] = []
    let bytes = 0
    for (let i = head.low; i < head.end; i++) {
      if (!this._owed(i) || inSent.has(i)) continue
      // Unsent messages come after every sent batch: they are resent after them.
      if (i < lastSent) throw corruptOutbox(url, producerId, `message ${i} is owed before a sent batch`)
      const payload = message(i)
      const size = wireSize(payload)
      // A batch is consecutive messages (the head stores a sent batch as a range) within the producer's limits.
      const full = run.length >= this._config.maxBatchItems || bytes + size + 1 > this._config.maxBatchBytes
      if (run.length > 0 && (full || this._restoredIndexes.at(-1) !== i - 1)) {
        pending.push(run)
        run = []
        bytes = 0
      }
      run.push(payload)
      bytes += size
      this._restoredIndexes.push(i)
    }
    if (run.length > 0) pending.push(run)
    return { sent, pending, position: { epoch: head.epoch, nextSeq: head.nextSeq } }
  }

  /** The restored messages' tickets (from `ProducerCore.restore`); then what was appended meanwhile is indexed, and written. */
  adopt(tickets: readonly Ticket[]): void {
    tickets.forEach((ticket, at) => this._indexOf.set(ticket, this._restoredIndexes[at]!))
    this._restoredIndexes = []
    const early = this._early ?? new Map<Ticket, string>()
    this._early = undefined
    for (const [ticket, text] of early) this._index(ticket, text)
    this._changed()
  }

  /** `append()` accepted a message: it is owed to the stream, and written in the next write. */
  accept(ticket: Ticket, payload: Payload): void {
    const text = encodeMessage(payload)
    if (this._early) this._early.set(ticket, text)
    else this._index(ticket, text)
    this._changed()
  }

  /** The message's append settled (stored, or refused): it is no longer owed. */
  settle(ticket: Ticket): void {
    if (this._early?.delete(ticket)) return
    const index = this._indexOf.get(ticket)
    if (index === undefined) return
    this._indexOf.delete(ticket)
    if (index !== this._low) this._settledAbove.add(index)
    else {
      this._low++
      while (this._settledAbove.delete(this._low)) this._low++
    }
    this._changed()
  }

  /** Schedules a write of the current state; resolves once it is in storage (what `send` waits for). */
  sync(): Promise<void> {
    this._changed()
    return this.written()
  }

  /** Resolves once every change so far is in storage; rejects if the outbox failed. */
  written(): Promise<void> {
    if (this._failure) return Promise.reject(this._failure)
    const generation = this._requested
    if (this._done >= generation) return Promise.resolve()
    return new Promise((resolve, reject) => this._waiters.push({ generation, resolve, reject }))
  }

  /** The producer stopped for good (aborted, or the outbox failed): no more writes; waiters reject with `error`. */
  halt(error: Error): void {
    this._failure ??= error
    for (const waiter of this._waiters.splice(0)) waiter.reject(this._failure)
  }

  private _owed(index: number): boolean {
    return index >= this._low && !this._settledAbove.has(index)
  }

  private _index(ticket: Ticket, text: string): void {
    this._indexOf.set(ticket, this._end++)
    this._buffer.push(text)
  }

  private _changed(): void {
    this._requested++
    if (this._running || this._early || this._failure) return
    this._running = true
    void this._run()
  }

  private async _run(): Promise<void> {
    try {
      // The rest of the current synchronous work (a loop of appends) joins this write.
      await Promise.resolve()
      while (this._done < this._requested) {
        const generation = this._requested
        await this._writeOnce()
        this._done = generation
        // In the order they waited: sends go out in seq order.
        const ready = this._waiters.filter((waiter) => waiter.generation <= generation)
        this._waiters.splice(0, this._waiters.length, ...this._waiters.filter((waiter) => waiter.generation > generation))
        for (const waiter of ready) waiter.resolve()
      }
    } catch (thrown) {
      const error = thrown instanceof Error ? thrown : new Error(String(thrown))
      this.halt(error)
      this._onFailure(error)
    }
    this._running = false
  }

  /**
   * Segments that gained messages, then the head, then segments no message
   * needs any more. The head stays once nothing is owed: its epoch and next
   * seq let a later instance go on past every seq used (starting again at
   * seq 0 of a used epoch would be taken for another writer). Every text is
   * made before the first await, so one write stores one consistent state.
   */
  private async _writeOnce(): Promise<void> {
    if (this._source.stopped()) return
    const { url, producerId, json } = this._config
    const { _low: low, _end: end } = this
    const firstWritten = Math.max(Math.floor(this._writtenEnd / SEGMENT_SIZE), firstLiveSegment({ low, end }))
    // A segment (re)written below the cleanup mark must be cleaned up again once its messages settle.
    if (firstWritten * SEGMENT_SIZE < end) this._dropFrom = Math.min(this._dropFrom, firstWritten)
    const head: OutboxHead = {
      low,
      end,
      settled: this._settledRanges(),
      sent: this._sentRanges(),
      dropFrom: this._dropFrom,
      ...this._source.position(),
    }
    const live = firstLiveSegment(head)
    const writes: Array<[string, string]> = []
    for (let segment = firstWritten; segment * SEGMENT_SIZE < end; segment++) {
      const from = segment * SEGMENT_SIZE - this._bufferStart
      const messages = this._buffer.slice(from, Math.min(from + SEGMENT_SIZE, end - this._bufferStart))
      writes.push([segmentKey(url, producerId, segment), encodeSegment(segment, messages)])
    }
    const headText = encodeHead(url, producerId, json, head)
    if (headText !== this._headInStorage) writes.push([outboxKey(url, producerId), headText])
    this._advance(end)
    for (const [key, text] of writes) await this._outbox.set(key, text)
    this._headInStorage = headText
    for (let segment = head.dropFrom; segment < live; segment++) await this._outbox.delete(segmentKey(url, producerId, segment))
    this._dropFrom = Math.max(this._dropFrom, live)
  }

  /** Messages below `end` are being written: the buffer keeps only the last, partial segment from there. */
  private _advance(end: number): void {
    this._writtenEnd = end
    const start = Math.floor(end / SEGMENT_SIZE) * SEGMENT_SIZE
    this._buffer.splice(0, start - this._bufferStart)
    this._bufferStart = start
  }

  private _settledRanges(): Array<[number, number]> {
    const ranges: Array<[number, number]> = []
    for (const index of [...this._settledAbove].sort((a, b) => a - b)) {
      const last = ranges.at(-1)
      if (last && last[1] === index) last[1]++
      else ranges.push([index, index + 1])
    }
    return ranges
  }

  private _sentRanges(): OutboxHead["sent"] {
    return this._source.sent().map((batch) => {
      const from = this._indexOf.get(batch.tickets[0]!)!
      return { epoch: batch.epoch, seq: batch.seq, from, to: from + batch.tickets.length }
    })
  }
}
