import { describe, expect, it, vi } from "vitest"
import { DurableChatTransport, isDurableStreamError, startChatStream, type DurableChatTransportOptions } from "../../src"

function invalid(run: () => unknown): { code: string; message: string } {
  try {
    run()
  } catch (error) {
    expect(isDurableStreamError(error)).toBe(true)
    return error as { code: string; message: string }
  }
  return expect.fail("expected INVALID_ARGUMENT")
}

describe("DurableChatTransport options", () => {
  const cases: Array<[string, unknown, string]> = [
    ["options that are not an object", "api", "DurableChatTransport options"],
    ["an empty api", { api: "" }, "api"],
    ["an api of another scheme", { api: "ws://x/chat" }, "api"],
    ["an api with a space", { api: "/api/my chat" }, "api"],
    ["headers that are not an object", { headers: "Bearer x" }, "headers"],
    ["a header value that is a number", { headers: { authorization: 5 } }, "headers.authorization"],
    ["a header value with a line break", { headers: { authorization: "Bearer x\r\nX-Evil: 1" } }, "headers.authorization"],
    ["an invalid header name", { headers: { "bad name": "x" } }, "bad name"],
    ["a params value that is an object", { params: { token: {} } }, "params.token"],
    ["a fetch that is not a function", { fetch: "fetch" }, "fetch"],
    ["a body that is neither object nor function", { body: "x=1" }, "body"],
    ["a store without set", { store: { get: () => undefined } }, "store"],
    ["an unknown live mode", { live: "websocket" }, "live"],
    ["live: false (a chat follows its generation)", { live: false }, "live"],
    ["a negative retry count", { retry: { maxRetries: -1 } }, "maxRetries"],
    ["a NaN timeout", { timeouts: { headersMs: Number.NaN } }, "timeouts.headersMs"],
    ["a timeout past the timer limit", { timeouts: { longPollMs: 2 ** 31 } }, "timeouts.longPollMs"],
  ]

  it.each(cases)("rejects %s with INVALID_ARGUMENT naming it, before any request", (_what, options, named) => {
    const fetch = vi.fn()
    const withFetch = typeof options === "object" && options !== null && !("fetch" in options) ? { ...options, fetch } : options
    const error = invalid(() => new DurableChatTransport(withFetch as DurableChatTransportOptions))
    expect(error.code).toBe("INVALID_ARGUMENT")
    expect(error.message).toContain(named)
    expect(fetch).not.toHaveBeenCalled()
  })

  it("accepts relative and absolute routes, function values and every live mode", () => {
    for (const api of ["/api/chat", "api/chat", "https://app.example/api/chat", new URL("https://app.example/c")]) {
      expect(() => new DurableChatTransport({ api })).not.toThrow()
    }
    expect(
      () =>
        new DurableChatTransport({
          headers: { authorization: () => "Bearer t", "x-static": "1", "x-unset": undefined },
          params: { tenant: async () => "a" },
          body: () => ({ model: "m" }),
          live: "long-poll",
          retry: { maxRetries: 2 },
          timeouts: { headersMs: 1_000 },
        })
    ).not.toThrow()
  })

  it("replays on resume, so useChat rebuilds the message from the replayed start chunk", () => {
    expect(new DurableChatTransport().resumeStreamIsReplay).toBe(true)
  })
})

describe("startChatStream options", () => {
  const stream = { [Symbol.asyncIterator]: () => ({ next: () => Promise.resolve({ done: true, value: undefined }) }) }
  const cases: Array<[string, object, string]> = [
    ["a missing streamUrl", { stream }, "streamUrl"],
    ["a relative streamUrl", { stream, streamUrl: "/v1/stream/x" }, "url"],
    ["a streamUrl function that returns a number", { stream, streamUrl: () => 1 }, "streamUrl()"],
    ["a source that is not a stream", { stream: [1, 2], streamUrl: "http://s/x" }, "stream must be"],
    ["an empty messageId", { stream, streamUrl: "http://s/x", messageId: "" }, "messageId"],
    ["a signal that is an AbortController", { stream, streamUrl: "http://s/x", signal: new AbortController() }, "signal"],
    ["a waitUntil that is not a function", { stream, streamUrl: "http://s/x", waitUntil: {} }, "waitUntil"],
    ["bad headers", { stream, streamUrl: "http://s/x", headers: { a: 1 } }, "header a"],
    ["a producer option out of range", { stream, streamUrl: "http://s/x", producer: { lingerMs: -1 } }, "lingerMs"],
  ]

  it.each(cases)("rejects %s with INVALID_ARGUMENT naming it, before any request", async (_what, options, named) => {
    const fetch = vi.fn()
    const error = await startChatStream({ ...options, fetch } as never).then(
      () => expect.fail("expected INVALID_ARGUMENT"),
      (caught: unknown) => caught as { code: string; message: string }
    )
    expect(error.code).toBe("INVALID_ARGUMENT")
    expect(error.message).toContain(named)
    expect(fetch).not.toHaveBeenCalled()
  })
})
