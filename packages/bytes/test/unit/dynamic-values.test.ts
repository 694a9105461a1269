import { http, HttpResponse } from "msw"
import { describe, expect, it, vi } from "vitest"
import { DurableStream } from "../../src/index"
import { FakeStream } from "./support/fake-stream"
import { FAST_RETRY, bytes, drain, queryKeys, record, streamUrl, useMswServer, type SeenRequest } from "./support/msw"

const server = useMswServer()

/** A closed-at-the-end fake stream that appends one byte per long-poll / SSE request until `count`. */
function growingStream(name: string, count: number, sse?: ConstructorParameters<typeof FakeStream>[1]): FakeStream {
  let appended = 0
  const fake = new FakeStream(streamUrl(name), {
    contentType: "text/plain",
    ...sse,
    onRequest: (request, stream) => {
      if (!request.url.searchParams.has("live")) return
      if (appended < count) stream.append(bytes(String(appended++ % 10)))
      else if (!stream.closed) stream.close()
    },
  })
  server.use(...fake.handlers())
  return fake
}

describe("dynamic headers and params", () => {
  it("evaluates function values on every long-poll request", async () => {
    const fake = growingStream("dyn-long-poll", 4)
    let n = 0
    const token = vi.fn(() => `token-${++n}`)
    const sig = vi.fn(async () => {
      await Promise.resolve()
      return `sig-${n}`
    })
    const stream = new DurableStream({ url: fake.url, headers: { authorization: token }, params: { sig } })
    const text = new TextDecoder().decode(await stream.read({ live: "long-poll" }).bytes())
    expect(text).toBe("0123")
    const gets = fake.requests
    expect(gets.length).toBeGreaterThanOrEqual(5)
    expect(token).toHaveBeenCalledTimes(gets.length)
    expect(sig).toHaveBeenCalledTimes(gets.length)
    expect(gets.map((r) => r.headers.get("authorization"))).toEqual(gets.map((_, i) => `token-${i + 1}`))
    expect(gets.map((r) => r.url.searchParams.get("sig"))).toEqual(gets.map((_, i) => `sig-${i + 1}`))
    for (const request of gets) {
      const keys = queryKeys(request.url)
      expect(keys).toEqual([...keys].sort())
    }
  })

  it("evaluates function values on every SSE reconnect", async () => {
    // Each SSE connection ends after one control event, forcing reconnects.
    const fake = growingStream("dyn-sse", 3, { sse: { controlsPerConnection: 1 } })
    let n = 0
    const token = vi.fn(async () => `token-${++n}`)
    const stream = new DurableStream({
      url: fake.url,
      contentType: "text/plain", // no HEAD needed first
      headers: { authorization: token },
      retry: FAST_RETRY,
    })
    const text = new TextDecoder().decode(await stream.read({ live: "sse" }).bytes())
    expect(text).toBe("012")
    // One catch-up GET, then the SSE connections: each request ran the function afresh.
    const gets = fake.requests
    expect(gets.map((r) => r.url.searchParams.get("live") ?? "catch-up").slice(0, 2)).toEqual(["catch-up", "sse"])
    expect(fake.requestsOf("sse").length).toBeGreaterThanOrEqual(4)
    expect(token).toHaveBeenCalledTimes(gets.length)
    expect(gets.map((r) => r.headers.get("authorization"))).toEqual(gets.map((_, i) => `token-${i + 1}`))
  })

  it("evaluates function values again on retries", async () => {
    const url = streamUrl("dyn-retry")
    const log: SeenRequest[] = []
    server.use(
      http.get(url, async ({ request }) => {
        await record(log, request)
        if (log.length < 3) return new HttpResponse(null, { status: 503 })
        return new HttpResponse("ok", { headers: { "Stream-Next-Offset": "1", "Stream-Up-To-Date": "true" } })
      })
    )
    let n = 0
    const stream = new DurableStream({ url, headers: { "x-attempt": () => String(++n) }, retry: FAST_RETRY })
    await drain(stream.read())
    expect(log.map((r) => r.headers.get("x-attempt"))).toEqual(["1", "2", "3"])
  })

  it("omits a header or param whose function returns undefined", async () => {
    const url = streamUrl("dyn-undefined")
    const log: SeenRequest[] = []
    server.use(
      http.get(url, async ({ request }) => {
        await record(log, request)
        return new HttpResponse("", { headers: { "Stream-Next-Offset": "0", "Stream-Up-To-Date": "true" } })
      })
    )
    let present = true
    const stream = new DurableStream({
      url,
      headers: { "x-maybe": () => (present ? "yes" : undefined) },
      params: { maybe: () => (present ? "1" : undefined) },
    })
    await drain(stream.read())
    present = false
    await drain(stream.read())
    expect(log.map((r) => [r.headers.get("x-maybe"), r.url.searchParams.get("maybe")])).toEqual([
      ["yes", "1"],
      [null, null],
    ])
  })

  it("lets session headers override handle headers whatever their case", async () => {
    const url = streamUrl("dyn-override")
    const log: SeenRequest[] = []
    server.use(
      http.get(url, async ({ request }) => {
        await record(log, request)
        return new HttpResponse("", { headers: { "Stream-Next-Offset": "0", "Stream-Up-To-Date": "true" } })
      })
    )
    const stream = new DurableStream({ url, headers: { Authorization: "Bearer handle", "X-Trace": "t" } })
    await drain(stream.read({ headers: { authorization: "Bearer session" } }))
    expect(log[0]!.headers.get("authorization")).toBe("Bearer session")
    expect(log[0]!.headers.get("x-trace")).toBe("t")
  })
})
