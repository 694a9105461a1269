import { describeValue, invalidArgument } from "@durable-client/bytes/internal"
import { OutboxJournal } from "./outbox-journal"
import { OUTBOX_JOURNAL } from "./outbox-journal-key"

/**
 * A string key-value store, sync or async: a file-backed map in Node, a
 * database table, anything with these methods. `keyValueOutbox(store)`
 * makes a producer's outbox of it.
 */
export interface KeyValueStore {
  get(key: string): Promise<string | undefined> | string | undefined
  set(key: string, value: string): Promise<void> | void
  delete(key: string): Promise<void> | void
  /** Lists the keys held (for inspection; the producer does not need it). */
  keys?(): Promise<string[]> | string[]
}

/**
 * Where an `IdempotentProducer` keeps every message it accepted and has not
 * seen stored, with the (epoch, seq) of the batches on the wire, so a
 * producer created after a reload or a crash (same id, same outbox) resends
 * them exactly once. Made by `keyValueOutbox(store)`,
 * `webStorageOutbox(localStorage | AsyncStorage | indexedDbKeyValue())` or
 * `createMemoryOutbox()`.
 */
export interface ProducerOutbox extends KeyValueStore {
  /** The code that keeps the outbox in step with a producer: it ships with the adapters, not with every producer. */
  readonly [OUTBOX_JOURNAL]: unknown
}

/** A producer's outbox in any string key-value store (sync or async), e.g. a file-backed map in Node. */
export function keyValueOutbox(store: KeyValueStore): ProducerOutbox {
  const candidate = store as Partial<KeyValueStore> | null
  if (
    typeof candidate !== "object" ||
    candidate === null ||
    typeof candidate.get !== "function" ||
    typeof candidate.set !== "function" ||
    typeof candidate.delete !== "function"
  ) {
    throw invalidArgument("(keyValueOutbox)", `the store must have get, set and delete functions (got ${describeValue(store)})`)
  }
  const keys = store.keys
  return {
    get: (key) => store.get(key),
    set: (key, value) => store.set(key, value),
    delete: (key) => store.delete(key),
    ...(keys ? { keys: () => keys.call(store) } : {}),
    [OUTBOX_JOURNAL]: OutboxJournal,
  }
}

/** An outbox in memory: survives a producer, not the process (tests, a tab that outlives its producers). */
export function createMemoryOutbox(): Omit<ProducerOutbox, "keys"> & { keys(): string[] } {
  const entries = new Map<string, string>()
  return {
    get: (key) => entries.get(key),
    set: (key, value) => void entries.set(key, value),
    delete: (key) => void entries.delete(key),
    keys: () => [...entries.keys()],
    [OUTBOX_JOURNAL]: OutboxJournal,
  }
}

/** `localStorage`/`sessionStorage` (sync) or React Native's `AsyncStorage` (async): what `webStorageOutbox` needs. */
export interface WebStorageLike {
  getItem(key: string): string | null | Promise<string | null>
  setItem(key: string, value: string): void | Promise<void>
  removeItem(key: string): void | Promise<void>
  /** AsyncStorage. */
  getAllKeys?(): Promise<readonly string[]>
  /** Web Storage. */
  key?(index: number): string | null
  readonly length?: number
}

/** An outbox over Web Storage or AsyncStorage; its keys start with `prefix`. */
export function webStorageOutbox(storage: WebStorageLike, prefix = "durable-client:"): ProducerOutbox {
  return {
    get: async (key) => (await storage.getItem(prefix + key)) ?? undefined,
    set: async (key, value) => storage.setItem(prefix + key, value),
    delete: async (key) => storage.removeItem(prefix + key),
    keys: async () => {
      let all: readonly string[] = []
      if (storage.getAllKeys) all = await storage.getAllKeys()
      else if (storage.key && storage.length !== undefined) {
        const found: string[] = []
        for (let i = 0; i < storage.length; i++) found.push(storage.key(i) ?? "")
        all = found
      }
      return all.filter((key) => key.startsWith(prefix)).map((key) => key.slice(prefix.length))
    },
    [OUTBOX_JOURNAL]: OutboxJournal,
  }
}
