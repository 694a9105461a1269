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
  size: number
  ticket: Ticket
}

/** How many times a batch is resent after a sequence gap once everything before it is settled. */
const MAX_GAP_RETRIES = 3

export class ProducerCore<Ticket> {
  private readonly sequencer: Sequencer
  private failure: Error | undefined
  private buffered = 0
  /** flush() and close() in progress: the open batch goes without lingering. */
  private forcing = 0
  private readonly waiting: Array<WaitingAppend<Ticket>> = []
  private readonly queue: Array<Batch<Ticket>> = []
  private readonly inFlight = new Set<Batch<Ticket>>()
  private parked: Array<Batch<Ticket>> = []
  /** After a 413: batches waiting to be renumbered from `heldFrom`, in their order on the stream. */
  private held: Array<Batch<Ticket>> = []
  /** The lowest seq of the current epoch a 413 refused; nothing from it on was stored. */
  private heldFrom: number | undefined
  /** A durable outbox is being read: nothing is sent until `restore`. */
  private restoring = false
  /** Where the restored earlier instance left its sequencer: seqs below it in its epoch were numbered by that instance. */
  private restoredAt: { epoch: number; nextSeq: number } | undefined
  /** The highest seq acknowledged in each epoch, to tell a stale 409 from a hole. */
  private readonly highestAcked = new Map<number, number>()
  private readonly gapWaits = new GapWaits<Batch<Ticket>>()
  private readonly builder: BatchBuilder<Ticket>

  constructor(
    private readonly config: ProducerCoreConfig,
    private readonly commands: ProducerCommands<Ticket>
  ) {
    this.sequencer = new Sequencer(config.epoch)
    this.builder = new BatchBuilder(config, this.queue, commands)
  }

  get epoch(): number {
    return this.sequencer.epoch
  }

  get nextSeq(): number {
    return this.sequencer.nextSeq
  }

  /** Bytes appended but not acknowledged (batched, queued, on the wire or parked); waiting appends are not counted. */
  get bufferedBytes(): number {
    return this.buffered
  }

  get error(): Error | undefined {
    return this.failure
  }

  get overLimit(): boolean {
    return this.buffered >= this.config.maxBufferedBytes
  }

  get inFlightCount(): number {
    return this.inFlight.size
  }

  /** Sealed batches wait for answers to requests in flight (the window is full). */
  get backlogged(): boolean {
    return this.queue.length > 0 && this.inFlight.size > 0
  }

  get idle(): boolean {
    return (
      this.builder.openCount === 0 &&
      this.waiting.length === 0 &&
      this.queue.length === 0 &&
      this.inFlight.size === 0 &&
      this.parked.length === 0 &&
      this.held.length === 0 &&
      !this.restoring
    )
  }

  /** Queues one encoded message; returns the ticket its result comes through. */
  append(payload: Payload): Ticket {
    if (this.waiting.length > 0 || this.overLimit) {
      const ticket = this.commands.createTicket()
      this.waiting.push({ payload, size: wireSize(payload), ticket })
      return ticket
    }
    // The ticket is made once the message's batch is known: an owner
    // settling appends by batch (settlement.ts) hears of a seal first.
    const size = this.builder.place(payload)
    const ticket = this.commands.createTicket()
    this.builder.commit(payload, size, ticket)
    this.buffered += size
    this.pump()
    return ticket
  }

  /** Queues the close request (after everything appended so far); returns its ticket. */
  enqueueClose(body: Uint8Array | undefined): Ticket {
    const batch = newBatch([this.commands.createTicket()], true, body)
    this.queue.push(batch)
    return batch.tickets[0]!
  }

  /** flush() or close() starts waiting: the open batch goes at once. Pair with `endFlush`. */
  beginFlush(): void {
    this.forcing++
    this.pump()
  }

  endFlush(): void {
    this.forcing--
  }

  /** The linger clock fired. */
  lingerElapsed(): void {
    this.builder.lingerElapsed()
    this.pump()
  }

  /** Forgets a linger in progress (close() and detach() leave no timer behind). */
  resetLinger(): void {
    this.builder.resetLinger()
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
      highestSentSeq: this.sequencer.nextSeq - 1,
      mayBeStored: batch.mayBeStored,
      storedInEpoch: this.sequencer.storedInEpoch,
    })
    if (outcome === "verify-closed") {
      // A close-only 204 looks the same whether it closed the stream or
      // another instance's seq made it a duplicate: ask the stream.
      this.commands.checkClosed(batch, answer)
      return
    }
    if (outcome === "epoch-in-use") this.epochInUse(batch, answer.serverSeq)
    else this.ack(batch, answer, outcome === "duplicate")
    this.settleGapWaits()
  }

  /** The answer to `checkClosed`. */
  closeChecked(batch: Batch<Ticket>, answer: Answer, closed: boolean): void {
    if (closed) this.ack(batch, answer, false)
    else this.epochInUse(batch, answer.serverSeq)
    this.settleGapWaits()
  }

  /** The batch's request failed for good (retries spent, or not retryable). */
  refused(batch: Batch<Ticket>, error: DurableStreamError): void {
    const outcome = classifyFailure(error)
    if (outcome.kind === "gap") {
      // A later batch overtook an earlier one on the wire. Wait for every
      // earlier batch of this epoch, then resend in order.
      const earlier = [...this.inFlight].filter(
        (other) => other !== batch && other.epoch === batch.epoch && other.seq < batch.seq
      )
      const expected = outcome.expectedSeq
      if (batch.restored && earlier.length === 0 && expected !== undefined && expected < batch.seq && this.earlierHole(batch.epoch, expected)) {
        // An earlier instance's batch whose predecessors were never stored: renumber from the seq the server expects.
        this.heldFrom = Math.min(this.heldFrom ?? expected, expected)
        this.hold(batch)
      } else {
        this.gapWaits.wait(batch, earlier, error)
      }
    } else if (outcome.kind === "stale-epoch") {
      const serverEpoch = outcome.serverEpoch
      if (this.config.autoClaim && serverEpoch !== undefined) {
        this.park(batch, serverEpoch)
      } else {
        if (serverEpoch !== undefined) this.sequencer.fence(serverEpoch)
        this.fail(batch, staleEpochError(this.config, batch.epoch, serverEpoch, error))
      }
    } else if (outcome.kind === "too-large") {
      this.tooLarge(batch, error)
    } else {
      this.fail(batch, error)
    }
    this.settleGapWaits()
    this.pump()
  }

  /** A durable outbox is being read: appends queue, nothing is sent until `restore` (or `abort`). */
  holdForRestore(): void {
    this.restoring = true
  }

  /**
   * The outbox of an earlier instance: its sent batches go first, under
   * their own tuples (an earlier attempt may have been stored: a 204 is our
   * duplicate), then its unsent messages as new batches, then whatever was
   * appended meanwhile. The producer continues the restored epoch. Returns
   * the restored messages' tickets in stream order (sent, then pending).
   */
  restore(snapshot: OutboxSnapshot): Ticket[] {
    this.restoring = false
    const tickets: Ticket[] = []
    const toBatch = (payloads: Payload[]): Batch<Ticket> => {
      const batch = newBatch<Ticket>()
      for (const payload of payloads) {
        batch.payloads.push(payload)
        batch.tickets.push(this.commands.createTicket())
        batch.size += wireSize(payload)
      }
      tickets.push(...batch.tickets)
      batch.body = encodeBody(batch.payloads, this.config.json)
      this.commands.batchSealed?.()
      batch.restored = true
      this.buffered += batch.size
      return batch
    }
    const last = snapshot.sent.at(-1)
    const position = snapshot.position ?? (last && { epoch: last.epoch, nextSeq: last.seq + 1 })
    if (position) this.sequencer.resume(position.epoch, position.nextSeq)
    this.restoredAt = position
    const sent = snapshot.sent.map((stored) => {
      const batch = toBatch(stored.payloads)
      batch.epoch = stored.epoch
      batch.seq = stored.seq
      batch.mayBeStored = true
      return batch
    })
    this.queue.unshift(...snapshot.pending.map(toBatch))
    if (this.failure) {
      // Failed while the outbox was read: what it held fails with everything else.
      this.rejectPending(this.failure)
      for (const batch of sent) {
        this.buffered -= batch.size
        this.rejectBatch(batch, this.failure)
      }
      return tickets
    }
    for (const batch of sent) {
      this.inFlight.add(batch)
      this.commands.send(batch)
    }
    this.pump()
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
    for (const batch of [...this.held, ...this.parked]) holes.set(batch.epoch, Math.min(holes.get(batch.epoch) ?? batch.seq, batch.seq))
    if (this.heldFrom !== undefined) holes.set(this.sequencer.epoch, Math.min(holes.get(this.sequencer.epoch) ?? this.heldFrom, this.heldFrom))
    const sent: Array<Batch<Ticket>> = []
    for (const batch of this.inFlight) {
      const hole = holes.get(batch.epoch)
      if (!batch.close && (hole === undefined || batch.seq <= hole)) sent.push(batch)
    }
    return sent.sort((a, b) => a.epoch - b.epoch || a.seq - b.seq)
  }

  /** A new epoch (seq back to 0), past any epoch that fenced us; clears a failure. Call with nothing in flight. */
  restart(): void {
    this.failure = undefined
    this.sequencer.restart()
    this.pump()
  }

  /** The producer's signal fired: everything pending fails with `error`. */
  abort(error: Error): void {
    this.restoring = false
    this.failure ??= error
    this.rejectPending(error)
    this.afterSettle()
  }

  private addToOpenBatch(payload: Payload, size: number, ticket: Ticket): void {
    this.builder.add(payload, ticket)
    this.buffered += size
  }

  /** Sends what may go now: sealed batches first, then the open batch once it lingered. */
  private pump(): void {
    for (;;) {
      if (this.failure || this.sequencer.claiming || this.restoring) return
      if (this.heldFrom !== undefined && !this.releaseHeld()) return
      if (this.inFlight.size >= this.sequencer.window(this.config.maxInFlight)) return
      if (this.queue.length === 0) {
        if (this.builder.openCount === 0) return
        if (!this.builder.lingered && this.forcing === 0) return
        this.builder.seal()
      }
      this.assignTuple(this.queue.shift()!)
    }
  }

  /** The batch's (epoch, seq) is final from here until it settles, or until auto-claim renumbers it. */
  private assignTuple(batch: Batch<Ticket>): void {
    this.sequencer.assign(batch)
    this.inFlight.add(batch)
    this.commands.send(batch)
  }

  private ack(batch: Batch<Ticket>, answer: Answer, duplicate: boolean): void {
    const result: ProducerAppendResult = { offset: answer.offset, duplicate }
    this.inFlight.delete(batch)
    this.highestAcked.set(batch.epoch, Math.max(this.highestAcked.get(batch.epoch) ?? -1, batch.seq))
    this.sequencer.acknowledged(batch.epoch, answer.status)
    this.buffered -= batch.size
    for (const ticket of batch.tickets) this.commands.resolve(ticket, result)
    this.gapWaits.settled(batch, "acked")
    this.afterSettle()
  }

  /** Our epoch is someone else's: like a 403, auto-claim moves past it; otherwise STALE_EPOCH. */
  private epochInUse(batch: Batch<Ticket>, serverSeq: number | undefined): void {
    if (this.config.autoClaim) {
      this.park(batch, batch.epoch)
      return
    }
    this.sequencer.fence(batch.epoch)
    this.fail(batch, epochInUseError(this.config, batch, serverSeq))
  }

  /** Auto-claim: hold the batch (or the halves that replace it) until every request of the fenced epoch is back, then renumber. */
  private park(batch: Batch<Ticket>, serverEpoch: number | undefined, replacement = [batch]): void {
    this.inFlight.delete(batch)
    this.parked.push(...replacement)
    // Batches a 413 held go with the claim: they are renumbered in the new epoch anyway.
    this.parked.push(...this.held.splice(0))
    this.heldFrom = undefined
    if (serverEpoch !== undefined) this.sequencer.claim(serverEpoch)
    this.gapWaits.settled(batch, "parked")
    if (this.inFlight.size === 0 && this.sequencer.claiming) {
      const resend = this.parked.sort((a, b) => a.epoch - b.epoch || a.seq - b.seq)
      this.parked = []
      this.sequencer.finishClaim()
      for (const parkedBatch of resend) parkedBatch.gapRetries = 0
      this.queue.unshift(...resend)
      this.pump()
    }
  }

  /**
   * A batch failed for good. Every later message depends on it (seqs are a
   * chain), so all of them fail too, loudly, with the same root cause.
   */
  private fail(batch: Batch<Ticket>, error: Error): void {
    this.inFlight.delete(batch)
    const first = this.failure === undefined
    this.failure ??= error
    this.buffered -= batch.size
    this.rejectBatch(batch, error)
    this.gapWaits.settled(batch, "failed")
    this.rejectPending(this.failure)
    this.afterSettle()
    if (first) this.commands.failed(error)
  }

  private rejectPending(error: Error): void {
    // Waiting appends were never counted in `buffered`; batched ones were.
    for (const waiting of this.waiting.splice(0)) this.commands.reject(waiting.ticket, error)
    const open = this.builder.discard()
    if (open) {
      this.buffered -= open.size
      this.rejectBatch(open, error)
    }
    this.heldFrom = undefined
    for (const batch of [...this.queue.splice(0), ...this.parked.splice(0), ...this.held.splice(0)]) {
      this.buffered -= batch.size
      this.rejectBatch(batch, error)
      this.gapWaits.settled(batch, "failed")
    }
    this.sequencer.abandonClaim()
  }

  private rejectBatch(batch: Batch<Ticket>, error: Error): void {
    for (const ticket of batch.tickets) this.commands.reject(ticket, error)
  }

  /**
   * A 413: the server stored nothing from this seq on. Several messages are
   * split in two (each half may draw its own 413); a single message fails
   * alone. The halves and every later batch of the epoch are held and, once
   * the window is empty, renumbered from the refused seq.
   */
  private tooLarge(batch: Batch<Ticket>, error: DurableStreamError): void {
    const splittable = payloadsOf(batch).length > 1
    const halves = splittable ? splitBatch(batch, this.config.json) : []
    if (!splittable) {
      this.inFlight.delete(batch)
      this.buffered -= batch.size
      this.rejectBatch(batch, error)
      this.commands.messageRefused(error)
    }
    if (this.sequencer.claiming) {
      // Its epoch is being left behind: the halves are renumbered with the parked batches.
      this.park(batch, undefined, halves)
      return
    }
    this.inFlight.delete(batch)
    this.heldFrom = Math.min(this.heldFrom ?? batch.seq, batch.seq)
    this.insertHeld(halves, batch.seq)
    this.gapWaits.settled(batch, "held")
  }

  /**
   * A 409 naming `expected`, with nothing earlier in flight, shows a hole the
   * earlier instance left (seqs it numbered and never stored) only if
   * `expected` is one of its seqs and no answer since has gone past it;
   * otherwise the 409 overtook the acks of the batches before it.
   */
  private earlierHole(epoch: number, expected: number): boolean {
    const restored = this.restoredAt
    if (!restored || restored.epoch !== epoch || expected >= restored.nextSeq) return false
    return (this.highestAcked.get(epoch) ?? -1) < expected
  }

  /** Holds a later batch of the epoch whose seq a 413 left dangling (it met, or will meet, a gap). */
  private hold(batch: Batch<Ticket>): void {
    this.inFlight.delete(batch)
    this.insertHeld([batch], batch.seq)
    this.gapWaits.settled(batch, "held")
  }

  private mustHold(batch: Batch<Ticket>): boolean {
    return this.heldFrom !== undefined && batch.epoch === this.sequencer.epoch && batch.seq > this.heldFrom
  }

  private insertHeld(batches: Array<Batch<Ticket>>, seq: number): void {
    let at = this.held.findIndex((other) => other.seq > seq)
    if (at === -1) at = this.held.length
    this.held.splice(at, 0, ...batches)
  }

  /** Once nothing is in flight, the held batches go first, renumbered from the refused seq. */
  private releaseHeld(): boolean {
    if (this.inFlight.size > 0) return false
    this.sequencer.rewind(this.heldFrom!)
    this.heldFrom = undefined
    for (const batch of this.held) batch.gapRetries = 0
    this.queue.unshift(...this.held.splice(0))
    return true
  }

  /** Space freed: appends that waited join the open batch, then whatever may go is sent. */
  private afterSettle(): void {
    while (this.waiting.length > 0 && !this.overLimit) {
      const waiting = this.waiting.shift()!
      this.addToOpenBatch(waiting.payload, waiting.size, waiting.ticket)
    }
    this.pump()
  }

  /** Decides, for each batch that met a gap and has nothing earlier left in flight: resend, park or fail. */
  private settleGapWaits(): void {
    for (let ready = this.gapWaits.takeReady(); ready; ready = this.gapWaits.takeReady()) {
      const [batch, verdict] = ready
      if (this.failure || verdict.failed) this.fail(batch, this.failure ?? verdict.error)
      else if (this.mustHold(batch)) this.hold(batch)
      else if (verdict.parked || this.sequencer.claiming) this.park(batch, undefined)
      else if (batch.gapRetries++ < MAX_GAP_RETRIES) this.commands.send(batch)
      else this.fail(batch, verdict.error)
    }
  }
}
