import { type OnCallbackError } from "@durable-client/json"
import { callbackFailed, reportCallbackError } from "@durable-client/json/internal"
import type { ChangeMessage, Operation, StateMessage } from "./messages"

/** One applied change, as observers see it. `operation` is the effect on the state. */
export interface Change<V = unknown> {
  type: string
  key: string
  operation: Operation
  /** Value before the change (undefined when the key was absent). */
  previous: V | undefined
  /** Value after the change (undefined when deleted). */
  value: V | undefined
  /** The writer's txid, when it stamped one. */
  txid?: string
}

/** Called with the changes each applied message made. */
export type ChangeObserver = (changes: readonly Change[]) => void

/** Plain-JSON form of a state, for checkpoints. */
export interface StateSnapshot {
  version: 1
  tables: Record<string, Array<[string, unknown]>>
  /** Changes of a snapshot whose end has not been read yet. */
  pendingSnapshot?: ChangeMessage[]
}

/**
 * Per-type key → value maps built by applying State Protocol messages in
 * stream order.
 *
 * Semantics where the spec is silent (documented and tested):
 * - insert on an existing key replaces the value (observers see an update);
 * - update on a missing key stores the value (observers see an insert);
 * - delete on a missing key changes nothing and notifies no one;
 * - reset removes every row (observers see a delete per row);
 * - changes between snapshot-start and snapshot-end are held back and applied
 *   together at snapshot-end, so no observer ever sees half a snapshot.
 */
export interface MaterializedStateOptions {
  /** The stream this state comes from, named in errors. */
  url?: string
  /**
   * Receives CALLBACK_FAILED when an observer throws. Without it the error
   * is reported to the runtime as uncaught. Either way the other observers
   * still hear the change and the state stays applied.
   */
  onCallbackError?: OnCallbackError
}

/** The rows of a State Protocol stream in memory, by type and key, kept up to date by applying its messages. */
export class MaterializedState {
  private readonly _tables = new Map<string, Map<string, unknown>>()
  private readonly _observers = new Set<ChangeObserver>()
  private _pendingSnapshot: ChangeMessage[] | undefined

  constructor(private readonly _options: MaterializedStateOptions = {}) {}

  get<V = unknown>(type: string, key: string): V | undefined {
    return this._tables.get(type)?.get(key) as V | undefined
  }

  has(type: string, key: string): boolean {
    return this._tables.get(type)?.has(key) ?? false
  }

  /** Rows of a type in insertion order. */
  entries<V = unknown>(type: string): IterableIterator<[string, V]> {
    return ((this._tables.get(type) ?? new Map()) as Map<string, V>).entries()
  }

  size(type: string): number {
    return this._tables.get(type)?.size ?? 0
  }

  /** Entity types that currently hold rows. */
  types(): string[] {
    return [...this._tables.keys()].filter((type) => this._tables.get(type)!.size > 0)
  }

  /** True while a snapshot has started but not ended. */
  get inSnapshot(): boolean {
    return this._pendingSnapshot !== undefined
  }

  /** Observers get the changes of each `apply` call as one list. Returns an unsubscribe function. */
  subscribe(observer: ChangeObserver): () => void {
    this._observers.add(observer)
    return () => this._observers.delete(observer)
  }

  /**
   * Applies messages in order, then notifies observers once with everything
   * that changed. Returns the txids of the change messages this call made
   * visible, in order: not those held in an open snapshot (they come out at
   * its end, perhaps in a later call) nor those a reset discarded. A change
   * that altered nothing (a delete of a missing key) still counts: its write
   * has come back around.
   */
  apply(messages: readonly StateMessage[]): string[] {
    const txids: string[] = []
    const start = this._observers.size === 0 && this._pendingSnapshot === undefined ? this._replay(messages, txids) : 0
    if (start === messages.length) return txids
    const changes: Change[] | undefined = this._observers.size > 0 ? [] : undefined
    for (let i = start; i < messages.length; i++) {
      const message = messages[i]!
      const control = (message as { headers: { control?: string } }).headers.control
      if (control === undefined) {
        const change = message as ChangeMessage
        if (this._pendingSnapshot) this._pendingSnapshot.push(change)
        else this._applyChange(change, changes, txids)
      } else if (control === "snapshot-start") {
        this._pendingSnapshot ??= []
      } else if (control === "snapshot-end") {
        const held = this._pendingSnapshot ?? []
        this._pendingSnapshot = undefined
        for (const change of held) this._applyChange(change, changes, txids)
      } else if (control === "reset") {
        this._pendingSnapshot = undefined
        this._clearInto(changes)
      }
    }
    if (changes && changes.length > 0) this._notify(changes)
    return txids
  }

  /**
   * The replay path (catching up, nobody observing): one map lookup and one
   * map operation per change, nothing else. Stops at the first control
   * message and returns its index for the general path.
   */
  private _replay(messages: readonly StateMessage[], txids: string[]): number {
    const tables = this._tables
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i] as ChangeMessage
      const headers = message.headers as ChangeMessage["headers"] & { control?: string }
      if (headers.control !== undefined) return i
      // A direct lookup: caching the last table costs more than it saves when types interleave.
      let table = tables.get(message.type)
      if (table === undefined) table = this._tableFor(message.type)
      if (headers.operation === "delete") table.delete(message.key)
      else table.set(message.key, message.value)
      const txid = headers.txid
      if (txid !== undefined) txids.push(txid)
    }
    return messages.length
  }

  /** Removes every row, notifying observers. */
  clear(): void {
    const changes: Change[] = []
    this._pendingSnapshot = undefined
    this._clearInto(changes)
    if (changes.length > 0) this._notify(changes)
  }

  toJSON(): StateSnapshot {
    const tables: StateSnapshot["tables"] = {}
    for (const [type, rows] of this._tables) if (rows.size > 0) tables[type] = [...rows]
    const snapshot: StateSnapshot = { version: 1, tables }
    if (this._pendingSnapshot) snapshot.pendingSnapshot = [...this._pendingSnapshot]
    return snapshot
  }

  /** Replaces the contents with a checkpoint's. Observers see the difference as changes. */
  restore(snapshot: StateSnapshot): void {
    const changes: Change[] = []
    this._clearInto(changes)
    for (const [type, rows] of Object.entries(snapshot.tables)) {
      const table = new Map(rows)
      this._tables.set(type, table)
      for (const [key, value] of table) changes.push({ type, key, operation: "insert", previous: undefined, value })
    }
    this._pendingSnapshot = snapshot.pendingSnapshot ? [...snapshot.pendingSnapshot] : undefined
    if (changes.length > 0) this._notify(changes)
  }

  private _applyChange(message: ChangeMessage, changes: Change[] | undefined, txids: string[]): void {
    if (message.headers.txid !== undefined) txids.push(message.headers.txid)
    const table = this._tableFor(message.type)
    if (changes === undefined) {
      // Nobody is listening: one map operation, no bookkeeping (the replay path).
      if (message.headers.operation === "delete") table.delete(message.key)
      else table.set(message.key, message.value)
      return
    }
    const existed = table.has(message.key)
    const previous = existed ? table.get(message.key) : undefined
    if (message.headers.operation === "delete") {
      if (!existed) return
      table.delete(message.key)
      changes.push(changeOf(message, "delete", previous, undefined))
      return
    }
    table.set(message.key, message.value)
    changes.push(changeOf(message, existed ? "update" : "insert", previous, message.value))
  }

  /** Batches are mostly runs of one type: remember the last table instead of a lookup per message. */
  private _lastType: string | undefined
  private _lastTable: Map<string, unknown> | undefined

  private _tableFor(type: string): Map<string, unknown> {
    if (type === this._lastType && this._lastTable !== undefined) return this._lastTable
    let table = this._tables.get(type)
    if (table === undefined) {
      table = new Map()
      this._tables.set(type, table)
    }
    this._lastType = type
    this._lastTable = table
    return table
  }

  private _clearInto(changes: Change[] | undefined): void {
    if (changes) {
      for (const [type, rows] of this._tables) {
        for (const [key, value] of rows) changes.push({ type, key, operation: "delete", previous: value, value: undefined })
      }
    }
    this._tables.clear()
    this._lastType = undefined
    this._lastTable = undefined
  }

  private _notify(changes: readonly Change[]): void {
    for (const observer of [...this._observers]) {
      try {
        observer(changes)
      } catch (thrown) {
        // Isolated: one observer's bug must neither keep the change from the
        // others nor reach apply()'s caller (a materializer would stop for good).
        const url = this._options.url ?? "(no url)"
        reportCallbackError(callbackFailed(url, "a change subscriber", thrown, "read"), this._options.onCallbackError)
      }
    }
  }
}

function changeOf(message: ChangeMessage, operation: Operation, previous: unknown, value: unknown): Change {
  const change: Change = { type: message.type, key: message.key, operation, previous, value }
  if (message.headers.txid !== undefined) change.txid = message.headers.txid
  return change
}
