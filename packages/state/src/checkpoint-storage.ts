import type { StateSnapshot } from "./materialized-state"

/** What a materializer saves: a state and the offset right after the last message in it. */
export interface Checkpoint {
  offset: string
  state: StateSnapshot
}

/**
 * Where checkpoints live. Methods may be sync or async, so localStorage,
 * React Native's AsyncStorage, IndexedDB wrappers or a file all fit.
 */
export interface CheckpointStorage {
  load(key: string): Checkpoint | undefined | Promise<Checkpoint | undefined>
  save(key: string, checkpoint: Checkpoint): void | Promise<void>
  clear(key: string): void | Promise<void>
}

/** In-memory checkpoints: survive a materializer restart, not a process restart. */
export function memoryStorage(): CheckpointStorage {
  const saved = new Map<string, string>()
  return {
    // Stored as JSON so a checkpoint never aliases live state.
    load: (key) => {
      const text = saved.get(key)
      return text === undefined ? undefined : (JSON.parse(text) as Checkpoint)
    },
    save: (key, checkpoint) => {
      saved.set(key, JSON.stringify(checkpoint))
    },
    clear: (key) => {
      saved.delete(key)
    },
  }
}

/** The string key/value API shared by localStorage, sessionStorage and AsyncStorage. */
export interface KeyValueBackend {
  getItem(key: string): string | null | undefined | Promise<string | null | undefined>
  setItem(key: string, value: string): void | Promise<void>
  removeItem(key: string): void | Promise<void>
}

/**
 * Checkpoints in any string key/value store: `keyValueStorage(localStorage)`
 * in browsers, `keyValueStorage(AsyncStorage)` in React Native. A value that
 * is missing or unreadable counts as no checkpoint (the state is rebuilt).
 */
export function keyValueStorage(backend: KeyValueBackend, prefix = "durable-client:"): CheckpointStorage {
  return {
    load: async (key) => {
      const text = await backend.getItem(prefix + key)
      if (typeof text !== "string") return undefined
      try {
        const parsed: unknown = JSON.parse(text)
        return isCheckpoint(parsed) ? parsed : undefined
      } catch {
        return undefined
      }
    },
    save: async (key, checkpoint) => {
      await backend.setItem(prefix + key, JSON.stringify(checkpoint))
    },
    clear: async (key) => {
      await backend.removeItem(prefix + key)
    },
  }
}

/** Shape check for a checkpoint: a string offset and a state `MaterializedState.restore` accepts. */
export function isCheckpoint(value: unknown): value is Checkpoint {
  if (typeof value !== "object" || value === null) return false
  const { offset, state } = value as Partial<Checkpoint>
  return typeof offset === "string" && isStateSnapshot(state)
}

/** Shape check for a stored state, so a damaged one is "no checkpoint" rather than a restore failure. */
function isStateSnapshot(state: unknown): state is StateSnapshot {
  if (typeof state !== "object" || state === null) return false
  const { version, tables, pendingSnapshot } = state as Partial<StateSnapshot>
  if (version !== 1 || typeof tables !== "object" || tables === null || Array.isArray(tables)) return false
  const isRow = (row: unknown): boolean => Array.isArray(row) && row.length === 2 && typeof row[0] === "string"
  if (!Object.values(tables).every((rows) => Array.isArray(rows) && rows.every(isRow))) return false
  return pendingSnapshot === undefined || Array.isArray(pendingSnapshot)
}
