/**
 * The contract between a collection, the live values that read it (queries,
 * watched rows) and the StreamDB that drives it. It has its own file so the
 * imports go one way: `collection.ts` → `live-query.ts` / `live-row.ts` →
 * here, and nothing here imports them back.
 */

/** Marks a row an optimistic change deleted. */
export const DELETED: unique symbol = Symbol("deleted")
export type Override = unknown | typeof DELETED

/** What a live query or a watched row reads from its collection (a `Collection` is one). */
export interface RowSource<T> {
  /** Collection name in the schema. */
  readonly name: string
  /** The stream behind it, named in errors. */
  readonly url: string
  /** The visible row: confirmed, with pending optimistic changes laid over it. */
  get(key: string): T | undefined
  /** Every visible row. */
  entries(): IterableIterator<[string, T]>
  /** Low-level change feed: the keys whose visible row may have changed. */
  onKeysChanged(listener: (keys: readonly string[]) => void): () => void
}

/**
 * What the owner of a collection (its StreamDB) drives it with, and what the
 * package's own live values read. Reached through `controlOf`, which the
 * package entry does not export: app code sees only the read side.
 */
export interface CollectionControl {
  /** Lays an optimistic value (or DELETED) over a key; `undefined` removes it. */
  setOverride(key: string, value: Override | undefined): void
  /** Pending optimistic values. */
  overrideCount(): number
  /** Tells everything derived from the collection which keys may have changed (also public on Collection). */
  notifyKeysChanged(keys: readonly string[]): void
  /** Drops every listener (StreamDB.close). */
  release(): void
  /** Counts notifications, so a live value that stopped listening knows whether to recompute. */
  version(): number
  /** Listeners on the change feed and on the rows (nothing may be left behind). */
  listenerCount(): number
  /** Reports what a caller's function threw (a listener, a where, an orderBy). */
  report(callback: string, thrown: unknown): void
}

const controls = new WeakMap<RowSource<unknown>, CollectionControl>()

/** Called once by a collection's constructor. */
export function attachControl(source: RowSource<unknown>, control: CollectionControl): void {
  controls.set(source, control)
}

/** The control side of a collection (or of any row source a collection made). */
export function controlOf(source: RowSource<unknown>): CollectionControl {
  const control = controls.get(source)
  if (!control) throw new TypeError(`${source.name} is not a collection of this package`)
  return control
}
