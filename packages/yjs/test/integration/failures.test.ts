// Failures a reconnect cannot fix stop the provider, typed and reported;
// ones it can fix are retried.
import { useReferenceServer } from "@durable-client/testing/vitest"
import { describe, expect, it } from "vitest"
import { DurableStream, type DurableStreamError, type ProviderStatus } from "../../src/index"
import { openProvider, settle, useProvidersDestroyedAfterEach } from "../support/providers"

describe("failures", () => {
  const server = useReferenceServer()
  useProvidersDestroyedAfterEach()

  it("a stream that holds something else is CONFLICT: the provider stops, reads nothing, says why", async () => {
    const url = server.streamUrl()
    await DurableStream.create({ url, contentType: "application/json" })
    const provider = openProvider(url)
    const errors: Error[] = []
    provider.on("error", (error) => errors.push(error))
    const failure = (await provider.waitForSynced().catch((error: unknown) => error)) as DurableStreamError
    expect(failure.code).toBe("CONFLICT")
    expect(failure.message).toContain("not Yjs frames")
    expect(provider.error).toBe(failure)
    expect(provider.status).toBe("disconnected")
    expect(errors).toEqual([failure])
    await expect(provider.flush()).rejects.toBe(failure) // nothing can be stored any more
  })

  it("create: false on a missing stream is NOT_FOUND, and nothing is created", async () => {
    const url = server.streamUrl()
    const provider = openProvider(url, { create: false })
    await expect(provider.waitForSynced()).rejects.toMatchObject({ code: "NOT_FOUND" })
    await expect(DurableStream.head({ url })).rejects.toMatchObject({ code: "NOT_FOUND" })
  })

  it("a stream closed under the provider ends it with STREAM_CLOSED; the text read so far stays", async () => {
    const url = server.streamUrl()
    const provider = openProvider(url)
    await provider.waitForSynced()
    provider.doc.getText("text").insert(0, "before the close")
    await settle([provider])
    const statuses: ProviderStatus[] = []
    provider.on("status", ({ status }) => statuses.push(status))
    const stopped = new Promise<Error>((resolve) => provider.once("error", resolve))
    await new DurableStream({ url }).close()
    expect(await stopped).toMatchObject({ code: "STREAM_CLOSED" })
    expect(statuses.at(-1)).toBe("disconnected")
    expect(provider.doc.getText("text").toString()).toBe("before the close")
  })

  it("5xx answers are retried: the provider syncs once the server recovers", async () => {
    const url = server.streamUrl()
    await DurableStream.create({ url, contentType: "application/x-yjs-frames" })
    server.injectFault(url, { status: 503, count: 3 })
    const provider = openProvider(url)
    await provider.waitForSynced()
    provider.doc.getText("text").insert(0, "after the outage")
    await settle([provider])
    expect(provider.error).toBeUndefined()
  })
})
