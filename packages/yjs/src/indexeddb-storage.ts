import { type Checkpoint, type CheckpointStorage } from "@durable-client/state"
import { invalidArgument } from "@durable-client/state/internal"

/** Options of `indexedDbStorage`. */
export interface IndexedDbStorageOptions {
  /** @default "durable-client" */
  databaseName?: string
  /** @default "checkpoints" */
  storeName?: string
}

/**
 * Checkpoints in IndexedDB (browsers, web workers): asynchronous, not
 * limited to localStorage's few megabytes, and not blocking the page while a
 * large document is written. Implements the state layer's `CheckpointStorage`,
 * so `materialize()` can use it too. Opens the database on first use.
 */
export function indexedDbStorage(options: IndexedDbStorageOptions = {}): CheckpointStorage {
  const databaseName = options.databaseName ?? "durable-client"
  const storeName = options.storeName ?? "checkpoints"
  for (const [name, value] of [["databaseName", databaseName], ["storeName", storeName]] as const) {
    if (typeof value !== "string" || value === "") throw invalidArgument("(indexedDbStorage)", `${name} must be a non-empty string`)
  }
  let opening: Promise<IDBDatabase> | undefined
  const database = (): Promise<IDBDatabase> =>
    (opening ??= new Promise<IDBDatabase>((resolve, reject) => {
      const factory = globalThis.indexedDB
      if (!factory) throw invalidArgument("(indexedDbStorage)", "IndexedDB is not available in this runtime: use keyValueStorage or memoryStorage")
      const request = factory.open(databaseName, 1)
      request.onupgradeneeded = () => {
        if (!request.result.objectStoreNames.contains(storeName)) request.result.createObjectStore(storeName)
      }
      request.onsuccess = () => resolve(request.result)
      request.onerror = () => reject(request.error)
    }).catch((error: unknown) => {
      opening = undefined // a later call tries again
      throw error
    }))

  const run = async <T>(mode: IDBTransactionMode, act: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> => {
    const db = await database()
    return new Promise<T>((resolve, reject) => {
      const transaction = db.transaction(storeName, mode)
      const request = act(transaction.objectStore(storeName))
      // Resolve when the transaction commits, so a save is durable when its promise settles.
      transaction.oncomplete = () => resolve(request.result)
      transaction.onerror = () => reject(transaction.error ?? request.error)
      transaction.onabort = () => reject(transaction.error ?? new Error("IndexedDB transaction aborted"))
    })
  }

  return {
    load: async (key) => {
      const value: unknown = await run("readonly", (store) => store.get(key))
      const checkpoint = value as Partial<Checkpoint> | undefined
      return checkpoint && typeof checkpoint.offset === "string" && typeof checkpoint.state === "object" ? (checkpoint as Checkpoint) : undefined
    },
    save: async (key, checkpoint) => {
      await run("readwrite", (store) => store.put(checkpoint, key))
    },
    clear: async (key) => {
      await run("readwrite", (store) => store.delete(key))
    },
  }
}
