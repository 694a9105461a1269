/**
 * Failure modes where a naive client spins, gives up too early or goes
 * quiet: each test pins the behaviour a long-running reader relies on.
 */
import { http, HttpResponse } from "msw"
import { describe, expect, it } from "vitest"
import { DurableStream, type SessionStatus } from "../../src/index"
import { controlEvent, dataEvent, hangUntilAborted, sseResponse, streamUrl, text, useMswServer } from "./support/msw"

const server = useMswServer()

function reply(body: string, headers: Record<string, string>): Response {
  return new HttpResponse(body, { status: 200, headers: { "content-type": "text/plain", ...headers } })
}

describe("robustness", () => {
  it("reissues a long-poll that hits the client timeout without using up the retry budget", async () => {
    const url = streamUrl("lp-timeouts")
    let polls = 0
    server.use(
      http.get(url, ({ request }) => {
        const query = new URL(request.url).searchParams
        // The catch-up read every live session starts with finds the stream empty.
        if (!query.has("live")) return reply("", { "stream-next-offset": "0000", "stream-up-to-date": "true" })
        if (query.get("live") !== "long-poll") throw new Error("expected long-poll")
        polls++
        // Five polls the server never answers (each ends by the client timeout), then data.
        if (polls <= 5) return hangUntilAborted(request)
        return reply("late", { "stream-next-offset": "0001", "stream-up-to-date": "true", "stream-closed": "true" })
      })
    )
    const session = new DurableStream({ url, retry: { maxRetries: 1, initialDelayMs: 1, maxDelayMs: 2 } }).read({
      live: "long-poll",
      longPollTimeoutMs: 20,
    })
    // With maxRetries 1, counting timeouts as failures would end the session after the second.
    expect(await session.text()).toBe("late")
    expect(polls).toBe(6)
  })

  it("backs off when onError keeps asking to retry the same failure", async () => {
    const url = streamUrl("onerror-spin")
    let attempts = 0
    server.use(
      http.get(url, () => {
        attempts++
        return new HttpResponse("no", { status: 401 })
      })
    )
    let rescues = 0
    const session = new DurableStream({ url, retry: { initialDelayMs: 5, maxDelayMs: 5 } }).read({
      onError: () => (++rescues <= 4 ? { headers: { authorization: `Bearer ${rescues}` } } : undefined),
    })
    const heard: SessionStatus[] = []
    session.onStatusChange((status) => heard.push(status))
    await expect(session.text()).rejects.toMatchObject({ code: "UNAUTHORIZED" })
    expect(attempts).toBe(5)
    // 401 is not retryable, so any backoff here comes from the repeated rescues:
    // the first (a fresh token) goes at once, the later ones wait instead of spinning.
    expect(heard.filter((status) => status === "backoff").length).toBeGreaterThanOrEqual(1)
  })

  it("does not reset the retry budget for SSE connections that open and die before any control event", async () => {
    const url = streamUrl("sse-dies-young")
    let connections = 0
    server.use(
      http.get(url, ({ request }) => {
        connections++
        // Opens fine, sends half an event, then the connection breaks.
        return sseResponse(request, ["event: data\ndata: par"], { errorAfter: new TypeError("connection reset") })
      })
    )
    const session = new DurableStream({
      url,
      contentType: "text/plain",
      retry: { maxRetries: 3, initialDelayMs: 1, maxDelayMs: 2 },
    }).read({ live: "sse", offset: "0000" })
    await expect(session.text()).rejects.toMatchObject({ code: "NETWORK" })
    // The first connection plus maxRetries reconnections, then the error: not an endless loop.
    expect(connections).toBe(4)
  })

  it("tells status listeners about a handler error before the session closes", async () => {
    const url = streamUrl("handler-error")
    server.use(http.get(url, () => reply("a", { "stream-next-offset": "0001", "stream-up-to-date": "true" })))
    const session = new DurableStream({ url }).read()
    const heard: SessionStatus[] = []
    session.onStatusChange((status) => heard.push(status))
    await expect(
      session.forEach(() => {
        throw new Error("handler broke")
      })
    ).rejects.toThrow("handler broke")
    expect(session.status).toBe("error")
    expect(heard.at(-1)).toBe("error")
    expect(heard).not.toContain("closed")
  })

  it("keeps SSE for auto mode after an empty catch-up response that came without a body stream", async () => {
    const url = streamUrl("auto-empty-null-body")
    const modes: string[] = []
    server.use(
      http.get(url, ({ request }) => {
        const live = new URL(request.url).searchParams.get("live") ?? "catch-up"
        modes.push(live)
        if (live === "catch-up") {
          // An empty body: some fetch implementations hand these over with body === null.
          return new HttpResponse(null, {
            status: 200,
            headers: { "content-type": "text/plain", "stream-next-offset": "0000", "stream-up-to-date": "true" },
          })
        }
        return sseResponse(request, [dataEvent("x"), controlEvent({ streamNextOffset: "0001", streamClosed: true })])
      })
    )
    const session = new DurableStream({ url, contentType: "text/plain" }).read({ live: "auto" })
    const chunks: string[] = []
    for await (const chunk of session) chunks.push(text(chunk.data))
    expect(chunks.join("")).toBe("x")
    expect(modes).toEqual(["catch-up", "sse"])
    expect(session.liveTransport).toBe("sse")
  })
})
