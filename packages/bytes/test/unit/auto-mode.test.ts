import { afterEach, describe, expect, it, vi } from "vitest"
import { DEFAULTS } from "../../src/defaults"
import { DurableStream, type StreamChunk } from "../../src/index"
import { FakeStream, offsetOf } from "./support/fake-stream"
import { FAST_RETRY, SSE_HEADERS, bytes, concat, streamUrl, take, text, until, useMswServer } from "./support/msw"

const server = useMswServer()

function fakeStream(name: string, options: ConstructorParameters<typeof FakeStream>[1] = {}): FakeStream {
  const fake = new FakeStream(streamUrl(name), { contentType: "text/plain", ...options })
  server.use(...fake.handlers())
  return fake
}

const joined = (chunks: StreamChunk[]): string => text(concat(chunks.map((c) => c.data)))

/** Reads until `predicate` holds for the text so far; returns the chunks. */
async function readUntil(
  iterator: AsyncIterator<StreamChunk>,
  chunks: StreamChunk[],
  predicate: (all: string) => boolean
): Promise<void> {
  while (!predicate(joined(chunks))) {
    const result = await iterator.next()
    if (result.done) throw new Error(`session ended early with ${JSON.stringify(joined(chunks))}`)
    chunks.push(result.value)
  }
}

/** A fetch that sends everything through msw except SSE requests, which `sse` answers. */
function fetchWithSse(sse: (input: string) => Response): { fetch: typeof fetch; sseAttempts: string[] } {
  const sseAttempts: string[] = []
  const wrapped = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = String(input)
    if (new URL(url).searchParams.get("live") === "sse") {
      sseAttempts.push(url)
      return sse(url)
    }
    return globalThis.fetch(url, init)
  }
  return { fetch: wrapped as typeof fetch, sseAttempts }
}

/** Like React Native's fetch: the Response has no `body` property at all, only buffered readers. */
function withoutBodyProperty(response: Response): Response {
  return {
    status: response.status,
    statusText: response.statusText,
    ok: response.ok,
    headers: response.headers,
    body: undefined,
    arrayBuffer: () => response.arrayBuffer(),
    text: () => response.text(),
  } as unknown as Response
}

describe("live: auto", () => {
  it("catches up with plain GETs, then tails by SSE from the tail", async () => {
    const fake = fakeStream("auto-sse", { maxBytes: () => 4 })
    fake.append(bytes("0123456789"))
    const session = new DurableStream({ url: fake.url, retry: FAST_RETRY }).read({ live: "auto" })
    const iterator = session[Symbol.asyncIterator]()
    const chunks: StreamChunk[] = []
    await readUntil(iterator, chunks, (all) => all === "0123456789")
    expect(chunks.at(-1)!.upToDate).toBe(true)

    const next = iterator.next()
    await until(() => fake.requestsOf("sse").length === 1, "the SSE request")
    expect(session.liveTransport).toBe("sse")
    fake.append(bytes("live!"))
    chunks.push((await next).value as StreamChunk)
    fake.close()
    for (;;) {
      const result = await iterator.next()
      if (result.done) break
      chunks.push(result.value)
    }
    expect(joined(chunks)).toBe("0123456789live!")
    expect(session.closed).toBe(true)
    const plain = fake.requests.filter((r) => r.method === "GET" && !r.url.searchParams.has("live"))
    expect(plain.map((r) => r.url.searchParams.get("offset"))).toEqual(["-1", offsetOf(4), offsetOf(8)])
    expect(fake.requestsOf("long-poll")).toHaveLength(0)
    const sse = fake.requestsOf("sse")
    expect(sse).toHaveLength(1)
    expect(sse[0]!.url.searchParams.get("offset")).toBe(offsetOf(10))
  })

  it("falls back to long-poll when SSE responses have no body, without loss or duplicates", async () => {
    const fake = fakeStream("auto-no-body")
    fake.append(bytes("history|"))
    const { fetch, sseAttempts } = fetchWithSse(() => new Response(null, { status: 200, headers: SSE_HEADERS }))
    const session = new DurableStream({ url: fake.url, fetch, retry: FAST_RETRY }).read({ live: "auto" })
    const iterator = session[Symbol.asyncIterator]()
    const chunks: StreamChunk[] = []
    await readUntil(iterator, chunks, (all) => all === "history|")

    const next = iterator.next()
    await until(() => fake.requestsOf("long-poll").length === 1, "the first long-poll")
    expect(sseAttempts).toHaveLength(1)
    expect(new URL(sseAttempts[0]!).searchParams.get("offset")).toBe(offsetOf(8))
    expect(fake.requestsOf("long-poll")[0]!.url.searchParams.get("offset")).toBe(offsetOf(8))
    fake.append(bytes("a"))
    chunks.push((await next).value as StreamChunk)
    expect(session.liveTransport).toBe("long-poll")
    fake.append(bytes("b"))
    await readUntil(iterator, chunks, (all) => all.endsWith("ab"))
    fake.close()
    expect((await iterator.next()).value).toMatchObject({ closed: true })
    expect(await iterator.next()).toEqual({ done: true, value: undefined })
    expect(joined(chunks)).toBe("history|ab")
    expect(sseAttempts).toHaveLength(1)
    expect(session.liveTransport).toBe("long-poll")
  })

  it("falls back to long-poll when the SSE response has no body property (React Native)", async () => {
    const fake = fakeStream("auto-rn-sse")
    fake.append(bytes("abc"))
    const { fetch, sseAttempts } = fetchWithSse(() =>
      withoutBodyProperty(new Response("event: data\ndata: x\n\n", { headers: SSE_HEADERS }))
    )
    const session = new DurableStream({ url: fake.url, fetch, retry: { ...FAST_RETRY, maxRetries: 2 } }).read({
      live: "auto",
    })
    const iterator = session[Symbol.asyncIterator]()
    const chunks: StreamChunk[] = []
    await readUntil(iterator, chunks, (all) => all === "abc")
    const next = iterator.next()
    await until(() => fake.requestsOf("long-poll").length === 1, "the first long-poll")
    fake.append(bytes("def"))
    chunks.push((await next).value as StreamChunk)
    expect(joined(chunks)).toBe("abcdef")
    expect(sseAttempts).toHaveLength(1)
    expect(session.liveTransport).toBe("long-poll")
    await session.cancel()
  })

  it("goes straight to long-poll when catch-up shows the runtime has no streaming bodies", async () => {
    const fake = fakeStream("auto-rn")
    fake.append(bytes("abc"))
    const { fetch: viaMsw, sseAttempts } = fetchWithSse(() => {
      throw new Error("SSE must not be attempted")
    })
    const fetch = async (input: string, init: RequestInit): Promise<Response> =>
      withoutBodyProperty(await viaMsw(input, init))
    const session = new DurableStream({ url: fake.url, fetch, retry: FAST_RETRY }).read({ live: "auto" })
    const iterator = session[Symbol.asyncIterator]()
    const chunks = await take(iterator, 1)
    expect(joined(chunks)).toBe("abc")
    const next = iterator.next()
    await until(() => fake.requestsOf("long-poll").length === 1, "the first long-poll")
    fake.append(bytes("def"))
    chunks.push((await next).value as StreamChunk)
    expect(joined(chunks)).toBe("abcdef")
    expect(sseAttempts).toHaveLength(0)
    expect(session.liveTransport).toBe("long-poll")
    await session.cancel()
  })

  it("keeps SSE when young connections bring data: a busy server, not a buffering proxy", async () => {
    const pieces = ["s1", "s2", "s3", "s4", "s5"]
    let appended = 0
    const fake = fakeStream("auto-short-sse-with-data", {
      // Each SSE connection ends after one control event, within a second.
      sse: { controlsPerConnection: 1 },
      onRequest: (request, stream) => {
        if (request.url.searchParams.get("live") !== "sse" || appended > pieces.length) return
        if (appended < pieces.length) stream.append(bytes(pieces[appended]!))
        else stream.close()
        appended++
      },
    })
    fake.append(bytes("history|"))
    const session = new DurableStream({ url: fake.url, retry: FAST_RETRY }).read({ live: "auto" })
    const chunks: StreamChunk[] = []
    for await (const chunk of session) chunks.push(chunk)
    expect(joined(chunks)).toBe("history|s1s2s3s4s5")
    expect(fake.requestsOf("sse").length).toBeGreaterThanOrEqual(6)
    expect(fake.requestsOf("long-poll")).toHaveLength(0)
    expect(session.liveTransport).toBe("sse")
  })

  it("falls back to long-poll after 3 young SSE connections in a row that brought nothing", async () => {
    let longPolls = 0
    const fake = fakeStream("auto-short-sse", {
      // Each SSE connection ends after its first control event (a proxy cutting SSE).
      sse: { controlsPerConnection: 1 },
      onRequest: (request, stream) => {
        if (request.url.searchParams.get("live") !== "long-poll") return
        longPolls++
        if (longPolls === 1) stream.append(bytes("lp1"))
        else if (longPolls === 2) stream.append(bytes("lp2"))
        else stream.close()
      },
    })
    fake.append(bytes("history|"))
    const session = new DurableStream({ url: fake.url, retry: FAST_RETRY }).read({ live: "auto" })
    const chunks: StreamChunk[] = []
    for await (const chunk of session) chunks.push(chunk)
    expect(joined(chunks)).toBe("history|lp1lp2")
    expect(session.closed).toBe(true)
    const sse = fake.requestsOf("sse")
    expect(sse.map((r) => r.url.searchParams.get("offset"))).toEqual([offsetOf(8), offsetOf(8), offsetOf(8)])
    const longPoll = fake.requestsOf("long-poll")
    expect(longPoll[0]!.url.searchParams.get("offset")).toBe(offsetOf(8))
    // The cursor of the last SSE control event carries over.
    expect(longPoll[0]!.url.searchParams.get("cursor")).not.toBeNull()
    expect(session.liveTransport).toBe("long-poll")
  })

  describe("after falling back", () => {
    afterEach(() => {
      vi.useRealTimers()
    })

    it("tries SSE again later, backing off between tries, and stays on it once it works", async () => {
      // Only the clock is fake (and stands still unless moved): every connection is young.
      vi.useFakeTimers({ toFake: ["Date"] })
      let sseWorks = false
      const fake = fakeStream("auto-reprobe", {
        sse: { controlsPerConnection: 1 },
        onRequest: (request, stream) => {
          if (sseWorks && request.url.searchParams.get("live") === "sse" && !stream.closed) stream.append(bytes("s"))
        },
      })
      const session = new DurableStream({ url: fake.url, retry: FAST_RETRY }).read({
        live: "auto",
        lifecycle: { wakeCheckMs: false },
      })
      const iterator = session[Symbol.asyncIterator]()
      await take(iterator, 1) // caught up: the stream is empty
      const sseCount = (): number => fake.requestsOf("sse").length
      const longPollCount = (): number => fake.requestsOf("long-poll").length

      // Three young, empty SSE connections: long-poll.
      let next = iterator.next()
      await until(() => longPollCount() === 1, "the fallback to long-poll")
      expect(sseCount()).toBe(3)

      // A minute on, the next live request tries SSE once; it fails the same way.
      vi.setSystemTime(Date.now() + DEFAULTS.sseRetry.initialMs + 1)
      fake.append(bytes("a"))
      expect(text((await next).value!.data)).toBe("a")
      next = iterator.next()
      await until(() => longPollCount() === 2, "long-poll after the failed try")
      expect(sseCount()).toBe(4)

      // The wait doubles: a minute later is too soon to try again.
      vi.setSystemTime(Date.now() + DEFAULTS.sseRetry.initialMs + 1)
      fake.append(bytes("b"))
      expect(text((await next).value!.data)).toBe("b")
      next = iterator.next()
      await until(() => longPollCount() === 3, "long-poll without a try")
      expect(sseCount()).toBe(4)

      // Two minutes after the failed try, SSE is tried again, and now it works.
      sseWorks = true
      vi.setSystemTime(Date.now() + DEFAULTS.sseRetry.initialMs + 1)
      fake.append(bytes("c"))
      expect(text((await next).value!.data)).toBe("c")
      const chunks = await take(iterator, 2)
      expect(chunks.map((chunk) => text(chunk.data))).toEqual(["s", "s"])
      expect(sseCount()).toBeGreaterThanOrEqual(6)
      expect(longPollCount()).toBe(3)
      expect(session.liveTransport).toBe("sse")
      await session.cancel()
    })
  })
})
