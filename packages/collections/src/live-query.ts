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
  private readonly predicate: ((row: T) => boolean) | undefined
  private readonly compare: ((a: Entry<T>, b: Entry<T>) => number) | undefined
  private readonly limit: number | undefined
  private readonly control: CollectionControl
  private readonly matched = new Map<string, T>()
  private ordered: Array<Entry<T>> = []
  private result: T[] = []
  private readonly listeners: Listeners<T[]>
  private stop: (() => void) | undefined
  /** The collection's version the result was computed at; -1 before the first scan. */
  private computedAt = -1
  /** First throw of a where/orderBy during one pass, reported once after it. */
  private fault: { callback: string; thrown: unknown } | undefined

  constructor(
    private readonly collection: RowSource<T>,
    options: QueryOptions<T>
  ) {
    const query = resolveQuery(collection, options)
    this.control = controlOf(collection)
    this.predicate = query.predicate
    const byRow = query.comparator
    // Ties are broken by key so the order is total and binary search finds one slot.
    this.compare =
      byRow &&
      ((a, b) => {
        let order = 0
        try {
          order = byRow(a.row, b.row)
        } catch (thrown) {
          this.fault ??= { callback: "the orderBy comparator of a query", thrown }
        }
        return order || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
      })
    this.limit = query.limit
    this.listeners = new Listeners((thrown) => this.control.report("a subscriber of a query", thrown))
  }

  get current(): T[] {
    if (!this.stop) this.recomputeIfChanged()
    return this.result
  }

  getSnapshot(): T[] {
    return this.current
  }

  /** The first subscriber starts following the collection; the last one to leave stops it. */
  subscribe(listener: (rows: T[]) => void): () => void {
    if (!this.stop) this.attach()
    const remove = this.listeners.add(listener, this.result)
    return () => {
      remove()
      if (this.listeners.size === 0) this.detach()
    }
  }

  /** Drops every subscriber and stops following the collection (`current` still answers, on demand). */
  dispose(): void {
    this.listeners.clear()
    this.detach()
  }

  private attach(): void {
    this.recomputeIfChanged()
    this.stop = this.collection.onKeysChanged((keys) => this.update(keys))
  }

  private detach(): void {
    this.stop?.()
    this.stop = undefined
  }

  /** Scans the collection; keeps `result` (its identity) if the rows are the same. */
  private recomputeIfChanged(): void {
    const version = this.control.version()
    if (version === this.computedAt) return
    this.computedAt = version
    this.matched.clear()
    this.ordered = []
    for (const [key, row] of this.collection.entries()) {
      if (this.matches(row)) {
        this.matched.set(key, row)
        this.ordered.push({ key, row })
      }
    }
    if (this.compare) this.ordered.sort(this.compare)
    const next = this.build()
    if (!sameRows(next, this.result)) this.result = next
    this.reportFault()
  }

  private matches(row: T): boolean {
    if (!this.predicate) return true
    this.evaluations++
    try {
      return this.predicate(row)
    } catch (thrown) {
      this.fault ??= { callback: "the where predicate of a query", thrown }
      return false
    }
  }

  private reportFault(): void {
    const fault = this.fault
    if (!fault) return
    this.fault = undefined
    this.control.report(fault.callback, fault.thrown)
  }

  private update(keys: readonly string[]): void {
    this.computedAt = this.control.version()
    let changed = false
    for (const key of keys) {
      const row = this.collection.get(key)
      const wasIn = this.matched.has(key)
      const previous = this.matched.get(key)
      const isIn = row !== undefined && this.matches(row)
      if (wasIn && isIn && previous === row) continue
      if (!wasIn && !isIn) continue
      changed = true
      if (wasIn && isIn && !this.compare) {
        // Unordered results keep a changed row where it was.
        const at = this.ordered.findIndex((entry) => entry.key === key)
        this.ordered[at] = { key, row: row as T }
        this.matched.set(key, row as T)
        continue
      }
      if (wasIn) this.remove(key, previous as T)
      if (isIn) this.insert(key, row as T)
    }
    this.reportFault()
    if (!changed) return
    const next = this.build()
    if (sameRows(next, this.result)) return
    this.result = next
    this.listeners.emit(next)
  }

  private insert(key: string, row: T): void {
    this.matched.set(key, row)
    const entry = { key, row }
    if (!this.compare) {
      this.ordered.push(entry)
      return
    }
    this.ordered.splice(this.lowerBound(entry), 0, entry)
  }

  private remove(key: string, row: T): void {
    this.matched.delete(key)
    let at: number
    if (this.compare) {
      at = this.lowerBound({ key, row })
      // The stored row compares equal to itself; guard against comparators that are not stable.
      if (this.ordered[at]?.key !== key) at = this.ordered.findIndex((entry) => entry.key === key)
    } else {
      at = this.ordered.findIndex((entry) => entry.key === key)
    }
    if (at >= 0) this.ordered.splice(at, 1)
  }

  private lowerBound(entry: Entry<T>): number {
    let low = 0
    let high = this.ordered.length
    while (low < high) {
      const middle = (low + high) >>> 1
      if (this.compare!(this.ordered[middle]!, entry) < 0) low = middle + 1
      else high = middle
    }
    return low
  }

  private build(): T[] {
    const end = this.limit === undefined ? this.ordered.length : Math.min(this.limit, this.ordered.length)
    const rows = new Array<T>(end)
    for (let i = 0; i < end; i++) rows[i] = this.ordered[i]!.row
    return rows
  }
}

function sameRows<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
