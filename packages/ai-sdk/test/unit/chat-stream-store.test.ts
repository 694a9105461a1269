import { afterEach, describe, expect, it, vi } from "vitest"
import {
  CHAT_STREAM_STORE_DEFAULTS,
  defaultChatStreamStore,
  localStorageChatStreamStore,
  memoryChatStreamStore,
  type KeyValueStorage,
} from "../../src"

function fakeStorage(): KeyValueStorage & { data: Map<string, string> } {
  const data = new Map<string, string>()
  return { data, getItem: (key) => data.get(key) ?? null, setItem: (key, value) => void data.set(key, value) }
}

afterEach(() => vi.unstubAllGlobals())

describe("memoryChatStreamStore", () => {
  it("maps a chat id to its latest generation's stream", () => {
    const store = memoryChatStreamStore()
    expect(store.get("c")).toBeUndefined()
    store.set("c", { streamUrl: "http://s/1" })
    store.set("c", { streamUrl: "http://s/2" })
    expect(store.get("c")).toEqual({ streamUrl: "http://s/2" })
    expect(store.get("other")).toBeUndefined()
  })
})

describe("localStorageChatStreamStore", () => {
  it("keeps one JSON record per chat under the documented prefix", () => {
    const storage = fakeStorage()
    const store = localStorageChatStreamStore({ storage })
    store.set("chat 1", { streamUrl: "http://s/1" })
    expect(storage.data.get(`${CHAT_STREAM_STORE_DEFAULTS.prefix}chat 1`)).toBe('{"streamUrl":"http://s/1"}')
    expect(localStorageChatStreamStore({ storage }).get("chat 1")).toEqual({ streamUrl: "http://s/1" })
  })

  it("takes another prefix", () => {
    const storage = fakeStorage()
    localStorageChatStreamStore({ storage, prefix: "app:" }).set("c", { streamUrl: "http://s/1" })
    expect([...storage.data.keys()]).toEqual(["app:c"])
  })

  it("reads a damaged or foreign record as none", () => {
    const storage = fakeStorage()
    const store = localStorageChatStreamStore({ storage })
    storage.data.set(`${CHAT_STREAM_STORE_DEFAULTS.prefix}a`, "{not json")
    storage.data.set(`${CHAT_STREAM_STORE_DEFAULTS.prefix}b`, '{"url":"http://s/1"}')
    expect(store.get("a")).toBeUndefined()
    expect(store.get("b")).toBeUndefined()
  })

  it("treats storage that throws (private mode, full quota) as empty instead of failing the chat", () => {
    const storage: KeyValueStorage = {
      getItem: () => {
        throw new Error("SecurityError")
      },
      setItem: () => {
        throw new Error("QuotaExceededError")
      },
    }
    const store = localStorageChatStreamStore({ storage })
    expect(() => store.set("c", { streamUrl: "http://s/1" })).not.toThrow()
    expect(store.get("c")).toBeUndefined()
  })

  it("uses the global localStorage, looked up when used", () => {
    const store = localStorageChatStreamStore()
    const storage = fakeStorage()
    vi.stubGlobal("localStorage", storage)
    store.set("c", { streamUrl: "http://s/1" })
    expect(storage.data.size).toBe(1)
  })
})

describe("defaultChatStreamStore", () => {
  it("is localStorage where there is one (shared by the windows of an origin)", () => {
    const storage = fakeStorage()
    vi.stubGlobal("localStorage", storage)
    defaultChatStreamStore().set("c", { streamUrl: "http://s/1" })
    expect(storage.data.size).toBe(1)
  })

  it("is memory where there is none (servers, React Native)", () => {
    expect((globalThis as { localStorage?: unknown }).localStorage).toBeUndefined()
    const store = defaultChatStreamStore()
    store.set("c", { streamUrl: "http://s/1" })
    expect(store.get("c")).toEqual({ streamUrl: "http://s/1" })
  })
})
