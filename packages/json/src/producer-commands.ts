import type { Batch, LingerClock } from "./batch-builder"

/**
 * The contract between `ProducerCore` (every decision, no I/O) and its
 * owner (`IdempotentProducer`: HTTP, timers, promises). The core calls
 * `ProducerCommands`; the owner carries each one out and reports back
 * through the core's methods (`answered`, `refused`, `closeChecked`,
 * `lingerElapsed`). A test implements the commands by recording them.
 */

/** What the core asks of its owner. Every call is synchronous; results come back through the core's methods. */
export interface ProducerCommands<Ticket> extends LingerClock {
  /** A handle on one append's result. */
  createTicket(): Ticket
  /** POST the batch under its `epoch` and `seq` (its first send, or a resend after a gap); then `answered` or `refused`. */
  send(batch: Batch<Ticket>): void
  /** A close-only 204 is ambiguous: ask the stream whether it is closed, then `closeChecked` (or `refused`). */
  checkClosed(batch: Batch<Ticket>, answer: Answer): void
  resolve(ticket: Ticket, result: ProducerAppendResult): void
  reject(ticket: Ticket, error: Error): void
  /** The producer has failed: called once, after every pending append has been rejected. */
  failed(error: Error): void
  /** One message was refused on its own (PAYLOAD_TOO_LARGE); its ticket is rejected and the producer goes on. */
  messageRefused(error: Error): void
}

/** What a producer append resolves with once its batch is stored. */
export interface ProducerAppendResult {
  /** Stream tail after the batch holding this message; absent on some duplicate acks. */
  offset: string | undefined
  /** The server had already stored this batch (a retry of a request whose answer was lost). */
  duplicate: boolean
}

/** A 200 or 204 to a producer request. */
export interface Answer {
  status: number
  offset: string | undefined
  /** `Producer-Seq`: the highest seq the server accepted in this epoch (IP-08). */
  serverSeq: number | undefined
}
