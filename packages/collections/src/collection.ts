import { type MaterializedState, type OnCallbackError } from "@durable-client/state"
import { callbackFailed, reportCallbackError } from "@durable-client/state/internal"
import { DELETED, attachControl, controlOf, type Override, type RowSource } from "./collection-contract"
import { LiveQuery } from "./live-query"
import { LiveRow } from "./live-row"
import type { QueryOptions } from "./query-spec"
import { Listeners, type Store } from "./store"

/**
 * The rows of one entity type as the app sees them: the confirmed
 * (materialized) rows with pending optimistic changes laid over them.
 * Everything derived from it (queries, watched rows) updates per changed
 * key, never by rescanning the collection.
 */
export class Collection<T> implements RowSource<T>, Store<T[]>, Iterable<T> {
  private readonly overrides = new Map<string, Override>()
  private readonly keyListeners = new Set<(keys: readonly string[]) => void>()
  private readonly arrayListeners: Listeners<T[]>
  private array: T[] | undefined
  private changes = 0

  constructor(
    /** Collection name in the schema. */
    readonly name: string,
    /** Entity `type` on the wire. */
    readonly type: string,
    readonly primaryKey: string,
    private readonly state: MaterializedState,
    /** The stream behind it, named in errors. */
    readonly url = "",
    /** Receives CALLBACK_FAILED for a throwing listener, where or orderBy; default: reported as uncaught. */
    onCallbackError?: OnCallbackError
  ) {
    const report = (callback: string, thrown: unknown): void =>
      reportCallbackError(callbackFailed(url || "(no url)", `${callback} of collection ${name}`, thrown, "read"), onCallbackError)
    this.arrayListeners = new Listeners((thrown) => report("a subscriber", thrown))
    attachControl(this, {
      setOverride: (key, value) => {
        if (value === undefined) this.overrides.delete(key)
        else this.overrides.set(key, value)
      },
      overrideCount: () => this.overrides.size,
      notifyKeysChanged: (keys) => {
        if (keys.length === 0) return
        this.changes++
        this.array = undefined
        for (const listener of [...this.keyListeners]) {
          try {
            listener(keys)
          } catch (thrown) {
            // A query's where or a caller's onKeysChanged: the rest still hear the change.
            report("an onKeysChanged listener", thrown)
          }
        }
        if (this.arrayListeners.size > 0) this.arrayListeners.emit(this.toArray())
      },
      release: () => {
        this.keyListeners.clear()
        this.arrayListeners.clear()
      },
      version: () => this.changes,
      listenerCount: () => this.keyListeners.size + this.arrayListeners.size,
      report,
    })
  }

  get(key: string): T | undefined {
    if (this.overrides.has(key)) {
      const value = this.overrides.get(key)
      return value === DELETED ? undefined : (value as T)
    }
    return this.state.get<T>(this.type, key)
  }

  has(key: string): boolean {
    return this.get(key) !== undefined
  }

  get size(): number {
    let size = this.state.size(this.type)
    for (const [key, value] of this.overrides) {
      const confirmed = this.state.has(this.type, key)
      if (value === DELETED && confirmed) size--
      else if (value !== DELETED && !confirmed) size++
    }
    return size
  }

  /** Rows in stream insertion order; optimistic inserts come last. */
  *entries(): IterableIterator<[string, T]> {
    for (const [key, value] of this.state.entries<T>(this.type)) {
      if (!this.overrides.has(key)) yield [key, value]
      else {
        const override = this.overrides.get(key)
        if (override !== DELETED) yield [key, override as T]
      }
    }
    for (const [key, value] of this.overrides) {
      if (value !== DELETED && !this.state.has(this.type, key)) yield [key, value as T]
    }
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (const [, row] of this.entries()) yield row
  }

  /** All rows; the same array until something changes. */
  toArray(): T[] {
    this.array ??= [...this]
    return this.array
  }

  getSnapshot(): T[] {
    return this.toArray()
  }

  subscribe(listener: (rows: T[]) => void): () => void {
    return this.arrayListeners.add(listener, this.toArray())
  }

  /**
   * A live, incrementally maintained query over this collection. It follows
   * the collection only while it has subscribers (so a query nobody
   * subscribes to, or one React's StrictMode drops, leaves nothing behind);
   * `current` is right whenever it is read.
   */
  query(options: QueryOptions<T> = {}): LiveQuery<T> {
    return new LiveQuery(this, options)
  }

  /** One row as a live value (undefined while absent); follows the collection only while subscribed. */
  watch(key: string): LiveRow<T> {
    return new LiveRow(this, key)
  }

  /**
   * Tells the collection which keys of its state may have changed, once per
   * applied batch. A StreamDB does this for you; call it yourself only when
   * you wire a Collection to a MaterializedState by hand.
   */
  notifyKeysChanged(keys: readonly string[]): void {
    controlOf(this).notifyKeysChanged(keys)
  }

  /** Low-level change feed: the keys whose visible row may have changed. */
  onKeysChanged(listener: (keys: readonly string[]) => void): () => void {
    this.keyListeners.add(listener)
    return () => {
      this.keyListeners.delete(listener)
    }
  }
}
