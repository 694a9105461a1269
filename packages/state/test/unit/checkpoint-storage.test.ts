import { describe, expect, it } from "vitest"
import {
  MaterializedState,
  keyValueStorage,
  materialize,
  memoryStorage,
  type Checkpoint,
  type CheckpointStorage,
  type KeyValueBackend,
} from "../../src/index"
import { FAKE_URL, pagedReadFetch } from "../support/fake-http"
import { control, ins } from "../support/messages"

function sampleCheckpoint(): Checkpoint {
  const state = new MaterializedState()
  state.apply([ins("user", "1", { name: "Ada" }), ins("team", "x", [1, 2]), control("snapshot-start"), ins("user", "2", null)])
  return { offset: "0000_17", state: state.toJSON() }
}

/** localStorage-like: synchronous, string values, null when missing. */
function syncBackend(): KeyValueBackend & { items: Map<string, string> } {
  const items = new Map<string, string>()
  return {
    items,
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => void items.set(key, value),
    removeItem: (key) => void items.delete(key),
  }
}

/** AsyncStorage-like: every call resolves on a later macrotask. */
function asyncBackend(): KeyValueBackend & { items: Map<string, string>; calls: string[] } {
  const items = new Map<string, string>()
  const calls: string[] = []
  const later = <T,>(run: () => T): Promise<T> => new Promise((resolve) => setImmediate(() => resolve(run())))
  return {
    items,
    calls,
    getItem: (key) => {
      calls.push(`get ${key}`)
      return later(() => items.get(key) ?? null)
    },
    setItem: (key, value) => {
      calls.push(`set ${key}`)
      return later(() => void items.set(key, value))
    },
    removeItem: (key) => {
      calls.push(`remove ${key}`)
      return later(() => void items.delete(key))
    },
  }
}

async function roundTrip(storage: CheckpointStorage): Promise<void> {
  expect(await storage.load("stream-a")).toBeUndefined()
  const checkpoint = sampleCheckpoint()
  await storage.save("stream-a", checkpoint)
  const loaded = await storage.load("stream-a")
  expect(loaded).toEqual(checkpoint)
  expect(await storage.load("stream-b")).toBeUndefined()

  // What was loaded restores into a working state, pending snapshot included.
  const state = new MaterializedState()
  state.restore(loaded!.state)
  expect(state.get("user", "1")).toEqual({ name: "Ada" })
  expect(state.inSnapshot).toBe(true)

  await storage.clear("stream-a")
  expect(await storage.load("stream-a")).toBeUndefined()
}

describe("memoryStorage", () => {
  it("saves, loads and clears checkpoints per key", async () => {
    await roundTrip(memoryStorage())
  })

  it("keeps a copy: later changes to the saved object or the loaded one do not leak", async () => {
    const storage = memoryStorage()
    const checkpoint = sampleCheckpoint()
    await storage.save("k", checkpoint)
    checkpoint.offset = "changed"
    checkpoint.state.tables.user!.push(["3", "sneaky"])
    const first = (await storage.load("k"))!
    expect(first.offset).toBe("0000_17")
    expect(first.state.tables.user).toHaveLength(1)
    first.state.tables.user!.length = 0
    expect((await storage.load("k"))!.state.tables.user).toHaveLength(1)
  })

  it("separate memoryStorage instances do not share checkpoints", async () => {
    const a = memoryStorage()
    await a.save("k", sampleCheckpoint())
    expect(await memoryStorage().load("k")).toBeUndefined()
  })
})

describe("keyValueStorage", () => {
  it("works over a synchronous Map-backed (localStorage-like) backend", async () => {
    await roundTrip(keyValueStorage(syncBackend()))
  })

  it("works over an asynchronous (AsyncStorage-like) backend", async () => {
    const backend = asyncBackend()
    await roundTrip(keyValueStorage(backend))
    expect(backend.calls).toContain("set durable-client:stream-a")
    expect(backend.calls).toContain("remove durable-client:stream-a")
  })

  it("stores JSON text under the prefixed key, with a configurable prefix", async () => {
    const backend = syncBackend()
    await keyValueStorage(backend).save("s", sampleCheckpoint())
    await keyValueStorage(backend, "app/").save("s", sampleCheckpoint())
    expect([...backend.items.keys()].sort()).toEqual(["app/s", "durable-client:s"])
    expect(JSON.parse(backend.items.get("app/s")!)).toEqual(sampleCheckpoint())
    await keyValueStorage(backend, "app/").clear("s")
    expect([...backend.items.keys()]).toEqual(["durable-client:s"])
  })

  it.each([
    ["not JSON", "{oops"],
    ["JSON null", "null"],
    ["a number", "42"],
    ["a string", '"0000_1"'],
    ["no offset", JSON.stringify({ state: { version: 1, tables: {} } })],
    ["a numeric offset", JSON.stringify({ offset: 5, state: { version: 1, tables: {} } })],
    ["no state", JSON.stringify({ offset: "0000_1" })],
    ["an unknown state version", JSON.stringify({ offset: "0000_1", state: { version: 2, tables: {} } })],
    ["a state without tables", JSON.stringify({ offset: "0000_1", state: { version: 1 } })],
    ["tables that are not lists of rows", JSON.stringify({ offset: "0000_1", state: { version: 1, tables: { user: "x" } } })],
    ["a row that is not a [key, value] pair", JSON.stringify({ offset: "0000_1", state: { version: 1, tables: { user: [[1, 2]] } } })],
    ["a pending snapshot that is not a list", JSON.stringify({ offset: "0", state: { version: 1, tables: {}, pendingSnapshot: 3 } })],
  ])("treats %s as no checkpoint", async (_, text) => {
    const backend = syncBackend()
    backend.items.set("durable-client:s", text)
    expect(await keyValueStorage(backend).load("s")).toBeUndefined()
    const slow = asyncBackend()
    slow.items.set("durable-client:s", text)
    expect(await keyValueStorage(slow).load("s")).toBeUndefined()
  })

  it("a materializer over such garbage starts from scratch instead of failing", async () => {
    const backend = syncBackend()
    backend.items.set(`durable-client:${FAKE_URL}`, JSON.stringify({ offset: "00000001", state: { version: 1, tables: { user: "x" } } }))
    const m = materialize({ url: FAKE_URL, fetch: pagedReadFetch([{ items: [ins("user", "1", 1)] }]), live: false, storage: keyValueStorage(backend) })
    await m.done
    expect(m.startOffset).toBe("-1")
    expect(m.state.get("user", "1")).toBe(1)
  })

  it("treats a backend answering undefined as no checkpoint", async () => {
    const backend: KeyValueBackend = { getItem: () => undefined, setItem: () => undefined, removeItem: () => undefined }
    expect(await keyValueStorage(backend).load("s")).toBeUndefined()
  })

  it("passes backend failures on instead of hiding them", async () => {
    const failing: KeyValueBackend = {
      getItem: () => Promise.reject(new Error("disk gone")),
      setItem: () => {
        throw new Error("quota exceeded")
      },
      removeItem: () => undefined,
    }
    const storage = keyValueStorage(failing)
    await expect(storage.load("s")).rejects.toThrow("disk gone")
    await expect(storage.save("s", sampleCheckpoint())).rejects.toThrow("quota exceeded")
  })
})
