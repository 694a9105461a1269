// The reader between a generation's durable stream and useChat, on a
// scripted fetch: when a batch counts as delivered (the resume offset), and
// how failures end the chunk stream.
import { JsonStream } from "@durable-client/json"
import type { UIMessageChunk } from "ai"
import { describe, expect, it } from "vitest"
import { openChunkReader, type ChunkReaderOptions } from "../../src/chunk-reader"

const URL_ = "http://streams.test/v1/stream/answer"

/**
 * Answers catch-up reads by offset: `[items, nextOffset, closed]`; an offset
 * with no entry fails like a dead network.
 */
function scriptedFetch(batches: Record<string, [unknown[], string, boolean]>, requests: string[] = []) {
  return async (input: string): Promise<Response> => {
    const offset = new URL(input).searchParams.get("offset") ?? "-1"
    requests.push(offset)
    const batch = batches[offset]
    if (!batch) throw new TypeError("fetch failed")
    const [items, next, closed] = batch
    return new Response(JSON.stringify(items), {
      headers: {
        "content-type": "application/json",
        "Stream-Next-Offset": next,
        // Catch-up goes on until the closing batch, as if more were always there.
        ...(closed ? { "Stream-Up-To-Date": "true", "Stream-Closed": "true" } : {}),
      },
    })
  }
}

function reader(fetch: ReturnType<typeof scriptedFetch>, overrides: Partial<ChunkReaderOptions> = {}) {
  const delivered: string[] = []
  const ends: string[] = []
  const stream = new JsonStream({ url: URL_, fetch, retry: { maxRetries: 0 } })
  const opened = openChunkReader({
    stream,
    offset: "-1",
    live: false,
    signal: undefined,
    headers: undefined,
    onDelivered: (batch) => delivered.push(`${batch.offset}${batch.closed ? " closed" : ""}`),
    onEnd: (state) => ends.push(state),
    ...overrides,
  })
  return { opened, delivered, ends }
}

const chunk = (delta: string): UIMessageChunk => ({ type: "text-delta", id: "t", delta })

describe("openChunkReader", () => {
  it("counts a batch as delivered only once its last chunk has been taken", async () => {
    const { opened, delivered, ends } = reader(
      scriptedFetch({ "-1": [[chunk("a"), chunk("b")], "0002", false], "0002": [[chunk("c")], "0003", true] })
    )
    const chunks = (await opened).getReader()
    expect(delivered).toEqual([])
    expect((await chunks.read()).value).toEqual(chunk("a"))
    expect(delivered).toEqual([])
    expect((await chunks.read()).value).toEqual(chunk("b"))
    // "b" was handed out, but the reader has not asked for more: it may still be applying it.
    expect(delivered).toEqual([])
    expect((await chunks.read()).value).toEqual(chunk("c"))
    expect(delivered).toEqual(["0002"])
    expect(await chunks.read()).toEqual({ done: true, value: undefined })
    expect(delivered).toEqual(["0002", "0003 closed"])
    expect(ends).toEqual(["closed"])
  })

  it("reads the first batch before it returns, so a missing stream fails the call itself", async () => {
    const requests: string[] = []
    const { opened, ends } = reader(
      Object.assign(async (input: string) => {
        requests.push(input)
        return new Response("no such stream", { status: 404 })
      }) as never
    )
    await expect(opened).rejects.toMatchObject({ code: "NOT_FOUND" })
    expect(requests).toHaveLength(1)
    expect(ends).toEqual(["failed"])
  })

  it("ends with a TypeError that useChat takes for a disconnect when the network stays away, the offset kept", async () => {
    const { opened, delivered, ends } = reader(scriptedFetch({ "-1": [[chunk("a")], "0001", false] }))
    const chunks = (await opened).getReader()
    await chunks.read()
    const failure = await chunks.read().then(
      () => expect.fail("the read should fail"),
      (error: unknown) => error as TypeError
    )
    expect(failure).toBeInstanceOf(TypeError)
    expect(failure.message).toMatch(/^network error while reading http:\/\/streams\.test/)
    expect(failure.cause).toMatchObject({ code: "NETWORK" })
    expect(delivered).toEqual(["0001"])
    expect(ends).toEqual(["disconnected"])
  })

  it("resumes from a saved offset with the chunks after it only", async () => {
    const requests: string[] = []
    const { opened } = reader(
      scriptedFetch({ "-1": [[chunk("a")], "0001", false], "0001": [[chunk("b")], "0002", true] }, requests),
      { offset: "0001" }
    )
    const all: UIMessageChunk[] = []
    const chunks = (await opened).getReader()
    for (let next = await chunks.read(); !next.done; next = await chunks.read()) all.push(next.value)
    expect(all).toEqual([chunk("b")])
    expect(requests).toEqual(["0001"])
  })

  it("fails with PARSE_ERROR naming the offset when the stream holds something that is not a chunk", async () => {
    const { opened } = reader(scriptedFetch({ "-1": [[chunk("a")], "0001", false], "0001": [[{ token: "x" }], "0002", true] }))
    const chunks = (await opened).getReader()
    await chunks.read()
    await expect(chunks.read()).rejects.toMatchObject({ code: "PARSE_ERROR", offset: "0001" })
  })

  it("stops on abort with the signal's reason", async () => {
    const abort = new AbortController()
    const { opened, ends } = reader(scriptedFetch({ "-1": [[chunk("a")], "0001", false] }), { signal: abort.signal })
    const chunks = (await opened).getReader()
    await chunks.read()
    abort.abort("user stopped")
    await expect(chunks.read()).rejects.toBe("user stopped")
    expect(ends).toEqual(["stopped"])
  })

  it("stops reading when the consumer cancels", async () => {
    const requests: string[] = []
    const { opened, ends } = reader(scriptedFetch({ "-1": [[chunk("a")], "0001", false] }, requests))
    const stream = await opened
    await stream.cancel()
    expect(ends).toEqual(["stopped"])
    expect(requests).toEqual(["-1"])
  })
})
