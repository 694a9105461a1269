import { describeValue, invalidArgument } from "@durable-client/bytes/internal"

/** Options of `indexedDbKeyValue`. */
export interface IndexedDbKeyValueOptions {
  /** @default "durable-client" */
  databaseName?: string
  /** @default "key-value" */
  storeName?: string
  /** The IndexedDB to use; defaults to `globalThis.indexedDB` (a test may pass fake-indexeddb). */
  indexedDB?: IDBFactory
}

/** String keys and values in IndexedDB, with the methods of React Native's AsyncStorage. */
export interface IndexedDbKeyValue {
  getItem(key: string): Promise<string | null>
  setItem(key: string, value: string): Promise<void>
  removeItem(key: string): Promise<void>
  getAllKeys(): Promise<string[]>
}

const WHERE = "(indexedDbKeyValue)"

/**
 * A string key-value store in IndexedDB (browsers, web workers), shaped like
 * AsyncStorage so it serves every layer that takes one:
 * `webStorageOutbox(indexedDbKeyValue())` for a producer's outbox, and the
 * state layer's `keyValueStorage(indexedDbKeyValue())` for checkpoints.
 * Unlike localStorage it is not limited to a few megabytes and does not
 * block the page while it writes. A write resolves once its transaction has
 * committed. The database opens on first use; another tab upgrading it
 * makes this one let go, and reopen on its next call.
 */
export function indexedDbKeyValue(options: IndexedDbKeyValueOptions = {}): IndexedDbKeyValue {
  if (typeof options !== "object" || options === null) throw invalidArgument(WHERE, `options must be an object (got ${describeValue(options)})`)
  const databaseName = options.databaseName ?? "durable-client"
  const storeName = options.storeName ?? "key-value"
  for (const [name, value] of [["databaseName", databaseName], ["storeName", storeName]] as const) {
    if (typeof value !== "string" || value === "") throw invalidArgument(WHERE, `${name} must be a non-empty string (got ${describeValue(value)})`)
  }
  const factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB
  if (!factory || typeof factory.open !== "function") {
    throw invalidArgument(WHERE, "IndexedDB is not available in this runtime: use webStorageOutbox(localStorage) or another store")
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

  const run = async <T>(mode: IDBTransactionMode, act: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> => {
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

  return {
    getItem: async (key) => {
      const value: unknown = await run("readonly", (store) => store.get(key))
      return typeof value === "string" ? value : null
    },
    setItem: async (key, value) => {
      await run("readwrite", (store) => store.put(value, key))
    },
    removeItem: async (key) => {
      await run("readwrite", (store) => store.delete(key))
    },
    getAllKeys: async () => {
      const keys = await run("readonly", (store) => store.getAllKeys())
      return keys.filter((key): key is string => typeof key === "string")
    },
  }
}
