import { DurableStreamError } from "@durable-client/state"
import type { Collection } from "./collection"
import { toComparator, toPredicate, type QueryOptions } from "./query-spec"
import { Listeners, type Store } from "./store"

interface Entry<T> {
  key: string
  row: T
}

/**
 * A query result that stays current. After the first scan it only looks at
 * the rows that changed: each changed key is re-tested against `where` and
 * moved to its place by binary search. `current` is a new array only when
 * the result changed, and rows that did not change keep their identity, so
 * UI frameworks re-render only what they must.
 */
export class LiveQuery<T> implements Store<T[]> {
  /** How many times `where` has run (for tests and benchmarks of incrementality). */
  evaluations = 0
  private readonly predicate: ((row: T) => boolean) | undefined
  private readonly compare: ((a: Entry<T>, b: Entry<T>) => number) | undefined
  private readonly limit: number | undefined
  private readonly matched = new Map<string, T>()
  private ordered: Array<Entry<T>> = []
  private result: T[]
  private readonly listeners = new Listeners<T[]>()
  private stop: (() => void) | undefined

  constructor(
    private readonly collection: Collection<T>,
    options: QueryOptions<T>
  ) {
    this.predicate = toPredicate(options.where)
    const byRow = toComparator(options.orderBy)
    // Ties are broken by key so the order is total and binary search finds one slot.
    this.compare = byRow && ((a, b) => byRow(a.row, b.row) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit >= 0)) {
      throw new DurableStreamError(
        "INVALID_ARGUMENT",
        `Invalid query on ${collection.name} of stream ${collection.url}: limit must be a whole number >= 0 (got ${String(options.limit)})`,
        { url: collection.url }
      )
    }
    this.limit = options.limit
    this.result = []
    this.attach()
  }

  get current(): T[] {
    return this.result
  }

  getSnapshot(): T[] {
    return this.result
  }

  /** Subscribing to a disposed query revives it (React StrictMode unmounts and remounts). */
  subscribe(listener: (rows: T[]) => void): () => void {
    if (!this.stop) this.attach()
    return this.listeners.add(listener, this.result)
  }

  /** Stops following the collection. */
  dispose(): void {
    this.stop?.()
    this.stop = undefined
    this.listeners.clear()
  }

  /** Scans the collection once and follows it from then on; keeps `result` if nothing changed. */
  private attach(): void {
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
    this.stop = this.collection.onKeysChanged((keys) => this.update(keys))
  }

  private matches(row: T): boolean {
    if (!this.predicate) return true
    this.evaluations++
    return this.predicate(row)
  }

  private update(keys: readonly string[]): void {
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
