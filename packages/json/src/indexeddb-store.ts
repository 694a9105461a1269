import { describeValue, invalidArgument } from "@durable-client/bytes/internal"

/** Where a store lives: one object store in one IndexedDB database. */
export interface IndexedDbStoreOptions {
  databaseName?: string
  storeName?: string
  /** The IndexedDB to use; defaults to `globalThis.indexedDB` (a test may pass fake-indexeddb). */
  indexedDB?: IDBFactory
}

/** Runs one request in its own transaction; settles when the transaction commits. */
export type IndexedDbRun = <T>(mode: IDBTransactionMode, act: (store: IDBObjectStore) => IDBRequest<T>) => Promise<T>

/**
 * The one way our IndexedDB stores (the key-value store for outboxes and
 * checkpoints, the Yjs checkpoint store) open their database and run a
 * request. Checks the names and the runtime at once (`where` names the
 * caller in the error; `fallback` says what to use instead). The database
 * opens on first use; a failed open is retried by the next call; another
 * tab upgrading it makes this one let go and reopen later, and a database
 * held at an older version elsewhere fails the call instead of waiting
 * without end.
 */
export function openIndexedDbStore(where: string, options: IndexedDbStoreOptions, defaultStoreName: string, fallback: string): IndexedDbRun {
  if (typeof options !== "object" || options === null) throw invalidArgument(where, `options must be an object (got ${describeValue(options)})`)
  const databaseName = options.databaseName ?? "durable-client"
  const storeName = options.storeName ?? defaultStoreName
  for (const [name, value] of [["databaseName", databaseName], ["storeName", storeName]] as const) {
    if (typeof value !== "string" || value === "") throw invalidArgument(where, `${name} must be a non-empty string (got ${describeValue(value)})`)
  }
  const factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB
  if (!factory || typeof factory.open !== "function") {
    throw invalidArgument(where, `IndexedDB is not available in this runtime: use ${fallback}`)
  }

  let opening: Promise<IDBDatabase> | undefined
  /** Opens the database at `version` (its current one if undefined), creating the store if that is the upgrade. */
  const open = (version?: number): Promise<IDBDatabase> =>
    new Promise<IDBDatabase>((resolve, reject) => {
      const request = factory.open(databaseName, version)
      request.onupgradeneeded = () => {
        if (!request.result.objectStoreNames.contains(storeName)) request.result.createObjectStore(storeName)
      }
      request.onsuccess = () => {
        const db = request.result
        // Another tab wants a newer version: let go rather than block it; the next call reopens.
        db.onversionchange = () => {
          db.close()
          opening = undefined
        }
        resolve(db)
      }
      request.onerror = () => reject(request.error ?? new Error(`IndexedDB ${databaseName} could not be opened`))
      // An older version is held open elsewhere: fail now rather than wait without end.
      request.onblocked = () => reject(new Error(`IndexedDB ${databaseName} is blocked by a connection in another tab`))
    })
  const database = (): Promise<IDBDatabase> =>
    (opening ??= (async () => {
      const db = await open()
      if (db.objectStoreNames.contains(storeName)) return db
      // A database other stores were made in: a new version adds this one.
      db.close()
      return open(db.version + 1)
    })().catch((error: unknown) => {
      opening = undefined // a later call tries again
      throw error
    }))

  return async <T>(mode: IDBTransactionMode, act: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> => {
    const db = await database()
    return new Promise<T>((resolve, reject) => {
      const transaction = db.transaction(storeName, mode)
      const request = act(transaction.objectStore(storeName))
      // Settle on commit, so a write is durable once its promise resolves.
      transaction.oncomplete = () => resolve(request.result)
      transaction.onerror = () => reject(transaction.error ?? request.error)
      transaction.onabort = () => reject(transaction.error ?? new Error("IndexedDB transaction aborted"))
    })
  }
}
