import type { DurableStreamError } from "@durable-client/bytes"

/** How a batch left the in-flight window, as a batch waiting behind it sees it. */
export type Settled = "acked" | "failed" | "parked" | "held"

/** What a batch that met a gap learns once every batch it waited for has settled. */
export interface GapVerdict {
  /** Some earlier batch failed: this one cannot be stored in order. */
  failed: boolean
  /** Some earlier batch was parked for auto-claim: this one goes with it. */
  parked: boolean
  /** The 409 that started the wait. */
  error: DurableStreamError
}

/**
 * Pure bookkeeping for sequence gaps (a 409 with `Producer-Expected-Seq`):
 * a batch that overtook earlier ones on the wire waits until each of them
 * has been acknowledged, failed or parked, and only then is resent (or
 * not). Keyed by the batch object; no timers, no promises.
 */
export class GapWaits<B> {
  private readonly _waits = new Map<B, { pending: Set<B>; outcomes: Set<Settled>; error: DurableStreamError }>()

  /** Some batch waits to be resent. */
  get waiting(): boolean {
    return this._waits.size > 0
  }

  /** `batch` met a gap and waits for `earlier` (the batches of its epoch with lower seqs in flight). */
  wait(batch: B, earlier: Iterable<B>, error: DurableStreamError): void {
    this._waits.set(batch, { pending: new Set(earlier), outcomes: new Set(), error })
  }

  /** `batch` left the window: the batches waiting for it take note. */
  settled(batch: B, outcome: Settled): void {
    for (const wait of this._waits.values()) if (wait.pending.delete(batch)) wait.outcomes.add(outcome)
  }

  /** The first batch (in the order the gaps arrived) with nothing left to wait for, with its verdict; it stops waiting. */
  takeReady(): [B, GapVerdict] | undefined {
    for (const [batch, wait] of this._waits) {
      if (wait.pending.size > 0) continue
      this._waits.delete(batch)
      return [batch, { failed: wait.outcomes.has("failed"), parked: wait.outcomes.has("parked"), error: wait.error }]
    }
    return undefined
  }
}
