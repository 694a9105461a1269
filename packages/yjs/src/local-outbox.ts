import { mergeUpdates } from "yjs"

/** One local update and whether it is with the producer now. */
export interface OutboxEntry {
  readonly update: Uint8Array
  sent: boolean
}

/**
 * Local updates the server has not acknowledged yet, in order. Entries handed
 * to a producer that later failed go back to unsent; `compact()` merges
 * whatever waits into one update, so a long offline session is resent as
 * one small frame rather than thousands of keystrokes.
 */
export class LocalOutbox {
  private entries: OutboxEntry[] = []

  get size(): number {
    return this.entries.length
  }

  /** Bytes of the updates held. */
  get bytes(): number {
    let total = 0
    for (const entry of this.entries) total += entry.update.length
    return total
  }

  add(update: Uint8Array): OutboxEntry {
    const entry = { update, sent: false }
    this.entries.push(entry)
    return entry
  }

  /** Marks every unsent entry as sent and returns them. */
  takeUnsent(): OutboxEntry[] {
    const unsent = this.entries.filter((entry) => !entry.sent)
    for (const entry of unsent) entry.sent = true
    return unsent
  }

  /** The server stored it. */
  acknowledge(entry: OutboxEntry): void {
    const at = this.entries.indexOf(entry)
    if (at !== -1) this.entries.splice(at, 1)
  }

  /** The producer that had these is gone: all of them wait to be sent again, merged into one. */
  compact(): void {
    if (this.entries.length === 0) return
    const merged = this.entries.length === 1 ? this.entries[0]!.update : mergeUpdates(this.entries.map((entry) => entry.update))
    this.entries = [{ update: merged, sent: false }]
  }

  /** Everything held, merged into one update (what the outbox record stores), or undefined when empty. */
  merged(): Uint8Array | undefined {
    if (this.entries.length === 0) return undefined
    return this.entries.length === 1 ? this.entries[0]!.update : mergeUpdates(this.entries.map((entry) => entry.update))
  }
}
