import type { ProducerAppendResult } from "./producer-commands"

const noop = (): void => undefined

/**
 * The promises `append()` returns, settled in cohorts.
 *
 * Every append has a promise of its own, so one message of a batch can fail
 * alone (a 413 split). Made the plain way, each costs a promise, its two
 * resolving functions and their context, all held until the batch is
 * acknowledged: at a hundred thousand appends in flight that was the
 * largest part of the producer's garbage-collection time. Here consecutive
 * appends share one cohort, one pending promise: each append's promise is
 * `cohort.settled.then(takeOutcome)`, which costs a promise and a reaction,
 * and nothing per append survives the cohort but the caller's promise.
 *
 * When every ticket of a cohort has an outcome, the cohort's promise
 * resolves and its reactions run in the order they were registered (the
 * order of the tickets, ECMAScript's PromiseReactions list), so each one
 * takes the next outcome. A cohort ends when the producer seals a batch
 * (the next append belongs to another request, and waiting for that one
 * would delay this batch's promises) or reaches `COHORT_SIZE`; a cohort
 * that still spans several batches (appends that waited for capacity, a
 * batch a 413 split) resolves when the last of them is settled.
 *
 * A ticket is a number: the append's place in the producer's order, with
 * a gap after each cohort.
 */
export class Settlements {
  private _nextTicket = 0
  /**
   * Cohorts with tickets not yet settled, by block: a cohort's tickets are
   * one block of `COHORT_SIZE` numbers (a cut skips to the next block), so
   * a ticket finds its cohort with one division.
   */
  private readonly _cohorts = new Map<number, Cohort>()
  /** The promise of the ticket `create()` made last (the append's, or the close's). */
  lastPromise: Promise<ProducerAppendResult> | undefined

  /** A new ticket, in the open cohort. */
  create(): number {
    const ticket = this._nextTicket++
    const block = Math.floor(ticket / COHORT_SIZE)
    let cohort = this._cohorts.get(block)
    if (!cohort) this._cohorts.set(block, (cohort = new Cohort()))
    const promise = cohort.settled.then(takeOutcome)
    cohort.promises.push(promise)
    cohort.pending++
    this.lastPromise = promise
    return ticket
  }

  /** Later tickets go to a new cohort. */
  cut(): void {
    if (this._nextTicket % COHORT_SIZE !== 0) this._nextTicket = (Math.floor(this._nextTicket / COHORT_SIZE) + 1) * COHORT_SIZE
  }

  resolve(ticket: number, result: ProducerAppendResult): void {
    this._record(ticket, result)
  }

  reject(ticket: number, error: Error): void {
    this._record(ticket, error)
  }

  private _record(ticket: number, outcome: ProducerAppendResult | Error): void {
    const block = Math.floor(ticket / COHORT_SIZE)
    const cohort = this._cohorts.get(block)
    const at = ticket % COHORT_SIZE
    if (!cohort || cohort.outcomes[at] !== undefined) return
    // A cohort that has begun to settle takes no more tickets.
    if (Math.floor(this._nextTicket / COHORT_SIZE) === block) this.cut()
    if (outcome instanceof Error) {
      // Fire-and-forget callers must not crash the process on rejection;
      // flush() and onError report it. The handler is attached only when a
      // ticket fails (before the rejection, so it is never unhandled).
      cohort.promises[at]!.catch(noop)
    }
    cohort.outcomes[at] = outcome
    if (--cohort.pending > 0) return
    this._cohorts.delete(block)
    cohort.settle(cohort)
  }
}

/** Appends per cohort at most: a cohort that spans batches delays the earlier batch's promises, so it stays small. */
const COHORT_SIZE = 1024

class Cohort {
  readonly promises: Array<Promise<ProducerAppendResult>> = []
  readonly outcomes: Array<ProducerAppendResult | Error | undefined> = []
  pending = 0
  /** The next outcome `takeOutcome` hands out. */
  cursor = 0
  readonly settled: Promise<Cohort>
  settle!: (cohort: Cohort) => void

  constructor() {
    this.settled = new Promise<Cohort>((resolve) => {
      this.settle = resolve
    })
  }
}

/** One reaction per append, run in ticket order: the next outcome of the cohort. */
function takeOutcome(cohort: Cohort): ProducerAppendResult {
  const outcome = cohort.outcomes[cohort.cursor++]!
  if (outcome instanceof Error) throw outcome
  return outcome
}

export function settledRejection<T>(error: Error): Promise<T> {
  const promise = Promise.reject(error)
  promise.catch(noop)
  return promise
}
