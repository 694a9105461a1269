import { controlOf, type CollectionControl, type RowSource } from "./collection-contract"
import { resolveQuery, type QueryOptions } from "./query-spec"
import { Listeners, type Store } from "./store"

interface Entry<T> {
  key: string
  row: T
}

/**
 * A query result that stays current. While it has subscribers it follows
 * the collection, looking only at the rows that changed: each changed key is
 * re-tested against `where` and moved to its place by binary search. With
 * none it holds no listener at all (a query created and dropped, as React's
 * StrictMode does, leaks nothing) and `current` is recomputed on read, only
 * if the collection changed since. `current` is a new array only when the
 * result changed, and rows that did not change keep their identity, so UI
 * frameworks re-render only what they must.
 *
 * A `where` or `orderBy` that throws is reported as CALLBACK_FAILED (the
 * row counts as not matching, the comparison as a tie) and the query goes on.
 */
export class LiveQuery<T> implements Store<T[]> {
  /** How many times `where` has run (for tests and benchmarks of incrementality). */
  evaluations = 0
  private readonly _predicate: ((row: T) => boolean) | undefined
  private readonly _compare: ((a: Entry<T>, b: Entry<T>) => number) | undefined
  private readonly _limit: number | undefined
  private readonly _control: CollectionControl
  private readonly _matched = new Map<string, T>()
  private _ordered: Array<Entry<T>> = []
  private _result: T[] = []
  private readonly _listeners: Listeners<T[]>
  private _stop: (() => void) | undefined
  /** The collection's version the result was computed at; -1 before the first scan. */
  private _computedAt = -1
  /** First throw of a where/orderBy during one pass, reported once after it. */
  private _fault: { callback: string; thrown: unknown } | undefined

  constructor(
    private readonly _collection: RowSource<T>,
    options: QueryOptions<T>
  ) {
    const query = resolveQuery(_collection, options)
    this._control = controlOf(_collection)
    this._predicate = query.predicate
    const byRow = query.comparator
    // Ties are broken by key so the order is total and binary search finds one slot.
    this._compare =
      byRow &&
      ((a, b) => {
        let order = 0
        try {
          order = byRow(a.row, b.row)
        } catch (thrown) {
          this._fault ??= { callback: "the orderBy comparator of a query", thrown }
        }
        return order || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
      })
    this._limit = query.limit
    this._listeners = new Listeners((thrown) => this._control.report("a subscriber of a query", thrown))
  }

  get current(): T[] {
    if (!this._stop) this._recomputeIfChanged()
    return this._result
  }

  getSnapshot(): T[] {
    return this.current
  }

  /** The first subscriber starts following the collection; the last one to leave stops it. */
  subscribe(listener: (rows: T[]) => void): () => void {
    if (!this._stop) this._attach()
    const remove = this._listeners.add(listener, this._result)
    return () => {
      remove()
      if (this._listeners.size === 0) this._detach()
    }
  }

  /** Drops every subscriber and stops following the collection (`current` still answers, on demand). */
  dispose(): void {
    this._listeners.clear()
    this._detach()
  }

  private _attach(): void {
    this._recomputeIfChanged()
    this._stop = this._collection.onKeysChanged((keys) => this._update(keys))
  }

  private _detach(): void {
    this._stop?.()
    this._stop = undefined
  }

  /** Scans the collection; keeps `result` (its identity) if the rows are the same. */
  private _recomputeIfChanged(): void {
    const version = this._control.version()
    if (version === this._computedAt) return
    this._computedAt = version
    this._matched.clear()
    this._ordered = []
    for (const [key, row] of this._collection.entries()) {
      if (this._matches(row)) {
        this._matched.set(key, row)
        this._ordered.push({ key, row })
      }
    }
    if (this._compare) this._ordered.sort(this._compare)
    const next = this._build()
    if (!sameRows(next, this._result)) this._result = next
    this._reportFault()
  }

  private _matches(row: T): boolean {
    if (!this._predicate) return true
    this.evaluations++
    try {
      return this._predicate(row)
    } catch (thrown) {
      this._fault ??= { callback: "the where predicate of a query", thrown }
      return false
    }
  }

  private _reportFault(): void {
    const fault = this._fault
    if (!fault) return
    this._fault = undefined
    this._control.report(fault.callback, fault.thrown)
  }

  private _update(keys: readonly string[]): void {
    this._computedAt = this._control.version()
    let changed = false
    for (const key of keys) {
      const row = this._collection.get(key)
      const wasIn = this._matched.has(key)
      const previous = this._matched.get(key)
      const isIn = row !== undefined && this._matches(row)
      if (wasIn && isIn && previous === row) continue
      if (!wasIn && !isIn) continue
      changed = true
      if (wasIn && isIn && !this._compare) {
        // Unordered results keep a changed row where it was.
        const at = this._ordered.findIndex((entry) => entry.key === key)
        this._ordered[at] = { key, row: row as T }
        this._matched.set(key, row as T)
        continue
      }
      if (wasIn) this._remove(key, previous as T)
      if (isIn) this._insert(key, row as T)
    }
    this._reportFault()
    if (!changed) return
    const next = this._build()
    if (sameRows(next, this._result)) return
    this._result = next
    this._listeners.emit(next)
  }

  private _insert(key: string, row: T): void {
    this._matched.set(key, row)
    const entry = { key, row }
    if (!this._compare) {
      this._ordered.push(entry)
      return
    }
    this._ordered.splice(this._lowerBound(entry), 0, entry)
  }

  private _remove(key: string, row: T): void {
    this._matched.delete(key)
    let at: number
    if (this._compare) {
      at = this._lowerBound({ key, row })
      // The stored row compares equal to itself; guard against comparators that are not stable.
      if (this._ordered[at]?.key !== key) at = this._ordered.findIndex((entry) => entry.key === key)
    } else {
      at = this._ordered.findIndex((entry) => entry.key === key)
    }
    if (at >= 0) this._ordered.splice(at, 1)
  }

  private _lowerBound(entry: Entry<T>): number {
    let low = 0
    let high = this._ordered.length
    while (low < high) {
      const middle = (low + high) >>> 1
      if (this._compare!(this._ordered[middle]!, entry) < 0) low = middle + 1
      else high = middle
    }
    return low
  }

  private _build(): T[] {
    const end = this._limit === undefined ? this._ordered.length : Math.min(this._limit, this._ordered.length)
    const rows = new Array<T>(end)
    for (let i = 0; i < end; i++) rows[i] = this._ordered[i]!.row
    return rows
  }
}

function sameRows<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
