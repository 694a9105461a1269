import { startFaultProxy } from "@durable-client/testing"
import { useReferenceServer } from "@durable-client/testing/vitest"
import { describe, expect, it } from "vitest"
import { DurableStream, supportsRequestStreams, type FetchLike } from "../../src/index"
import { concat, delay, expectSameBytes, expectStreamError, fromUtf8, utf8 } from "./support"

const ref = useReferenceServer()

/** A fetch that records each POST's body kind, on the global fetch. */
function watchedFetch(): { fetch: FetchLike; posts: string[] } {
  const posts: string[] = []
  const fetch: FetchLike = (input, init) => {
    if (init.method === "POST") {
      const body = init.body
      posts.push(body instanceof ReadableStream ? "stream" : body instanceof Uint8Array ? "bytes" : typeof body)
    }
    return globalThis.fetch(input, init)
  }
  return { fetch, posts }
}

async function byteStream(options: { fetch?: FetchLike; headersMs?: number; url?: string } = {}): Promise<DurableStream> {
  const url = options.url ?? ref.streamUrl()
  await new DurableStream({ url: url.replace(/^http:\/\/[^/]+/, ref.url) }).create({ contentType: "application/octet-stream" })
  return new DurableStream({
    url,
    contentType: "application/octet-stream",
    fetch: options.fetch,
    timeouts: options.headersMs === undefined ? undefined : { headersMs: options.headersMs },
    retry: { initialDelayMs: 5, maxDelayMs: 20 },
  })
}

/** `count` pieces of text, each after `gapMs`. */
async function* slowPieces(count: number, gapMs = 0): AsyncGenerator<string | Uint8Array> {
  for (let i = 0; i < count; i++) {
    if (gapMs > 0) await delay(gapMs)
    yield i % 2 === 0 ? `piece ${i} ✓;` : utf8(`piece ${i};`)
  }
}

function expected(count: number): Uint8Array {
  return concat(Array.from({ length: count }, (_, i) => (i % 2 === 0 ? `piece ${i} ✓;` : `piece ${i};`)))
}

describe("appendStream", () => {
  it("this runtime supports request streams", () => {
    expect(supportsRequestStreams()).toBe(true)
  })

  it("sends a ReadableStream as one streamed request: one append, one message", async () => {
    const { fetch, posts } = watchedFetch()
    const stream = await byteStream({ fetch })
    const parts = Array.from({ length: 500 }, (_, i) => utf8(`chunk ${i}|`))
    let at = 0
    const source = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (at === parts.length) controller.close()
        else controller.enqueue(parts[at++]!)
      },
    })
    const result = await stream.appendStream(source)
    expect(result.offset).toBeDefined()
    expect(posts).toEqual(["stream"])
    expectSameBytes(await stream.read().bytes(), concat(parts))
  })

  it("takes an async iterable of strings and bytes, streamed or collected (streamBody: false)", async () => {
    const { fetch, posts } = watchedFetch()
    const stream = await byteStream({ fetch })
    await stream.appendStream(slowPieces(50))
    await stream.appendStream(slowPieces(50), { streamBody: false })
    expect(posts).toEqual(["stream", "bytes"])
    expectSameBytes(await stream.read().bytes(), concat([expected(50), expected(50)]))
  })

  it("the headers deadline starts when the body ends, so a slow source is not a timeout", async () => {
    const stream = await byteStream({ headersMs: 200 })
    await stream.appendStream(slowPieces(6, 100))
    expectSameBytes(await stream.read().bytes(), expected(6))
  })

  it("refuses an empty source, a bad source, bad options and bad chunks, storing nothing", async () => {
    const { fetch, posts } = watchedFetch()
    const stream = await byteStream({ fetch })
    const empty = await expectStreamError(stream.appendStream(slowPieces(0)), "INVALID_ARGUMENT")
    expect(empty.message).toContain(stream.url)
    await expectStreamError(stream.appendStream(42 as never), "INVALID_ARGUMENT")
    const option = await expectStreamError(stream.appendStream(slowPieces(1), { streamBody: "yes" as never }), "INVALID_ARGUMENT")
    expect(option.message).toMatch(/streamBody/)
    expect(posts).toEqual([])
    async function* badChunk(): AsyncGenerator<unknown> {
      yield "fine;"
      yield 7
    }
    await expectStreamError(stream.appendStream(badChunk() as never), "INVALID_ARGUMENT")
    await expectStreamError(stream.appendStream(badChunk() as never, { streamBody: false }), "INVALID_ARGUMENT")
    expect(await stream.read().bytes()).toHaveLength(0)
  })

  it("a source that fails rejects with its own error, and the source is cancelled on a refused append", async () => {
    const stream = await byteStream()
    const boom = new Error("model crashed")
    async function* failing(): AsyncGenerator<string> {
      yield "partial;"
      await delay(10)
      throw boom
    }
    await expect(stream.appendStream(failing())).rejects.toBe(boom)
    expect(await stream.read().bytes()).toHaveLength(0)

    const missing = new DurableStream({ url: ref.streamUrl(), contentType: "application/octet-stream" })
    await expectStreamError(missing.appendStream(slowPieces(3)), "NOT_FOUND")

    let cancelled = false
    let sent = 0
    const source = new ReadableStream<unknown>({
      pull: (controller) => controller.enqueue(sent++ < 3 ? "x" : 7),
      cancel: () => void (cancelled = true),
    })
    await expectStreamError(stream.appendStream(source as ReadableStream<string>), "INVALID_ARGUMENT")
    expect(cancelled).toBe(true)
    expect(await stream.read().bytes()).toHaveLength(0)
  })

  it("is not retried after a network error or timeout, and says so", async () => {
    const proxy = await startFaultProxy({ target: ref.url, plan: { methods: ["POST"], dropBeforeResponse: 1 }, seed: 1 })
    try {
      const stream = await byteStream({ url: proxy.url + new URL(ref.streamUrl()).pathname })
      const network = await expectStreamError(stream.appendStream(slowPieces(5)), "NETWORK")
      expect(network.message).toMatch(/streamed and cannot be replayed.*may have been stored/)
      expect(proxy.stats.dropBeforeResponse).toBe(1)
      // The proxy forwarded it: it was stored although the answer was lost.
      expect(fromUtf8(await stream.read().bytes())).toBe(fromUtf8(expected(5)))

      proxy.setPlan({ methods: ["POST"], hang: 1 })
      const slow = await byteStream({ url: proxy.url + new URL(ref.streamUrl()).pathname, headersMs: 150 })
      const timeout = await expectStreamError(slow.appendStream(slowPieces(3)), "TIMEOUT")
      expect(timeout.message).toMatch(/cannot be replayed/)
      expect(proxy.stats.hang).toBe(1)
    } finally {
      await proxy.stop()
    }
  })
})
