import type { ProducerAppendResult } from "./producer-commands"

const noop = (): void => undefined

/**
 * What `append()` returns: the message's acknowledgement, awaited (or
 * `then`, `catch`, `finally`) like a promise. It resolves once the batch
 * holding the message is stored, and rejects if the message cannot be.
 *
 * It is a receipt, not a promise, so that a message nobody awaits costs
 * a small object that dies young: a promise per append is registered with
 * whatever settles it and lives until its batch is acknowledged, and with
 * a hundred thousand appends in flight those promises (and their
 * reactions) were collected, copied and promoted by the garbage collector
 * (a receipt instead made 100 000 fire-and-forget appends 15% faster). A
 * receipt points at where the outcome will be; a promise is made only when
 * someone asks for one (`await` does). `Promise.all`, `Promise.race` and
 * friends take receipts as they are. It is not a `Promise` instance.
 */
export interface AppendReceipt extends PromiseLike<ProducerAppendResult> {
  then<A = ProducerAppendResult, B = never>(
    onFulfilled?: ((result: ProducerAppendResult) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: any) => B | PromiseLike<B>) | null
  ): Promise<A | B>
  catch<R = never>(onRejected?: ((reason: any) => R | PromiseLike<R>) | null): Promise<ProducerAppendResult | R>
  finally(onFinally?: (() => void) | null): Promise<ProducerAppendResult>
  /** "AppendReceipt". With it a receipt has a promise's shape, so code that types it as `Promise<ProducerAppendResult>` compiles. */
  readonly [Symbol.toStringTag]: string
}

/**
 * The appends' outcomes, kept in cohorts.
 *
 * A ticket is a number: the append's place in the producer's order. Its
 * cohort is a block of `COHORT_SIZE` consecutive numbers, found with one
 * division; the producer cuts a cohort (skips to the next block) when it
 * seals a batch, so a cohort's receipts do not wait for a later request.
 * When every ticket of a cohort has an outcome, the cohort's promise
 * resolves, and with it every promise a receipt of the cohort has made.
 * A cohort that spans several batches (appends that waited for capacity,
 * a batch a 413 split) resolves when the last of them is settled.
 */
export class Settlements {
  private _nextTicket = 0
  private readonly _cohorts = new Map<number, Cohort>()
  /** The receipt of the ticket `create()` made last (the append's, or the close's). */
  lastReceipt: AppendReceipt | undefined

  /** A new ticket, in the open cohort. */
  create(): number {
    const ticket = this._nextTicket++
    const block = Math.floor(ticket / COHORT_SIZE)
    let cohort = this._cohorts.get(block)
    if (!cohort) this._cohorts.set(block, (cohort = new Cohort()))
    cohort.pending++
    this.lastReceipt = new Receipt(cohort, ticket % COHORT_SIZE)
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
    if (!cohort || !cohort.record(at, outcome)) return
    // A cohort that has begun to settle takes no more tickets.
    if (Math.floor(this._nextTicket / COHORT_SIZE) === block) this.cut()
    if (--cohort.pending > 0) return
    this._cohorts.delete(block)
    cohort.settle()
  }
}

/** Appends per cohort at most: a cohort that spans batches delays the earlier batch's receipts, so it stays small. */
const COHORT_SIZE = 1024

class Cohort {
  /**
   * The outcomes, as runs of consecutive places with the same outcome: a
   * batch's tickets are consecutive and share their batch's result, so a
   * cohort holds one or two runs instead of a slot per append (an array of
   * a thousand slots per cohort, kept until the batch was acknowledged, was
   * most of what the producer left for the major garbage collector).
   */
  private readonly _runs: OutcomeRun[] = []
  pending = 0
  /** Made when a receipt is first asked for a promise: a cohort nobody awaits makes none. */
  private _settled: Promise<void> | undefined
  private _settle: (() => void) | undefined
  private _done = false

  get settled(): Promise<void> {
    if (this._settled) return this._settled
    if (this._done) return (this._settled = Promise.resolve())
    return (this._settled = new Promise<void>((resolve) => {
      this._settle = resolve
    }))
  }

  settle(): void {
    this._done = true
    this._settle?.()
  }

  /** Records the outcome at place `at`; false if it has one already (the first outcome stays). */
  record(at: number, outcome: ProducerAppendResult | Error): boolean {
    const last = this._runs[this._runs.length - 1]
    if (last && last.outcome === outcome && last.to === at) {
      last.to++
      return true
    }
    if (this.outcomeAt(at) !== undefined) return false
    this._runs.push({ from: at, to: at + 1, outcome })
    return true
  }

  outcomeAt(at: number): ProducerAppendResult | Error | undefined {
    for (const run of this._runs) if (at >= run.from && at < run.to) return run.outcome
    return undefined
  }
}

/** Places `from` (inclusive) to `to` (exclusive) of a cohort, settled with one outcome. */
interface OutcomeRun {
  from: number
  to: number
  readonly outcome: ProducerAppendResult | Error
}

class Receipt implements AppendReceipt {
  constructor(
    private readonly _cohort: Cohort,
    private readonly _at: number
  ) {}

  then<A = ProducerAppendResult, B = never>(
    onFulfilled?: ((result: ProducerAppendResult) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: any) => B | PromiseLike<B>) | null
  ): Promise<A | B> {
    return this._promise().then(onFulfilled, onRejected)
  }

  catch<R = never>(onRejected?: ((reason: any) => R | PromiseLike<R>) | null): Promise<ProducerAppendResult | R> {
    return this._promise().catch(onRejected)
  }

  finally(onFinally?: (() => void) | null): Promise<ProducerAppendResult> {
    return this._promise().finally(onFinally)
  }

  get [Symbol.toStringTag](): string {
    return "AppendReceipt"
  }

  private _promise(): Promise<ProducerAppendResult> {
    return this._cohort.settled.then(() => {
      const outcome = this._cohort.outcomeAt(this._at)!
      if (outcome instanceof Error) throw outcome
      return outcome
    })
  }
}

export function settledRejection<T>(error: Error): Promise<T> {
  const promise = Promise.reject(error)
  promise.catch(noop)
  return promise
}
