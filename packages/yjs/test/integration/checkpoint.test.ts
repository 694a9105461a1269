// Fast reopen: a document reopened from its checkpoint reads only what the
// stream gained since, not the whole history.
import { useReferenceServer } from "@durable-client/testing/vitest"
import { describe, expect, it } from "vitest"
import { Doc } from "yjs"
import { keyValueStorage, memoryStorage } from "../../src/index"
import { createNetwork } from "../support/network"
import { openProvider, settle, useProvidersDestroyedAfterEach } from "../support/providers"

/** Types `count` characters, one update each. */
function type(doc: Doc, count: number, char = "x"): void {
  const text = doc.getText("text")
  for (let i = 0; i < count; i++) text.insert(text.length, char)
}

describe("checkpoints", () => {
  const server = useReferenceServer()
  useProvidersDestroyedAfterEach()

  it("a reopened document reads only the suffix after its checkpoint", async () => {
    const url = server.streamUrl()
    const storage = memoryStorage()
    const writer = openProvider(url, { storage, storageKey: "doc" })
    await writer.waitForSynced()
    type(writer.doc, 500)
    await settle([writer])
    await writer.checkpoint()
    const checkpointOffset = writer.offset
    await writer.destroy()

    // Someone else goes on writing while the document is closed.
    const other = openProvider(url)
    await other.waitForSynced()
    type(other.doc, 5, "y")
    await settle([other])

    // Cold: the whole history.
    const coldNet = createNetwork()
    const cold = openProvider(url, { fetch: coldNet.fetch, live: "long-poll" })
    await cold.waitForSynced()
    // Warm: the checkpoint, then the suffix only.
    const warmNet = createNetwork()
    const warm = openProvider(url, { fetch: warmNet.fetch, live: "long-poll", storage, storageKey: "doc" })
    await warm.waitForSynced()

    const expected = "x".repeat(500) + "yyyyy"
    expect(cold.doc.getText("text").toString()).toBe(expected)
    expect(warm.doc.getText("text").toString()).toBe(expected)
    const firstRead = warmNet.log.requests.find((request) => request.startsWith("GET"))!
    expect(new URL(firstRead.slice(4)).searchParams.get("offset")).toBe(checkpointOffset)
    // 5 updates against 505: well under a tenth of the bytes. An update's size
    // depends on the random client id's varint length (about 15 to 27 bytes
    // here), so the cold bound only says "every one of the 500 updates".
    expect(coldNet.log.bytesRead).toBeGreaterThan(500 * 10)
    expect(warmNet.log.bytesRead).toBeLessThan(coldNet.log.bytesRead / 10)
  })

  it("checkpoints through keyValueStorage (a localStorage-like string store) after catching up", async () => {
    const url = server.streamUrl()
    const items = new Map<string, string>()
    const backend = {
      getItem: (key: string) => items.get(key) ?? null,
      setItem: (key: string, value: string) => void items.set(key, value),
      removeItem: (key: string) => void items.delete(key),
    }
    const first = openProvider(url, { storage: keyValueStorage(backend), checkpointIntervalMs: 0 })
    await first.waitForSynced()
    first.doc.getText("text").insert(0, "kept")
    await first.flush()
    await first.destroy()
    expect([...items.keys()].some((key) => key.endsWith(url))).toBe(true)

    // Reopened with no network at all: the text is there from the checkpoint alone.
    const net = createNetwork()
    net.offline()
    const reopened = openProvider(url, { storage: keyValueStorage(backend), fetch: net.fetch })
    await new Promise<void>((resolve) => reopened.doc.once("update", () => resolve()))
    expect(reopened.doc.getText("text").toString()).toBe("kept")
  })

  it("an unreadable checkpoint is a cold open, reported as an error event", async () => {
    const url = server.streamUrl()
    const seed = openProvider(url)
    await seed.waitForSynced()
    seed.doc.getText("text").insert(0, "from the stream")
    await settle([seed])
    const broken = {
      load: () => Promise.reject(new Error("disk on fire")),
      save: () => undefined,
      clear: () => undefined,
    }
    const errors: Error[] = []
    const provider = openProvider(url, { storage: broken, connect: false })
    provider.on("error", (error) => errors.push(error))
    provider.connect()
    await provider.waitForSynced()
    expect(provider.doc.getText("text").toString()).toBe("from the stream")
    expect(errors.map((error) => error.message)).toEqual(["disk on fire"])
  })
})
