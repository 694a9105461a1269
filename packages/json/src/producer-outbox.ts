/**
 * Where an `IdempotentProducer` keeps the batches it has sent and not yet
 * seen acknowledged, so a producer created after a crash (same id, same
 * outbox) resends them under their own (epoch, seq) and the server's dedupe
 * makes that exactly once. Any async (or sync) key-value store fits:
 * `createMemoryOutbox()`, `webStorageOutbox(localStorage)`, or an
 * AsyncStorage-like object through `webStorageOutbox` too.
 */
export interface ProducerOutbox {
  get(key: string): Promise<string | undefined> | string | undefined
  set(key: string, value: string): Promise<void> | void
  delete(key: string): Promise<void> | void
  /** Lists the keys held (for inspection; the producer does not need it). */
  keys?(): Promise<string[]> | string[]
}

/** An outbox in memory: survives a producer, not the process (tests, a tab that outlives its producers). */
export function createMemoryOutbox(): ProducerOutbox & { keys(): string[] } {
  const entries = new Map<string, string>()
  return {
    get: (key) => entries.get(key),
    set: (key, value) => void entries.set(key, value),
    delete: (key) => void entries.delete(key),
    keys: () => [...entries.keys()],
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
  }
}
