import { http, HttpResponse } from "msw"
import { describe, expect, it, vi } from "vitest"
import { DurableStream, DurableStreamError, isDurableStreamError } from "../../src/index"
import {
  FAST_RETRY,
  controlEvent,
  dataEvent,
  record,
  rejectionOf,
  sseResponse,
  streamUrl,
  take,
  text,
  useMswServer,
  type SeenRequest,
} from "./support/msw"

const server = useMswServer()

/**
 * A long-poll server that accepts only `token()`: offsets are chunk numbers,
 * each poll returns one chunk `m<n>`, and `closeAt` ends the stream.
 */
function authedLongPoll(url: string, token: () => string, closeAt: number): SeenRequest[] {
  const log: SeenRequest[] = []
  server.use(
    http.get(url, async ({ request }) => {
      const seen = await record(log, request)
      if (seen.headers.get("authorization") !== `Bearer ${token()}`) {
        return new HttpResponse("token expired", { status: 401 })
      }
      const offset = seen.url.searchParams.get("offset")!
      const position = offset === "-1" ? 0 : Number(offset)
      if (position >= closeAt) {
        return new HttpResponse(null, {
          status: 204,
          headers: { "Stream-Next-Offset": String(position), "Stream-Up-To-Date": "true", "Stream-Closed": "true" },
        })
      }
      return new HttpResponse(`m${position}`, {
        headers: {
          "Stream-Next-Offset": String(position + 1),
          "Stream-Up-To-Date": "true",
          "Stream-Cursor": `c${position}`,
        },
      })
    })
  )
  return log
}

describe("onError in a live session", () => {
  it("retries with the headers onError returns and keeps delivering", async () => {
    const url = streamUrl("on-error-refresh")
    let valid = "old"
    const log = authedLongPoll(url, () => valid, 5)
    const onError = vi.fn((error: DurableStreamError) => {
      expect(error.code).toBe("UNAUTHORIZED")
      return { headers: { authorization: "Bearer new" } }
    })
    const stream = new DurableStream({ url, headers: { Authorization: "Bearer old" }, retry: FAST_RETRY })
    const session = stream.read({ live: "long-poll", onError })
    const iterator = session[Symbol.asyncIterator]()
    const first = await take(iterator, 2)
    valid = "new" // the token expires mid-session
    const rest: string[] = []
    for (;;) {
      const result = await iterator.next()
      if (result.done) break
      rest.push(text(result.value.data))
    }
    expect([...first.map((c) => text(c.data)), ...rest].join(",")).toBe("m0,m1,m2,m3,m4,")
    expect(onError).toHaveBeenCalledTimes(1)
    const error = onError.mock.calls[0]![0]
    expect(error.status).toBe(401)
    expect(error.offset).toBe("2")
    const auth = log.map((r) => r.headers.get("authorization"))
    expect(auth).toEqual([
      "Bearer old",
      "Bearer old",
      "Bearer old", // 401
      "Bearer new", // the same poll again
      "Bearer new",
      "Bearer new",
      "Bearer new",
    ])
    expect(log[2]!.url.search).toBe(log[3]!.url.search)
    expect(session.closed).toBe(true)
  })

  it("ends the session with the error when onError returns nothing", async () => {
    const url = streamUrl("on-error-give-up")
    let valid = "old"
    const log = authedLongPoll(url, () => valid, 10)
    const onError = vi.fn(() => undefined)
    const session = new DurableStream({ url, headers: { authorization: "Bearer old" }, onError }).read({
      live: "long-poll",
    })
    const iterator = session[Symbol.asyncIterator]()
    await take(iterator, 1)
    valid = "rotated"
    const error = (await rejectionOf(iterator.next())) as DurableStreamError
    expect(isDurableStreamError(error)).toBe(true)
    expect(error.code).toBe("UNAUTHORIZED")
    expect(onError).toHaveBeenCalledTimes(1)
    expect(onError.mock.calls[0]).toEqual([error])
    expect(session.status).toBe("error")
    expect(log).toHaveLength(2)
    expect(session.offset).toBe("1")
  })

  it("awaits an async onError and can add query params", async () => {
    const url = streamUrl("on-error-params")
    const log: SeenRequest[] = []
    server.use(
      http.get(url, async ({ request }) => {
        const seen = await record(log, request)
        if (seen.url.searchParams.get("sig") !== "good") return new HttpResponse(null, { status: 403 })
        return new HttpResponse("ok", { headers: { "Stream-Next-Offset": "1", "Stream-Up-To-Date": "true" } })
      })
    )
    const stream = new DurableStream({ url, params: { sig: "stale" } })
    const onError = async (): Promise<{ params: Record<string, string> }> => {
      // A real await: the SDK must wait for the promise, not take it as the answer.
      await Promise.resolve()
      return { params: { sig: "good" } }
    }
    expect(await stream.read({ onError }).text()).toBe("ok")
    expect(log.map((r) => r.url.search)).toEqual(["?offset=-1&sig=stale", "?offset=-1&sig=good"])
  })

  it("refreshes credentials on an SSE reconnect", async () => {
    const url = streamUrl("on-error-sse")
    const log: SeenRequest[] = []
    server.use(
      http.get(url, async ({ request }) => {
        // The catch-up read every live session starts with finds the stream empty.
        if (!new URL(request.url).searchParams.has("live")) {
          return new HttpResponse(null, { headers: { "Stream-Next-Offset": "0", "Stream-Up-To-Date": "true" } })
        }
        const seen = await record(log, request)
        const n = log.length
        if (n === 1) {
          return sseResponse(request, [dataEvent("a"), controlEvent({ streamNextOffset: "1", streamCursor: "c1", upToDate: true })])
        }
        if (seen.headers.get("authorization") !== "Bearer fresh") return new HttpResponse(null, { status: 401 })
        return sseResponse(request, [dataEvent("b"), controlEvent({ streamNextOffset: "2", streamClosed: true })])
      })
    )
    const stream = new DurableStream({
      url,
      contentType: "text/plain",
      headers: { authorization: "Bearer stale" },
      retry: FAST_RETRY,
      onError: () => ({ headers: { authorization: "Bearer fresh" } }),
    })
    expect(await stream.read({ live: "sse" }).text()).toBe("ab")
    expect(log.map((r) => r.headers.get("authorization"))).toEqual(["Bearer stale", "Bearer stale", "Bearer fresh"])
    expect(log[2]!.url.searchParams.get("offset")).toBe("1")
  })

  it("lets a one-off operation retry with new headers", async () => {
    const url = streamUrl("on-error-append")
    const log: SeenRequest[] = []
    server.use(
      http.post(url, async ({ request }) => {
        const seen = await record(log, request)
        if (seen.headers.get("authorization") !== "Bearer new") return new HttpResponse(null, { status: 401 })
        return new HttpResponse(null, { status: 204, headers: { "Stream-Next-Offset": "9" } })
      })
    )
    const stream = new DurableStream({
      url,
      contentType: "text/plain",
      headers: { Authorization: "Bearer old" },
      onError: (error) => (error.code === "UNAUTHORIZED" ? { headers: { authorization: "Bearer new" } } : undefined),
    })
    expect((await stream.append("x")).offset).toBe("9")
    expect(log.map((r) => r.headers.get("authorization"))).toEqual(["Bearer old", "Bearer new"])
  })
})
