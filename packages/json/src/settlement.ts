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
 * A ticket is a number: the append's place in the producer's order.
 */
export class Settlements {
  private nextTicket = 0
  private open: Cohort | undefined
  /** Cohorts with tickets not yet settled, in ticket order. */
  private readonly live: Cohort[] = []

  /** The promise of the ticket `create()` made last (the append's, or the close's). */
  lastPromise: Promise<ProducerAppendResult> | undefined

  /** A new ticket, in the open cohort. */
  create(): number {
    let cohort = this.open
    if (!cohort || cohort.promises.length >= COHORT_SIZE) {
      cohort = this.open = new Cohort(this.nextTicket)
      this.live.push(cohort)
    }
    const promise = cohort.settled.then(takeOutcome)
    cohort.promises.push(promise)
    cohort.pending++
    this.lastPromise = promise
    return this.nextTicket++
  }

  /** Later tickets go to a new cohort. */
  cut(): void {
    this.open = undefined
  }

  resolve(ticket: number, result: ProducerAppendResult): void {
    this.record(ticket, result)
  }

  reject(ticket: number, error: Error): void {
    this.record(ticket, error)
  }

  private record(ticket: number, outcome: ProducerAppendResult | Error): void {
    const cohort = this.find(ticket)
    if (!cohort) return
    const at = ticket - cohort.start
    if (cohort.outcomes[at] !== undefined) return
    // A cohort that has begun to settle takes no more tickets.
    if (cohort === this.open) this.open = undefined
    if (outcome instanceof Error) {
      // Fire-and-forget callers must not crash the process on rejection;
      // flush() and onError report it. The handler is attached only when a
      // ticket fails (before the rejection, so it is never unhandled).
      cohort.promises[at]!.catch(noop)
    }
    cohort.outcomes[at] = outcome
    if (--cohort.pending > 0) return
    this.live.splice(this.live.indexOf(cohort), 1)
    cohort.settle(cohort)
  }

  /** The live cohort holding `ticket` (binary search: live cohorts are few, but may be many under backpressure). */
  private find(ticket: number): Cohort | undefined {
    const live = this.live
    let low = 0
    let high = live.length - 1
    while (low <= high) {
      const middle = (low + high) >>> 1
      const cohort = live[middle]!
      if (ticket < cohort.start) high = middle - 1
      else if (ticket >= cohort.start + cohort.promises.length) low = middle + 1
      else return cohort
    }
    return undefined
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

  constructor(readonly start: number) {
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
