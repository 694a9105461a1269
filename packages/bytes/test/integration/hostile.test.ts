/**
 * The bytes layer against a server that misbehaves on purpose: redirects,
 * hangs, slowloris heads and bodies, answers that make no progress or go
 * backwards, SSE that never sends a control event or goes silent. Each test
 * asserts what a user relies on: a write that reports success was stored,
 * nothing waits forever, nothing spins, nothing grows without bound.
 */
import { startHostileServer, type HostileServer } from "@durable-client/testing"
import { expectErrorCode } from "@durable-client/testing/vitest"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { DurableStream, type DurableStreamError, type DurableStreamOptions } from "../../src/index"

let hostile: HostileServer
beforeAll(async () => {
  hostile = await startHostileServer()
})
afterAll(async () => {
  await hostile.close()
})

let counter = 0
function path(name: string): string {
  return `/v1/stream/${name}-${++counter}`
}

const FAST = { retry: { maxRetries: 2, initialDelayMs: 1, maxDelayMs: 5 } } as const

function handle(streamPath: string, options: Partial<DurableStreamOptions> = {}): DurableStream {
  return new DurableStream({ url: hostile.url + streamPath, contentType: "text/plain", ...FAST, ...options })
}

function requestsTo(streamPath: string): number {
  return hostile.requests.filter((request) => request.path === streamPath).length
}

const OFFSET_A = "0000000000000000_0000000000000010"
const OFFSET_B = "0000000000000000_0000000000000020"

/**
 * Answers the plain catch-up GETs of `streamPath` (every live read starts
 * with them) as an open stream whose tail is `offset`; live requests keep
 * their own script.
 */
function caughtUpAt(streamPath: string, offset: string): void {
  hostile.script((request) => request.path === streamPath && !request.query.has("live"), {
    kind: "respond",
    status: 200,
    headers: { "content-type": "text/plain", "stream-next-offset": offset, "stream-up-to-date": "true" },
  })
}

function sse(events: Array<{ event: string; data: string }>): string {
  return events.map(({ event, data }) => `event: ${event}\ndata: ${data}\n\n`).join("")
}

describe("redirects are never followed silently", () => {
  for (const status of [301, 302, 303, 307, 308] as const) {
    it(`an append behind a ${status} fails REDIRECTED and is not re-sent as a GET`, async () => {
      const from = path(`redirect-append-${status}`)
      const to = path("redirect-target")
      hostile.script(from, { kind: "redirect", status, location: to })
      hostile.script(to, { kind: "respond", status: 200, headers: { "stream-next-offset": OFFSET_A } })
      const error = await expectErrorCode<DurableStreamError>(handle(from).append("lost?"), "REDIRECTED")
      expect(error.status).toBe(status)
      expect(error.location).toBe(hostile.url + to)
      expect(error.message).toContain(String(status))
      expect(requestsTo(to)).toBe(0)
      expect(requestsTo(from)).toBe(1)
    })
  }

  it("create, head, delete and close refuse a redirect too", async () => {
    const from = path("redirect-ops")
    hostile.script(from, { kind: "redirect", status: 302, location: "/elsewhere" })
    const stream = handle(from)
    await expectErrorCode(stream.create(), "REDIRECTED")
    await expectErrorCode(stream.head(), "REDIRECTED")
    await expectErrorCode(stream.delete(), "REDIRECTED")
    await expectErrorCode(stream.close(), "REDIRECTED")
    expect(hostile.requests.filter((request) => request.path === "/elsewhere")).toHaveLength(0)
  })

  it("a read that meets a redirect fails typed unless the caller opted in", async () => {
    const from = path("redirect-read")
    const to = path("redirect-read-target")
    hostile.script(from, { kind: "redirect", status: 307, location: to })
    hostile.script(to, {
      kind: "respond",
      status: 200,
      headers: { "content-type": "text/plain", "stream-next-offset": OFFSET_A, "stream-up-to-date": "true" },
      body: "moved data",
    })
    await expectErrorCode(handle(from).read().text(), "REDIRECTED")
    expect(requestsTo(to)).toBe(0)

    const session = handle(from).read({ followRedirects: true })
    expect(await session.text()).toBe("moved data")
    expect(session.offset).toBe(OFFSET_A)
    expect(session.redirectedUrl).toBe(hostile.url + to)
  })
})

describe("every request has a deadline", () => {
  const timeouts = { headersMs: 100, bodyIdleMs: 100, sseIdleMs: 150 }

  it("HEAD, create, delete and catch-up GETs that hang time out and are retried within the budget", async () => {
    const at = path("hang-ops")
    hostile.script(at, { kind: "hang" })
    const stream = handle(at, { timeouts })
    for (const [operation, run] of [
      ["head", () => stream.head()],
      ["create", () => stream.create()],
      ["delete", () => stream.delete()],
      ["read", () => stream.read().bytes()],
    ] as const) {
      const before = requestsTo(at)
      const error = await expectErrorCode<DurableStreamError>(run(), "TIMEOUT")
      expect(error.operation).toBe(operation)
      expect(requestsTo(at) - before).toBe(1 + FAST.retry.maxRetries)
    }
  })

  it("a plain append that hangs fails TIMEOUT at once and says it may have been stored", async () => {
    const at = path("hang-append")
    hostile.script(at, { kind: "hang" })
    const error = await expectErrorCode<DurableStreamError>(handle(at, { timeouts }).append("x"), "TIMEOUT")
    expect(error.message).toContain("may have been stored")
    expect(requestsTo(at)).toBe(1)
  })

  it("with retryAppends a timed-out append is sent again", async () => {
    const at = path("hang-append-retry")
    hostile.script(at, [
      { kind: "hang" },
      { kind: "respond", status: 204, headers: { "stream-next-offset": OFFSET_A } },
    ])
    const result = await handle(at, { timeouts, retryAppends: true }).append("x")
    expect(result.offset).toBe(OFFSET_A)
    expect(requestsTo(at)).toBe(2)
  })

  it("headers dribbled a byte at a time time out", async () => {
    const at = path("slow-headers")
    hostile.script(at, { kind: "slowHeaders", intervalMs: 50, status: 200, headers: { "stream-next-offset": OFFSET_A } })
    await expectErrorCode(handle(at, { timeouts, retry: { maxRetries: 0 } }).head(), "TIMEOUT")
  })

  it("a body that stalls longer than bodyIdleMs times out; one that keeps moving does not", async () => {
    const stalled = path("slow-body-stalled")
    hostile.script(stalled, {
      kind: "slowBody",
      intervalMs: 300,
      body: "abc",
      headers: { "content-type": "text/plain", "stream-next-offset": OFFSET_A, "stream-up-to-date": "true" },
    })
    await expectErrorCode(handle(stalled, { timeouts, retry: { maxRetries: 0 } }).read().text(), "TIMEOUT")

    // 8 bytes at 30 ms: 240 ms in all, more than bodyIdleMs, but never 100 ms of silence.
    const moving = path("slow-body-moving")
    hostile.script(moving, {
      kind: "slowBody",
      intervalMs: 30,
      body: "abcdefgh",
      headers: { "content-type": "text/plain", "stream-next-offset": OFFSET_A, "stream-up-to-date": "true" },
    })
    expect(await handle(moving, { timeouts }).read().text()).toBe("abcdefgh")
  })

  it("an SSE connection that goes silent is reopened from the last control offset", async () => {
    const at = path("sse-silent")
    hostile.script(at, [
      { kind: "silentSse" },
      {
        kind: "respond",
        status: 200,
        headers: { "content-type": "text/event-stream" },
        body: sse([
          { event: "data", data: "after the silence" },
          { event: "control", data: JSON.stringify({ streamNextOffset: OFFSET_B, streamClosed: true }) },
        ]),
      },
    ])
    caughtUpAt(at, OFFSET_A)
    const session = handle(at, { timeouts }).read({ live: "sse", offset: OFFSET_A })
    expect(await session.text()).toBe("after the silence")
    const sseRequests = hostile.requests.filter((request) => request.path === at && request.query.get("live") === "sse")
    expect(sseRequests.length).toBeGreaterThanOrEqual(2)
    expect(sseRequests.every((request) => request.query.get("offset") === OFFSET_A)).toBe(true)
    expect(session.offset).toBe(OFFSET_B)
  })
})

describe("Retry-After has a ceiling", () => {
  it("a 503 asking for a day fails at once with the server's error instead of waiting", async () => {
    const at = path("retry-after-day")
    hostile.script(at, { kind: "respond", status: 503, retryAfter: 86_400 })
    const error = await expectErrorCode<DurableStreamError>(handle(at).head(), "UNEXPECTED_STATUS")
    expect(error.status).toBe(503)
    expect(error.retryAfterMs).toBe(86_400_000)
    expect(requestsTo(at)).toBe(1)
    await expectErrorCode(handle(at).read().bytes(), "UNEXPECTED_STATUS")
  })

  it("a Retry-After within the cap is honoured", async () => {
    const at = path("retry-after-short")
    hostile.script(at, [
      { kind: "respond", status: 429, retryAfter: 1 },
      { kind: "respond", status: 200, headers: { "stream-next-offset": OFFSET_A, "content-type": "text/plain" } },
    ])
    const info = await handle(at, { retry: { maxRetryAfterMs: 2_000 } }).head()
    expect(info.offset).toBe(OFFSET_A)
    expect(requestsTo(at)).toBe(2)
  })
})

describe("nothing spins", () => {
  it("answers that make no progress back off and end in PROTOCOL_VIOLATION (catch-up and long-poll)", async () => {
    for (const live of [false, "long-poll"] as const) {
      const at = path(`no-progress-${String(live)}`)
      hostile.script(at, { kind: "noProgress" })
      const error = await expectErrorCode<DurableStreamError>(
        handle(at).read({ offset: OFFSET_A, live }).bytes(),
        "PROTOCOL_VIOLATION"
      )
      expect(error.message).toContain("no data, no new offset")
      // The first answer and eight more, each after a backoff: not thousands.
      expect(requestsTo(at)).toBe(9)
    }
  })

  it("an offset that moves backwards is a protocol error, never a re-delivery", async () => {
    const at = path("regressing")
    hostile.script(at, { kind: "regressingOffset", body: "again" })
    const session = handle(at).read({ offset: OFFSET_B, live: "long-poll" })
    const delivered: string[] = []
    const error = await expectErrorCode<DurableStreamError>(
      session.forEach((chunk) => void delivered.push(new TextDecoder().decode(chunk.data))),
      "PROTOCOL_VIOLATION"
    )
    expect(error.message).toContain("behind")
    expect(delivered).toEqual([])
    expect(requestsTo(at)).toBe(1)
  })

  it("an SSE control event that moves backwards is a protocol error too", async () => {
    const at = path("regressing-sse")
    hostile.script(at, {
      kind: "respond",
      status: 200,
      headers: { "content-type": "text/event-stream" },
      body: sse([
        { event: "data", data: "again" },
        { event: "control", data: JSON.stringify({ streamNextOffset: OFFSET_A }) },
      ]),
    })
    caughtUpAt(at, OFFSET_B)
    await expectErrorCode(handle(at).read({ offset: OFFSET_B, live: "sse" }).bytes(), "PROTOCOL_VIOLATION")
  })
})

describe("nothing grows without bound", () => {
  it("SSE data with no control event fails once it passes maxSseBufferBytes", async () => {
    const at = path("endless-sse")
    hostile.script(at, { kind: "endlessSse", maxBytes: 4 * 1024 * 1024 })
    caughtUpAt(at, OFFSET_A)
    const error = await expectErrorCode<DurableStreamError>(
      handle(at).read({ offset: OFFSET_A, live: "sse", maxSseBufferBytes: 64 * 1024 }).bytes(),
      "PROTOCOL_VIOLATION"
    )
    expect(error.message).toContain("maxSseBufferBytes")
  })
})

describe("permanent failures fail at once", () => {
  it("a header function that throws gives CALLBACK_FAILED without a request or a retry", async () => {
    const at = path("header-throws")
    const thrown = new Error("token store unavailable")
    const stream = handle(at, {
      headers: {
        authorization: () => {
          throw thrown
        },
      },
    })
    const error = await expectErrorCode<DurableStreamError>(stream.head(), "CALLBACK_FAILED")
    expect(error.cause).toBe(thrown)
    expect(requestsTo(at)).toBe(0)
  })

  it("a header function returning CR/LF gives INVALID_ARGUMENT without a request", async () => {
    const at = path("header-crlf")
    const stream = handle(at, { headers: { authorization: async () => "Bearer x\r\nInjected: yes" } })
    const error = await expectErrorCode<DurableStreamError>(stream.append("x"), "INVALID_ARGUMENT")
    expect(error.message).toContain("authorization")
    expect(error.message).not.toContain("Injected")
    expect(requestsTo(at)).toBe(0)
  })
})

describe("a caller's onError that throws", () => {
  it("fails the operation with CALLBACK_FAILED naming the original failure, not a raw exception", async () => {
    const at = path("on-error-throws")
    hostile.script(at, { kind: "respond", status: 404 })
    const bug = new TypeError("cannot read properties of undefined")
    const stream = handle(at, {
      onError: () => {
        throw bug
      },
    })
    const error = await expectErrorCode<DurableStreamError>(stream.head(), "CALLBACK_FAILED")
    expect(error.cause).toBe(bug)
    expect(error.message).toContain("NOT_FOUND")
    const session = stream.read({ onError: () => Promise.reject(bug) })
    expect((await expectErrorCode<DurableStreamError>(session.bytes(), "CALLBACK_FAILED")).cause).toBe(bug)
    expect(session.status).toBe("error")
  })
})

describe("a caller's listener that throws", () => {
  it("breaks neither the read nor the other listeners; its error is reported as CALLBACK_FAILED", async () => {
    const at = path("listener-throws")
    hostile.script(at, {
      kind: "respond",
      status: 200,
      headers: { "content-type": "text/plain", "stream-next-offset": OFFSET_A, "stream-up-to-date": "true" },
      body: "still delivered",
    })
    const reported: unknown[] = []
    const global = globalThis as { reportError?: (error: unknown) => void }
    const previous = global.reportError
    global.reportError = (error) => void reported.push(error)
    try {
      const session = handle(at).read()
      const heard: string[] = []
      session.onStatusChange(() => {
        throw new Error("listener bug")
      })
      session.onStatusChange((status) => void heard.push(status))
      session.onHealthChange(() => {
        throw new Error("health listener bug")
      })
      expect(await session.text()).toBe("still delivered")
      expect(heard).toContain("closed")
      expect(reported.length).toBeGreaterThan(0)
      for (const error of reported) expect((error as DurableStreamError).code).toBe("CALLBACK_FAILED")
    } finally {
      global.reportError = previous
    }
  })
})
