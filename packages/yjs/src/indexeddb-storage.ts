import { type Checkpoint, type CheckpointStorage } from "@durable-client/state"
import { openIndexedDbStore } from "@durable-client/state/internal"

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
 * so `materialize()` can use it too. Opens the database on first use (the
 * same way as the JSON layer's `indexedDbKeyValue`).
 */
export function indexedDbStorage(options: IndexedDbStorageOptions = {}): CheckpointStorage {
  const run = openIndexedDbStore("(indexedDbStorage)", options, "checkpoints", "keyValueStorage or memoryStorage")
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
