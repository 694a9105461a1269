import { useCallback, useEffect, useMemo, useState, useSyncExternalStore } from "react"
import type { Collection } from "./collection"
import type { LiveQuery } from "./live-query"
import type { QueryOptions } from "./query-spec"
import type { Store } from "./store"

/** Subscribes a component to any store of this package; re-renders only on a new snapshot. */
export function useStore<T>(store: Store<T>): T {
  // Stable per store: React resubscribes whenever `subscribe` changes, and the
  // store contract's immediate call on subscribing (before React has recorded
  // the new snapshot) would then force a second render after every change.
  const subscribe = useCallback((onChange: () => void) => store.subscribe(() => onChange()), [store])
  return useSyncExternalStore(
    subscribe,
    () => store.getSnapshot(),
    () => store.getSnapshot()
  )
}

/**
 * A live query as React state. The query is rebuilt when `deps` change
 * (pass the values `where`/`orderBy` close over); rows that did not change
 * keep their identity, so memoised children skip re-rendering.
 */
export function useLiveQuery<T>(
  collection: Collection<T>,
  options: QueryOptions<T> = {},
  deps: readonly unknown[] = []
): T[] {
  // eslint-disable-next-line react-hooks/exhaustive-deps -- the caller lists what the options depend on
  const query: LiveQuery<T> = useMemo(() => collection.query(options), [collection, ...deps])
  useEffect(() => () => query.dispose(), [query])
  return useStore(query)
}

/** One row as React state (undefined while absent). */
export function useRow<T>(collection: Collection<T>, key: string): T | undefined {
  const row = useMemo(() => collection.watch(key), [collection, key])
  useEffect(() => () => row.dispose(), [row])
  return useStore(row)
}

/**
 * Opens a StreamDB (or anything with `close()`) for the component's lifetime
 * and closes it on unmount. Returns undefined until it has been opened, so
 * React's double-invoked effects in StrictMode never leak a second one.
 */
export function useStreamDB<DB extends { close(): Promise<void> }>(open: () => DB, deps: readonly unknown[] = []): DB | undefined {
  const [db, setDb] = useState<DB | undefined>(undefined)
  useEffect(() => {
    const opened = open()
    setDb(opened)
    return () => {
      setDb(undefined)
      void opened.close()
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps -- reopened only when the caller's deps change
  }, deps)
  return db
}
