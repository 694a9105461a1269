// A checkpoint that no longer matches its stream (deleted and created again,
// history shorter than the saved offset) must not leave the document stuck.
import { useReferenceServer } from "@durable-client/testing/vitest"
import { describe, expect, it } from "vitest"
import { DurableStream, memoryStorage } from "../../src/index"
import { openProvider, settle, useProvidersDestroyedAfterEach } from "../support/providers"

describe("a checkpoint from an earlier life of the stream", () => {
  const server = useReferenceServer()
  useProvidersDestroyedAfterEach()

  it("re-reads the new stream from the start and merges, sending its own content again", async () => {
    const url = server.streamUrl()
    const storage = memoryStorage()
    const first = openProvider(url, { storage })
    await first.waitForSynced()
    const text = first.doc.getText("text")
    for (let i = 0; i < 50; i++) text.insert(text.length, "o")
    await settle([first])
    await first.destroy()

    await DurableStream.delete({ url })
    const other = openProvider(url)
    await other.waitForSynced()
    other.doc.getText("text").insert(0, "new ")
    await settle([other])

    const errors: Error[] = []
    const reopened = openProvider(url, { storage, connect: false })
    reopened.on("error", (error) => errors.push(error))
    reopened.connect()
    await reopened.waitForSynced()
    await settle([reopened, other])
    // Both hold both: the new stream's text, and the old life's text the reopened one sent again.
    expect(reopened.doc.getText("text").toString()).toBe(other.doc.getText("text").toString())
    expect(other.doc.getText("text").toString()).toContain("new ")
    expect(other.doc.getText("text").toString()).toContain("o".repeat(50))
    // It was told why it re-read everything.
    expect(errors.map((error) => (error as { code?: string }).code)).toEqual(["PROTOCOL_VIOLATION"])
    expect(reopened.error).toBeUndefined()
  })
})
