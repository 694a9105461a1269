import type { MaterializedState } from "@durable-client/state"
import { LiveQuery } from "./live-query"
import { LiveRow } from "./live-row"
import type { QueryOptions } from "./query-spec"
import { Listeners, type Store } from "./store"

/** Marks a row an optimistic change deleted. */
export const DELETED: unique symbol = Symbol("deleted")
export type Override = unknown | typeof DELETED

/**
 * The rows of one entity type as the app sees them: the confirmed
 * (materialized) rows with pending optimistic changes laid over them.
 * Everything derived from it (queries, watched rows) updates per changed
 * key, never by rescanning the collection.
 */
export class Collection<T> implements Store<T[]>, Iterable<T> {
  /** Pending optimistic values by key; maintained by the owning StreamDB. */
  readonly overrides = new Map<string, Override>()
  private readonly keyListeners = new Set<(keys: readonly string[]) => void>()
  private readonly arrayListeners = new Listeners<T[]>()
  private array: T[] | undefined

  constructor(
    /** Collection name in the schema. */
    readonly name: string,
    /** Entity `type` on the wire. */
    readonly type: string,
    readonly primaryKey: string,
    private readonly state: MaterializedState,
    /** The stream behind it, named in errors. */
    readonly url = ""
  ) {}

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

  /** A live, incrementally maintained query over this collection. */
  query(options: QueryOptions<T> = {}): LiveQuery<T> {
    return new LiveQuery(this, options)
  }

  /** One row as a live value (undefined while absent). */
  watch(key: string): LiveRow<T> {
    return new LiveRow(this, key)
  }

  /** Low-level change feed: the keys whose visible row may have changed. */
  onKeysChanged(listener: (keys: readonly string[]) => void): () => void {
    this.keyListeners.add(listener)
    return () => {
      this.keyListeners.delete(listener)
    }
  }

  /** Called by the StreamDB once per applied batch or optimistic step. */
  notifyKeysChanged(keys: readonly string[]): void {
    if (keys.length === 0) return
    this.array = undefined
    for (const listener of [...this.keyListeners]) listener(keys)
    if (this.arrayListeners.size > 0) this.arrayListeners.emit(this.toArray())
  }

  /** Drops every listener (StreamDB.close). */
  release(): void {
    this.keyListeners.clear()
    this.arrayListeners.clear()
  }
}
