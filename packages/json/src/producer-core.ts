import type { DurableStreamError } from "@durable-client/bytes"
import { classifyAck } from "./ack-outcome"
import { BatchBuilder, encodeBody, newBatch, payloadsOf, splitBatch, wireSize, type Batch, type Payload } from "./batch-builder"
import { classifyAttempt, classifyFailure } from "./failure-outcome"
import { GapWaits } from "./gap-waits"
import type { Answer, ProducerAppendResult, ProducerCommands } from "./producer-commands"
import { epochInUseError, staleEpochError, type ProducerIdentity } from "./producer-errors"
import { Sequencer } from "./sequencer"

/**
 * The idempotent producer's decisions, without I/O: batching, the (epoch,
 * seq) of each batch, the in-flight window, backpressure accounting, and
 * what each answer means. It never fetches, sleeps or makes a promise; it
 * asks its owner to through `ProducerCommands` (send this batch, check the
 * stream is closed, settle these appends, start the linger clock), and is
 * told what happened through its methods (`answered`, `refused`, …). Tests
 * drive it by hand; `IdempotentProducer` wires it to HTTP and timers.
 *
 * Where features plug in:
 * - a durable outbox: the owner keeps every accepted message there until
 *   its ticket settles, and before each send writes `outboxSent()` (the
 *   tuples that may be stored); `restore` resends the batches of an earlier
 *   instance under their own tuples before anything new, as a gap resend
 *   is (`commands.send` without `assignTuple`), with the sequencer moved
 *   past their seqs;
 * - a 413 (`tooLarge`): nothing from the refused seq on was stored, so the
 *   halves of the batch (or nothing, for a single message, which fails
 *   alone) and every later batch are held until the window is empty, then
 *   renumbered from that seq, the way `park` holds and renumbers for
 *   auto-claim.
 */

export interface ProducerCoreConfig extends ProducerIdentity {
  json: boolean
  epoch: number
  autoClaim: boolean
  maxBatchBytes: number
  maxBatchItems: number
  maxInFlight: number
  maxBufferedBytes: number
}

/** What an earlier instance left owed to the stream: batches sent under a tuple, then unstored messages (each list one new batch). */
export interface OutboxSnapshot {
  sent: Array<{ epoch: number; seq: number; payloads: Payload[] }>
  pending: Payload[][]
  /** Where the earlier instance's sequencer was (past every seq it used); else just past the last sent batch. */
  position?: { epoch: number; nextSeq: number } | undefined
}

interface WaitingAppend<Ticket> {
  payload: Payload
  ticket: Ticket
}

/** How many times a batch is resent after a sequence gap once everything before it is settled. */
const MAX_GAP_RETRIES = 3

export class ProducerCore<Ticket> {
  private readonly _sequencer: Sequencer
  private _failure: Error | undefined
  private _buffered = 0
  /** flush() and close() in progress: the open batch goes without lingering. */
  private _forcing = 0
  private readonly _waiting: Array<WaitingAppend<Ticket>> = []
  private readonly _queue: Array<Batch<Ticket>> = []
  private readonly _inFlight = new Set<Batch<Ticket>>()
  private _parked: Array<Batch<Ticket>> = []
  /** After a 413: batches waiting to be renumbered from `heldFrom`, in their order on the stream. */
  private _held: Array<Batch<Ticket>> = []
  /** The lowest seq of the current epoch a 413 refused; nothing from it on was stored. */
  private _heldFrom: number | undefined
  /** A durable outbox is being read: nothing is sent until `restore`. */
  private _restoring = false
  /** Where the restored earlier instance left its sequencer: seqs below it in its epoch were numbered by that instance. */
  private _restoredAt: { epoch: number; nextSeq: number } | undefined
  /** The highest seq acknowledged in each epoch, to tell a stale 409 from a hole. */
  private readonly _highestAcked = new Map<number, number>()
  private readonly _gapWaits = new GapWaits<Batch<Ticket>>()
  /**
   * Batches pipelined at most now, up to maxInFlight. A later batch that
   * overtakes an earlier one on the wire meets a gap and is sent again
   * (the server stores seqs in order only): after one, the width drops to
   * one request at a time and grows back by one each time as many batches
   * as it allows are acknowledged. Where requests arrive in order (one
   * connection, or a server that keeps up) it stays at maxInFlight.
   */
  private _width: number
  private _acksToWiden = 1
  private readonly _builder: BatchBuilder<Ticket>

  constructor(
    private readonly _config: ProducerCoreConfig,
    private readonly _commands: ProducerCommands<Ticket>
  ) {
    this._sequencer = new Sequencer(_config.epoch)
    this._width = _config.maxInFlight
    this._builder = new BatchBuilder(_config, this._queue, _commands)
  }

  get epoch(): number {
    return this._sequencer.epoch
  }

  get nextSeq(): number {
    return this._sequencer.nextSeq
  }

  /** Bytes appended but not acknowledged (batched, queued, on the wire or parked); waiting appends are not counted. */
  get bufferedBytes(): number {
    return this._buffered
  }

  get error(): Error | undefined {
    return this._failure
  }

  get overLimit(): boolean {
    return this._buffered >= this._config.maxBufferedBytes
  }

  get inFlightCount(): number {
    return this._inFlight.size
  }

  /** Messages wait for answers to requests in flight: the window is full (for an epoch's first batch, that is one request). */
  get backlogged(): boolean {
    return this._inFlight.size > 0 && this._inFlight.size >= this._window() && (this._queue.length > 0 || this._builder.openCount > 0)
  }

  /** Batches that may be in flight now. */
  private _window(): number {
    return Math.min(this._sequencer.window(this._config.maxInFlight), this._width)
  }

  get idle(): boolean {
    return (
      this._builder.openCount === 0 &&
      this._waiting.length === 0 &&
      this._queue.length === 0 &&
      this._inFlight.size === 0 &&
      this._parked.length === 0 &&
      this._held.length === 0 &&
      !this._restoring
    )
  }

  /** Queues one encoded message; returns the ticket its result comes through. */
  append(payload: Payload): Ticket {
    if (this._waiting.length > 0 || this.overLimit) {
      const ticket = this._commands.createTicket()
      this._waiting.push({ payload, ticket })
      return ticket
    }
    // The ticket is made once the message's batch is known: an owner
    // settling appends by batch (settlement.ts) hears of a seal first.
    const ticket = this._place(payload)
    this._pump()
    return ticket
  }

  /** Queues the close request (after everything appended so far); returns its ticket. */
  enqueueClose(body: Uint8Array | undefined): Ticket {
    const batch = newBatch([this._commands.createTicket()], true, body)
    this._queue.push(batch)
    return batch.tickets[0]!
  }

  /** flush() or close() starts waiting: the open batch goes at once. Pair with `endFlush`. */
  beginFlush(): void {
    this._forcing++
    this._pump()
  }

  endFlush(): void {
    this._forcing--
  }

  /** The linger clock fired. */
  lingerElapsed(): void {
    this._builder.lingerElapsed()
    this._pump()
  }

  /** Forgets a linger in progress (close() and detach() leave no timer behind). */
  resetLinger(): void {
    this._builder.resetLinger()
  }

  /** One attempt of the batch failed while the handle may still retry it: is a retry allowed? */
  attemptFailed(batch: Batch<Ticket>, error: DurableStreamError): boolean {
    // The one place to learn that an attempt may have been stored before its answer was lost.
    const attempt = classifyAttempt(error)
    if (attempt.mayBeStored) batch.mayBeStored = true
    return attempt.retryable
  }

  /** The batch's request was answered 200 or 204. */
  answered(batch: Batch<Ticket>, answer: Answer): void {
    const outcome = classifyAck({
      status: answer.status,
      closeOnly: batch.close && batch.body === undefined,
      seq: batch.seq,
      serverSeq: answer.serverSeq,
      highestSentSeq: this._sequencer.nextSeq - 1,
      mayBeStored: batch.mayBeStored,
      storedInEpoch: this._sequencer.storedInEpoch,
    })
    if (outcome === "verify-closed") {
      // A close-only 204 looks the same whether it closed the stream or
      // another instance's seq made it a duplicate: ask the stream.
      this._commands.checkClosed(batch, answer)
      return
    }
    if (outcome === "epoch-in-use") this._epochInUse(batch, answer.serverSeq)
    else this._ack(batch, answer, outcome === "duplicate")
    this._settleGapWaits()
  }

  /** The answer to `checkClosed`. */
  closeChecked(batch: Batch<Ticket>, answer: Answer, closed: boolean): void {
    if (closed) this._ack(batch, answer, false)
    else this._epochInUse(batch, answer.serverSeq)
    this._settleGapWaits()
  }

  /** The batch's request failed for good (retries spent, or not retryable). */
  refused(batch: Batch<Ticket>, error: DurableStreamError): void {
    const outcome = classifyFailure(error)
    if (outcome.kind === "gap") {
      // A later batch overtook an earlier one on the wire. Wait for every
      // earlier batch of this epoch, then resend in order.
      const earlier = [...this._inFlight].filter(
        (other) => other !== batch && other.epoch === batch.epoch && other.seq < batch.seq
      )
      const expected = outcome.expectedSeq
      // The seq the server expects is still on its way: requests overtake
      // each other on this path, and each overtake costs a resend, so
      // pipelining starts again from one request.
      if (earlier.some((other) => other.seq === expected)) {
        this._width = 1
        // What is on the wire now was sent at the old width: it widens only after those and one more.
        this._acksToWiden = this._inFlight.size + 1
      }
      if (batch.restored && earlier.length === 0 && expected !== undefined && expected < batch.seq && this._earlierHole(batch.epoch, expected)) {
        // An earlier instance's batch whose predecessors were never stored: renumber from the seq the server expects.
        this._heldFrom = Math.min(this._heldFrom ?? expected, expected)
        this._hold(batch)
      } else {
        this._gapWaits.wait(batch, earlier, error)
      }
    } else if (outcome.kind === "stale-epoch") {
      const serverEpoch = outcome.serverEpoch
      if (this._config.autoClaim && serverEpoch !== undefined) {
        this._park(batch, serverEpoch)
      } else {
        if (serverEpoch !== undefined) this._sequencer.fence(serverEpoch)
        this._fail(batch, staleEpochError(this._config, batch.epoch, serverEpoch, error))
      }
    } else if (outcome.kind === "too-large") {
      this._tooLarge(batch, error)
    } else {
      this._fail(batch, error)
    }
    this._settleGapWaits()
    this._pump()
  }

  /** A durable outbox is being read: appends queue, nothing is sent until `restore` (or `abort`). */
  holdForRestore(): void {
    this._restoring = true
  }

  /**
   * The outbox of an earlier instance: its sent batches go first, under
   * their own tuples (an earlier attempt may have been stored: a 204 is our
   * duplicate), then its unsent messages as new batches, then whatever was
   * appended meanwhile. The producer continues the restored epoch. Returns
   * the restored messages' tickets in stream order (sent, then pending).
   */
  restore(snapshot: OutboxSnapshot): Ticket[] {
    this._restoring = false
    const tickets: Ticket[] = []
    const toBatch = (payloads: Payload[]): Batch<Ticket> => {
      const batch = newBatch<Ticket>()
      for (const payload of payloads) {
        batch.payloads.push(payload)
        batch.tickets.push(this._commands.createTicket())
        batch.size += wireSize(payload)
      }
      tickets.push(...batch.tickets)
      batch.body = encodeBody(batch.payloads, this._config.json)
      this._commands.batchSealed?.()
      batch.restored = true
      this._buffered += batch.size
      return batch
    }
    const last = snapshot.sent.at(-1)
    const position = snapshot.position ?? (last && { epoch: last.epoch, nextSeq: last.seq + 1 })
    if (position) this._sequencer.resume(position.epoch, position.nextSeq)
    this._restoredAt = position
    const sent = snapshot.sent.map((stored) => {
      const batch = toBatch(stored.payloads)
      batch.epoch = stored.epoch
      batch.seq = stored.seq
      batch.mayBeStored = true
      return batch
    })
    this._queue.unshift(...snapshot.pending.map(toBatch))
    if (this._failure) {
      // Failed while the outbox was read: what it held fails with everything else.
      this._rejectPending(this._failure)
      for (const batch of sent) {
        this._buffered -= batch.size
        this._rejectBatch(batch, this._failure)
      }
      return tickets
    }
    for (const batch of sent) {
      this._inFlight.add(batch)
      this._commands.send(batch)
    }
    this._pump()
    return tickets
  }

  /**
   * The batches a durable outbox must keep under their tuples: in flight
   * and possibly stored, in (epoch, seq) order. A batch behind a seq a 413
   * or a fencing left unstored (held or parked) is not among them: it will
   * be renumbered, so an instance restoring it sends it as a new batch.
   */
  outboxSent(): Array<Batch<Ticket>> {
    const holes = new Map<number, number>()
    for (const batch of [...this._held, ...this._parked]) holes.set(batch.epoch, Math.min(holes.get(batch.epoch) ?? batch.seq, batch.seq))
    if (this._heldFrom !== undefined) holes.set(this._sequencer.epoch, Math.min(holes.get(this._sequencer.epoch) ?? this._heldFrom, this._heldFrom))
    const sent: Array<Batch<Ticket>> = []
    for (const batch of this._inFlight) {
      const hole = holes.get(batch.epoch)
      if (!batch.close && (hole === undefined || batch.seq <= hole)) sent.push(batch)
    }
    return sent.sort((a, b) => a.epoch - b.epoch || a.seq - b.seq)
  }

  /** A new epoch (seq back to 0), past any epoch that fenced us; clears a failure. Call with nothing in flight. */
  restart(): void {
    this._failure = undefined
    this._sequencer.restart()
    this._pump()
  }

  /** The producer's signal fired: everything pending fails with `error`. */
  abort(error: Error): void {
    this._restoring = false
    this._failure ??= error
    this._rejectPending(error)
    this._afterSettle()
  }

  /** Puts a message in the open batch and counts it as buffered; `ticket` is made once its batch is known, unless it has one. */
  private _place(payload: Payload, ticket?: Ticket): Ticket {
    const size = this._builder.place(payload)
    ticket ??= this._commands.createTicket()
    this._builder.commit(payload, size, ticket)
    this._buffered += size + this._builder.takeGrowth()
    return ticket
  }

  /** Sends what may go now: sealed batches first, then the open batch once it lingered. */
  private _pump(): void {
    for (;;) {
      if (this._failure || this._sequencer.claiming || this._restoring) return
      if (this._heldFrom !== undefined && !this._releaseHeld()) return
      // A batch waiting to be resent after a gap goes before anything new: a new one would overtake it again.
      if (this._gapWaits.waiting) return
      if (this._inFlight.size >= this._window()) return
      if (this._queue.length === 0) {
        if (this._builder.openCount === 0) return
        if (!this._builder.lingered && this._forcing === 0) return
        this._builder.seal()
        this._buffered += this._builder.takeGrowth()
      }
      this._assignTuple(this._queue.shift()!)
    }
  }

  /** The batch's (epoch, seq) is final from here until it settles, or until auto-claim renumbers it. */
  private _assignTuple(batch: Batch<Ticket>): void {
    this._sequencer.assign(batch)
    this._inFlight.add(batch)
    this._commands.send(batch)
  }

  private _ack(batch: Batch<Ticket>, answer: Answer, duplicate: boolean): void {
    const result: ProducerAppendResult = { offset: answer.offset, duplicate }
    this._inFlight.delete(batch)
    this._highestAcked.set(batch.epoch, Math.max(this._highestAcked.get(batch.epoch) ?? -1, batch.seq))
    if (this._width < this._config.maxInFlight && --this._acksToWiden <= 0) this._acksToWiden = ++this._width
    this._sequencer.acknowledged(batch.epoch, answer.status)
    this._buffered -= batch.size
    for (const ticket of batch.tickets) this._commands.resolve(ticket, result)
    this._gapWaits.settled(batch, "acked")
    this._afterSettle()
  }

  /** Our epoch is someone else's: like a 403, auto-claim moves past it; otherwise STALE_EPOCH. */
  private _epochInUse(batch: Batch<Ticket>, serverSeq: number | undefined): void {
    if (this._config.autoClaim) {
      this._park(batch, batch.epoch)
      return
    }
    this._sequencer.fence(batch.epoch)
    this._fail(batch, epochInUseError(this._config, batch, serverSeq))
  }

  /** Auto-claim: hold the batch (or the halves that replace it) until every request of the fenced epoch is back, then renumber. */
  private _park(batch: Batch<Ticket>, serverEpoch: number | undefined, replacement = [batch]): void {
    this._inFlight.delete(batch)
    this._parked.push(...replacement)
    // Batches a 413 held go with the claim: they are renumbered in the new epoch anyway.
    this._parked.push(...this._held.splice(0))
    this._heldFrom = undefined
    if (serverEpoch !== undefined) this._sequencer.claim(serverEpoch)
    this._gapWaits.settled(batch, "parked")
    if (this._inFlight.size === 0 && this._sequencer.claiming) {
      const resend = this._parked.sort((a, b) => a.epoch - b.epoch || a.seq - b.seq)
      this._parked = []
      this._sequencer.finishClaim()
      for (const parkedBatch of resend) parkedBatch.gapRetries = 0
      this._queue.unshift(...resend)
      this._pump()
    }
  }

  /**
   * A batch failed for good. Every later message depends on it (seqs are a
   * chain), so all of them fail too, loudly, with the same root cause.
   */
  private _fail(batch: Batch<Ticket>, error: Error): void {
    this._inFlight.delete(batch)
    const first = this._failure === undefined
    this._failure ??= error
    this._buffered -= batch.size
    this._rejectBatch(batch, error)
    this._gapWaits.settled(batch, "failed")
    this._rejectPending(this._failure)
    this._afterSettle()
    if (first) this._commands.failed(error)
  }

  private _rejectPending(error: Error): void {
    // Waiting appends were never counted in `buffered`; batched ones were.
    for (const waiting of this._waiting.splice(0)) this._commands.reject(waiting.ticket, error)
    const open = this._builder.discard()
    if (open) {
      this._buffered -= open.size
      this._rejectBatch(open, error)
    }
    this._heldFrom = undefined
    for (const batch of [...this._queue.splice(0), ...this._parked.splice(0), ...this._held.splice(0)]) {
      this._buffered -= batch.size
      this._rejectBatch(batch, error)
      this._gapWaits.settled(batch, "failed")
    }
    this._sequencer.abandonClaim()
  }

  private _rejectBatch(batch: Batch<Ticket>, error: Error): void {
    for (const ticket of batch.tickets) this._commands.reject(ticket, error)
  }

  /**
   * A 413: the server stored nothing from this seq on. Several messages are
   * split in two (each half may draw its own 413); a single message fails
   * alone. The halves and every later batch of the epoch are held and, once
   * the window is empty, renumbered from the refused seq.
   */
  private _tooLarge(batch: Batch<Ticket>, error: DurableStreamError): void {
    const splittable = payloadsOf(batch).length > 1
    const halves = splittable ? splitBatch(batch, this._config.json) : []
    if (!splittable) {
      this._inFlight.delete(batch)
      this._buffered -= batch.size
      this._rejectBatch(batch, error)
      this._commands.messageRefused(error)
    }
    if (this._sequencer.claiming) {
      // Its epoch is being left behind: the halves are renumbered with the parked batches.
      this._park(batch, undefined, halves)
      return
    }
    this._inFlight.delete(batch)
    this._heldFrom = Math.min(this._heldFrom ?? batch.seq, batch.seq)
    this._insertHeld(halves, batch.seq)
    this._gapWaits.settled(batch, "held")
  }

  /**
   * A 409 naming `expected`, with nothing earlier in flight, shows a hole the
   * earlier instance left (seqs it numbered and never stored) only if
   * `expected` is one of its seqs and no answer since has gone past it;
   * otherwise the 409 overtook the acks of the batches before it.
   */
  private _earlierHole(epoch: number, expected: number): boolean {
    const restored = this._restoredAt
    if (!restored || restored.epoch !== epoch || expected >= restored.nextSeq) return false
    return (this._highestAcked.get(epoch) ?? -1) < expected
  }

  /** Holds a later batch of the epoch whose seq a 413 left dangling (it met, or will meet, a gap). */
  private _hold(batch: Batch<Ticket>): void {
    this._inFlight.delete(batch)
    this._insertHeld([batch], batch.seq)
    this._gapWaits.settled(batch, "held")
  }

  private _mustHold(batch: Batch<Ticket>): boolean {
    return this._heldFrom !== undefined && batch.epoch === this._sequencer.epoch && batch.seq > this._heldFrom
  }

  private _insertHeld(batches: Array<Batch<Ticket>>, seq: number): void {
    let at = this._held.findIndex((other) => other.seq > seq)
    if (at === -1) at = this._held.length
    this._held.splice(at, 0, ...batches)
  }

  /** Once nothing is in flight, the held batches go first, renumbered from the refused seq. */
  private _releaseHeld(): boolean {
    if (this._inFlight.size > 0) return false
    this._sequencer.rewind(this._heldFrom!)
    this._heldFrom = undefined
    for (const batch of this._held) batch.gapRetries = 0
    this._queue.unshift(...this._held.splice(0))
    return true
  }

  /** Space freed: appends that waited join the open batch, then whatever may go is sent. */
  private _afterSettle(): void {
    while (this._waiting.length > 0 && !this.overLimit) {
      const waiting = this._waiting.shift()!
      this._place(waiting.payload, waiting.ticket)
    }
    this._pump()
  }

  /** Decides, for each batch that met a gap and has nothing earlier left in flight: resend, park or fail. */
  private _settleGapWaits(): void {
    let settled = false
    for (let ready = this._gapWaits.takeReady(); ready; ready = this._gapWaits.takeReady()) {
      settled = true
      const [batch, verdict] = ready
      if (this._failure || verdict.failed) this._fail(batch, this._failure ?? verdict.error)
      else if (this._mustHold(batch)) this._hold(batch)
      else if (verdict.parked || this._sequencer.claiming) this._park(batch, undefined)
      else if (batch.gapRetries++ < MAX_GAP_RETRIES) this._commands.send(batch)
      else this._fail(batch, verdict.error)
    }
    // New batches waited for the resends (see `_pump`).
    if (settled) this._pump()
  }
}
