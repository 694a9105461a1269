import { openIndexedDbStore } from "./indexeddb-store"

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
 * committed (see `openIndexedDbStore` for how the database is opened).
 */
export function indexedDbKeyValue(options: IndexedDbKeyValueOptions = {}): IndexedDbKeyValue {
  const run = openIndexedDbStore(WHERE, options, "key-value", "webStorageOutbox(localStorage) or another store")
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
