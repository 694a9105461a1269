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
  private readonly _overrides = new Map<string, Override>()
  private readonly _keyListeners = new Set<(keys: readonly string[]) => void>()
  private readonly _arrayListeners: Listeners<T[]>
  private _array: T[] | undefined
  private _changes = 0

  constructor(
    /** Collection name in the schema. */
    readonly name: string,
    /** Entity `type` on the wire. */
    readonly type: string,
    readonly primaryKey: string,
    private readonly _state: MaterializedState,
    /** The stream behind it, named in errors. */
    readonly url = "",
    /** Receives CALLBACK_FAILED for a throwing listener, where or orderBy; default: reported as uncaught. */
    onCallbackError?: OnCallbackError
  ) {
    const report = (callback: string, thrown: unknown): void =>
      reportCallbackError(callbackFailed(url || "(no url)", `${callback} of collection ${name}`, thrown, "read"), onCallbackError)
    this._arrayListeners = new Listeners((thrown) => report("a subscriber", thrown))
    attachControl(this, {
      setOverride: (key, value) => {
        if (value === undefined) this._overrides.delete(key)
        else this._overrides.set(key, value)
      },
      overrideCount: () => this._overrides.size,
      notifyKeysChanged: (keys) => {
        if (keys.length === 0) return
        this._changes++
        this._array = undefined
        for (const listener of [...this._keyListeners]) {
          try {
            listener(keys)
          } catch (thrown) {
            // A query's where or a caller's onKeysChanged: the rest still hear the change.
            report("an onKeysChanged listener", thrown)
          }
        }
        if (this._arrayListeners.size > 0) this._arrayListeners.emit(this.toArray())
      },
      release: () => {
        this._keyListeners.clear()
        this._arrayListeners.clear()
      },
      version: () => this._changes,
      listenerCount: () => this._keyListeners.size + this._arrayListeners.size,
      report,
    })
  }

  get(key: string): T | undefined {
    if (this._overrides.has(key)) {
      const value = this._overrides.get(key)
      return value === DELETED ? undefined : (value as T)
    }
    return this._state.get<T>(this.type, key)
  }

  has(key: string): boolean {
    return this.get(key) !== undefined
  }

  get size(): number {
    let size = this._state.size(this.type)
    for (const [key, value] of this._overrides) {
      const confirmed = this._state.has(this.type, key)
      if (value === DELETED && confirmed) size--
      else if (value !== DELETED && !confirmed) size++
    }
    return size
  }

  /** Rows in stream insertion order; optimistic inserts come last. */
  *entries(): IterableIterator<[string, T]> {
    for (const [key, value] of this._state.entries<T>(this.type)) {
      if (!this._overrides.has(key)) yield [key, value]
      else {
        const override = this._overrides.get(key)
        if (override !== DELETED) yield [key, override as T]
      }
    }
    for (const [key, value] of this._overrides) {
      if (value !== DELETED && !this._state.has(this.type, key)) yield [key, value as T]
    }
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (const [, row] of this.entries()) yield row
  }

  /** All rows; the same array until something changes. */
  toArray(): T[] {
    this._array ??= [...this]
    return this._array
  }

  getSnapshot(): T[] {
    return this.toArray()
  }

  subscribe(listener: (rows: T[]) => void): () => void {
    return this._arrayListeners.add(listener, this.toArray())
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
    this._keyListeners.add(listener)
    return () => {
      this._keyListeners.delete(listener)
    }
  }
}
