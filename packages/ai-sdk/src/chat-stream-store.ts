/**
 * Where a page remembers which durable stream holds a chat's latest
 * generation, so that `reconnectToStream({ chatId })` can find it after a
 * reload. The record is written once per generation, when the chat route
 * has answered.
 */

/** What is remembered per chat. */
export interface ChatStreamRecord {
  /** The durable stream of the chat's latest generation. */
  streamUrl: string
}

/**
 * Maps a chat id to its latest generation's stream. Methods may be async, so
 * a store can ask the app's server (for a second device) instead of the
 * browser. Errors thrown here fail the send or the reconnect with
 * CALLBACK_FAILED.
 */
export interface ChatStreamStore {
  get(chatId: string): ChatStreamRecord | undefined | Promise<ChatStreamRecord | undefined>
  set(chatId: string, record: ChatStreamRecord): void | Promise<void>
}

/** The part of the Web Storage API the store needs (`localStorage`, `sessionStorage`, or a stand-in). */
export interface KeyValueStorage {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
}

/** Defaults of the chat stream stores (`localStorageChatStreamStore`). */
export const CHAT_STREAM_STORE_DEFAULTS = Object.freeze({
  /** Key of a chat's record: this prefix and the chat id. */
  prefix: "durable-client:ai-sdk:chat:",
})

/** Records held in memory: they survive a reconnect in the same page, not a reload. */
export function memoryChatStreamStore(): ChatStreamStore {
  const records = new Map<string, ChatStreamRecord>()
  return {
    get: (chatId) => records.get(chatId),
    set: (chatId, record) => {
      records.set(chatId, { streamUrl: record.streamUrl })
    },
  }
}

/**
 * Records in Web Storage (by default `localStorage`, shared by the windows of
 * one origin), under `prefix + chatId` as JSON. Storage that throws (private
 * modes, a full quota, sandboxed frames) is treated as empty, so a chat still
 * works; it just cannot be resumed after a reload.
 */
export function localStorageChatStreamStore(
  options: { storage?: KeyValueStorage; prefix?: string } = {}
): ChatStreamStore {
  const prefix = options.prefix ?? CHAT_STREAM_STORE_DEFAULTS.prefix
  // Looked up per call: a test or polyfill may install localStorage later.
  const storage = (): KeyValueStorage | undefined => options.storage ?? browserStorage()
  return {
    get(chatId) {
      try {
        const raw = storage()?.getItem(prefix + chatId)
        return raw == null ? undefined : parseChatStreamRecord(JSON.parse(raw))
      } catch {
        return undefined
      }
    },
    set(chatId, record) {
      try {
        storage()?.setItem(prefix + chatId, JSON.stringify({ streamUrl: record.streamUrl }))
      } catch {
        // Resume after a reload is lost; the chat itself goes on.
      }
    },
  }
}

/** `localStorage` where the runtime has a usable one, else memory (servers, React Native, workers). */
export function defaultChatStreamStore(): ChatStreamStore {
  return browserStorage() ? localStorageChatStreamStore() : memoryChatStreamStore()
}

/** A stored record, checked: anything else (another app's key, an old format) reads as none. */
export function parseChatStreamRecord(value: unknown): ChatStreamRecord | undefined {
  if (typeof value !== "object" || value === null) return undefined
  const streamUrl = (value as { streamUrl?: unknown }).streamUrl
  return typeof streamUrl === "string" && streamUrl !== "" ? { streamUrl } : undefined
}

function browserStorage(): KeyValueStorage | undefined {
  try {
    const storage = (globalThis as { localStorage?: KeyValueStorage }).localStorage
    return storage && typeof storage.getItem === "function" ? storage : undefined
  } catch {
    // Reading localStorage itself throws in sandboxed frames.
    return undefined
  }
}
